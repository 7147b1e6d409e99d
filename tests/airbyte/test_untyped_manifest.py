"""A manifest without ``type:`` at the top, as older Airbyte connector packages publish them:
the CDK reads it as ``DeclarativeSource``, and so does restsync (library and CLI), over real
HTTP into DuckDB. A dlt-dialect spec is never taken for one."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.cli.common import is_manifest_file
from restsync.sandbox import start_sandboxes
from restsync.spec.airbyte.manifest import is_manifest
from tests.airbyte.support import MANIFESTS, sandbox_config

runner = CliRunner()


def untyped(tmp_path: Path) -> Path:
    """Our email_events_api manifest with its top-level ``type:`` line removed."""
    text = (MANIFESTS / "email_events_api.yaml").read_text()
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("type:")]
    assert len(kept) == len(lines) - 1
    path = tmp_path / "untyped.yaml"
    path.write_text("".join(kept))
    return path


@pytest.mark.parametrize(("document", "expected"), [
    ({"type": "DeclarativeSource", "streams": []}, True),
    ({"version": "0.29.0", "check": {"stream_names": ["a"]}, "streams": [{}]}, True),
    ({"check": {}, "streams": {}}, False),  # streams must be a list
    ({"streams": [{}]}, False),  # no check: not enough to call it a manifest
    ({"type": "Other", "check": {}, "streams": [{}]}, False),
    ({"client": {"base_url": "x"}, "resources": ["a"]}, False),  # dlt's dialect
    (["streams", "check"], False),
])
def test_what_counts_as_a_manifest(document: object, expected: bool) -> None:
    assert is_manifest(document) is expected


def test_the_cli_detects_an_untyped_manifest_file_and_not_a_dlt_spec(tmp_path: Path) -> None:
    assert is_manifest_file(untyped(tmp_path))
    spec = tmp_path / "spec.yaml"
    spec.write_text("client:\n  base_url: http://127.0.0.1:1/\nresources:\n  - name: a\n"
                    "    endpoint: {path: a}\n# check: streams:\n")
    assert not is_manifest_file(spec)


def test_an_untyped_manifest_runs_end_to_end(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    manifest = untyped(tmp_path)
    with start_sandboxes(["email_events_api"]) as group:
        server = group["email_events_api"]
        config = tmp_path / "config.json"
        config.write_text(json.dumps(sandbox_config("email_events_api", server)))
        db = tmp_path / "out.duckdb"
        result = runner.invoke(app, ["run", str(manifest), "--config", str(config),
                                     "--destination", f"duckdb:///{db}", "--dataset", "mg"])
        assert result.exit_code == 0, result.output
        assert any(r.path.endswith("/domains") for r in server.requests)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mg'").fetchall()}
        assert {"domains", "events"} <= tables
        rows = con.execute("SELECT count(*) FROM mg.domains").fetchone()
    assert rows is not None and rows[0] > 0
