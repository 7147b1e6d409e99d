"""``run --record`` then ``run --replay`` / ``preview --replay`` without the API and without
its secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.sandbox import start_sandboxes
from tests.table_snapshot import assert_same_tables, snapshot

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"
DOC = str(SEEDS / "marketing_api.md")
runner = CliRunner()


def test_record_then_replay_offline_without_secrets(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["marketing_api"]) as group:
        server = group["marketing_api"]
        sets = [arg for o in server.overrides() for arg in ("--set", o)]
        env = {k.upper(): v for k, v in {**server.secrets, **server.config}.items()}
        recorded = runner.invoke(app, ["run", DOC, "--record", "tape", "--destination",
                                       "duckdb:///rec.duckdb", *sets], env=env)
        assert recorded.exit_code == 0, recorded.output
    replayed = runner.invoke(app, ["run", DOC, "--replay", "tape", "--destination",
                                   "duckdb:///rep.duckdb", *sets], env={})
    assert replayed.exit_code == 0, replayed.output
    assert_same_tables(snapshot(tmp_path / "rec.duckdb", "marketing_api"),
                       snapshot(tmp_path / "rep.duckdb", "marketing_api"))

    preview = runner.invoke(app, ["preview", DOC, "--replay", "tape", "--pages", "1", *sets],
                            env={})
    assert preview.exit_code == 0, preview.output
    assert "/v5/objects/campaigns -> 200" in preview.output

    changed = runner.invoke(app, ["run", DOC, "--replay", "tape", "--destination",
                                  "duckdb:///other.duckdb", *sets,
                                  "--set", "resources.campaigns.endpoint.path=/v6/campaigns"],
                            env={})
    assert changed.exit_code == 1
    out = " ".join(changed.output.split())
    assert "the cassette has no answer to GET" in out and "/v6/campaigns" in out

    both = runner.invoke(app, ["run", DOC, "--replay", "tape", "--record", "x", *sets], env={})
    assert both.exit_code == 2 and "not both" in both.output
