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


def test_state_and_schema_show_the_same_on_delta_as_on_duckdb(seed_run, tmp_path,
                                                              monkeypatch) -> None:
    from restsync.engine import Pipeline

    monkeypatch.chdir(tmp_path)
    run = seed_run("project_api")
    doc = str(SEEDS / "project_api.md")
    delta = f"delta:///{tmp_path / 'lake'}"
    for destination in (run.destination, delta):
        info = Pipeline(destination=destination, sleeper=run.sleeper).run(
            run.source(), resources=["todos", "messages"])
        assert_ok(info)
    outputs = {}
    for destination in (run.destination, delta):
        shown = runner.invoke(app, ["state", "show", doc, "--destination", destination], env={})
        assert shown.exit_code == 0, shown.output
        schema = runner.invoke(app, ["schema", doc, "--resource", "todos", "--format", "json",
                                     "--destination", destination], env={})
        assert schema.exit_code == 0, schema.output
        outputs[destination] = (shown.output, schema.output)
    assert outputs[delta][0] == outputs[run.destination][0]
    assert "updated_at >= " in outputs[delta][0]
    import json

    duck_schema, delta_schema = (json.loads(outputs[d][1]) for d in (run.destination, delta))
    assert delta_schema == duck_schema
