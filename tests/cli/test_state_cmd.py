"""``restsync state show|reset`` against a real run's DuckDB file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from restsync.cli.app import app
from tests.e2e.helpers import assert_ok

runner = CliRunner()
SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"


def test_show_then_reset_one_resource(seed_run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = seed_run("project_api")
    assert_ok(run.run(resources=["todos", "messages"]))
    doc = str(SEEDS / "project_api.md")
    dest = ["--destination", run.destination]
    shown = runner.invoke(app, ["state", "show", doc, *dest], env={})
    assert shown.exit_code == 0, shown.output
    cursor = run.server.max_updated_at()[:19]
    assert shown.output.count(f"updated_at >= {cursor}") == 2, shown.output

    reset = runner.invoke(app, ["state", "reset", doc, *dest, "--resource", "todos"], env={})
    assert reset.exit_code == 0 and "todos" in reset.output
    after = runner.invoke(app, ["state", "show", doc, *dest], env={})
    assert after.output.count(f"updated_at >= {cursor}") == 1  # messages kept its cursor
    # data stays; the next run starts from start_date again and merges
    assert run.count("todos") > 0

    bad = runner.invoke(app, ["state", "reset", doc, *dest, "--resource", "nope"], env={})
    assert bad.exit_code != 0 and "unknown resource" in bad.output
