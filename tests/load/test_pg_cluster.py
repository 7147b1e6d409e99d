"""The PostgreSQL test cluster: missing server binaries fail the tests unless opted out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg_cluster import OPT_OUT, ServerMissingError, require_server_binaries


def fake_bin(tmp_path: Path) -> Path:
    for name in ("initdb", "pg_ctl", "postgres", "psql"):
        (tmp_path / name).write_text("#!/bin/sh\n")
    return tmp_path


def test_found_binaries_are_used(tmp_path: Path) -> None:
    directory = fake_bin(tmp_path)
    assert require_server_binaries({"RESTSYNC_PG_BIN": str(directory)}) == directory


def test_missing_binaries_fail_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ServerMissingError) as info:
        require_server_binaries({"RESTSYNC_PG_BIN": str(tmp_path)})
    assert not info.value.opted_out
    message = str(info.value)
    assert str(tmp_path) in message and "apt-get install postgresql-15" in message
    assert f"{OPT_OUT}=1" in message


def test_missing_binaries_skip_only_when_opted_out(tmp_path: Path) -> None:
    with pytest.raises(ServerMissingError) as info:
        require_server_binaries({"RESTSYNC_PG_BIN": str(tmp_path), OPT_OUT: "1"})
    assert info.value.opted_out
    with pytest.raises(ServerMissingError) as info:
        require_server_binaries({"RESTSYNC_PG_BIN": str(tmp_path), OPT_OUT: "yes"})
    assert not info.value.opted_out  # only the exact value opts out
