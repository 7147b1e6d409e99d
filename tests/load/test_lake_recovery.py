"""Lake commits are exactly once: an interrupted commit is completed by the next open.

In process, fast: the commit is stopped right after its n-th table commit (for every n the
commit has), the destination is dropped without cleaning up, and a new one is opened. The
append load must then be there exactly once (rows, child rows, state, load record), and a
commit that got no further than its journal too. The crash harness does the same with real
SIGKILLs of the CLI (tests/reliability).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restsync import faultpoints
from restsync.load import open_destination
from restsync.normalize import Normalizer

from .conftest import DATASET, count, lake_url, rows, run_load

RECORDS = [{"id": i, "tags": ["a", "b"]} for i in range(3)]


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


def crash_at(monkeypatch: pytest.MonkeyPatch, point: str, n: int) -> None:
    seen = {"n": 0}
    real = faultpoints.reach

    def reach(name: str) -> None:
        if name == point:
            seen["n"] += 1
            if seen["n"] == n:
                raise Crash(f"{point}:{n}")
        real(name)

    monkeypatch.setattr(faultpoints, "reach", reach)


def load_once(url: str, monkeypatch: pytest.MonkeyPatch, point: str, n: int) -> bool:
    """One append load stopped at ``point:n``; whether it stopped there."""
    dest: Any = open_destination(url, DATASET)
    crash_at(monkeypatch, point, n)
    try:
        run_load(dest, "events", [RECORDS], disposition="append", state={"cursor": 3})
    except Crash:
        dest.lake.close()  # what the process's death does: the lock goes, nothing else
        return True
    finally:
        monkeypatch.undo()
    dest.close()
    return False


@pytest.mark.parametrize("scheme", ["delta", "iceberg", "parquet"])
def test_a_commit_stopped_after_any_table_commit_is_completed_exactly_once(
        scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 0
    stopped = True
    while stopped:
        n += 1
        url = lake_url(scheme, tmp_path / f"n{n}")
        stopped = load_once(url, monkeypatch, "lake.commit.table", n)
        dest: Any = open_destination(url, DATASET)  # completes the commit
        try:
            assert (count(dest, "events"), count(dest, "events__tags")) == (3, 6), n
            assert dest.get_state("events") == {"cursor": 3}, n
            assert [r["resource"] for r in dest.loads()] == ["events"], n
            assert not list(dest.lake.pending.glob("*.json"))
        finally:
            dest.close()
    assert n - 1 >= 6  # two data tables, schema, changes, load record, state


DAYS = [{"id": i, "day": f"d{i % 2}", "tags": [f"t{i}"]} for i in range(4)]


@pytest.mark.parametrize("scheme", ["delta", "iceberg"])
def test_a_merge_key_merge_stopped_after_any_table_commit_is_completed_exactly_once(
        scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The delete-insert steps of a merge on a merge key (roots by ``_dlt_id``, children by
    ``_dlt_root_id``) are completed once: day d0 is replaced, day d1 stays."""
    n = 0
    stopped = True
    while stopped:
        n += 1
        url = lake_url(scheme, tmp_path / f"n{n}")
        dest: Any = open_destination(url, DATASET)
        run_load(dest, "days", [DAYS], primary_key=None, merge_key=["day"])
        crash_at(monkeypatch, "lake.commit.table", n)
        try:
            run_load(dest, "days", [[{"id": 9, "day": "d0", "tags": ["new"]}]],
                     primary_key=None, merge_key=["day"], load_id="L2", state={"c": 2})
            stopped = False
        except Crash:
            dest.lake.close()
        finally:
            monkeypatch.undo()
        if not stopped:
            dest.close()
        dest = open_destination(url, DATASET)  # completes the commit
        try:
            assert sorted(rows(dest, "SELECT id, day FROM DS.days")) == [
                (1, "d1"), (3, "d1"), (9, "d0")], n
            assert sorted(rows(dest, "SELECT value FROM DS.days__tags")) == [
                ("new",), ("t1",), ("t3",)], n
            assert dest.get_state("days") == {"c": 2}, n
        finally:
            dest.close()
    assert n - 1 >= 2


@pytest.mark.parametrize("scheme", ["delta", "parquet"])
def test_a_commit_stopped_after_its_journal_is_completed_by_the_next_open(
        scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = lake_url(scheme, tmp_path)
    assert load_once(url, monkeypatch, "lake.journal.written", 1)
    dest: Any = open_destination(url, DATASET)
    try:
        assert (count(dest, "events"), count(dest, "events__tags")) == (3, 6)
        assert dest.get_state("events") == {"cursor": 3}
    finally:
        dest.close()


def test_a_load_stopped_before_its_journal_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = lake_url("delta", tmp_path)
    dest: Any = open_destination(url, DATASET)
    run_load(dest, "events", [RECORDS[:1]], disposition="append", state={"cursor": 1})
    dest.close()
    dest = open_destination(url, DATASET)
    load = dest.begin("other", load_id="L9", write_disposition="append", primary_key=None,
                      root_table="other")
    for batch in Normalizer(table_name="other", primary_key=None,
                            load_id="L9").normalize(RECORDS):
        load.write(batch)
    load._flush("other")  # staged on disk, never committed
    dest.lake.close()
    dest = open_destination(url, DATASET)
    try:
        assert dest.tables() == ["events", "events__tags"]
        assert dest.get_state("events") == {"cursor": 1}
        assert not any(dest.lake.staging.iterdir())  # the orphaned staging is gone
    finally:
        dest.close()


def test_an_interrupted_commit_blocks_further_commits_of_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from restsync.errors import DestinationError

    url = lake_url("delta", tmp_path)
    dest: Any = open_destination(url, DATASET)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(dest.fmt, "append", broken)
    with pytest.raises(DestinationError, match="commit interrupted: OSError: disk full"):
        run_load(dest, "events", [RECORDS], disposition="append", state={"cursor": 3})
    monkeypatch.undo()
    with pytest.raises(DestinationError, match="nothing more is committed until the next run"):
        run_load(dest, "other", [RECORDS], disposition="append")
    dest.close()
    dest = open_destination(url, DATASET)
    try:
        assert count(dest, "events") == 3 and dest.get_state("events") == {"cursor": 3}
    finally:
        dest.close()
