"""The command line: check shows inferences, run loads over real HTTP, exit codes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from restsync.cli.app import app, parse_params
from restsync.errors import ConfigError
from restsync.sandbox import start_sandboxes

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"
runner = CliRunner()


def env_for(server) -> dict[str, str]:
    return {k.upper(): v for k, v in {**server.secrets, **server.config}.items()}


def test_parse_params_fans_out_and_rejects_garbage() -> None:
    assert parse_params(["provider=google,microsoft", "x=1"]) == {
        "provider": ["google", "microsoft"], "x": ["1"]}
    with pytest.raises(ConfigError):
        parse_params(["no-equals-sign"])


def test_check_prints_plan_and_every_inference_without_network(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"CLIENT_ID": "a", "CLIENT_SECRET": "b", "REFRESH_TOKEN": "c"}
    result = runner.invoke(app, ["check", str(SEEDS / "marketing_api.md")], env=env)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "next cursor read from `nextPageUrl` (named in stop_condition)" in out
    assert "next cursor = `id` of the last record" in out
    assert "spec OK" in out


def test_check_lists_every_missing_secret_and_exits_2(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(SEEDS / "project_api.md")], env={})
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    for name in ("client_id", "client_secret", "refresh_token", "start_date"):
        assert f"'{name}'" in out
    # the plan is still shown, with the grandparent binding
    assert "`{schedule_id}` bound to `schedules.id`" in out


def test_check_reports_a_bad_override_path(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(SEEDS / "calendar_api.md"),
                                 "--set", "resources.nope.endpoint.path=/x"],
                           env={"API_KEY": "k"})
    assert result.exit_code == 2
    assert "nope" in result.output


@pytest.mark.parametrize("command", ["check", "run"])
def test_an_unknown_executor_is_refused_naming_the_known_ones(tmp_path, monkeypatch,
                                                                command) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [command, str(SEEDS / "calendar_api.md"),
                                 "--executor", "rayy"], env={"API_KEY": "k"})
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "unknown executor 'rayy'; known: in-process, ray" in out
    assert "--executor" in out
    assert "spec OK" not in out
    assert not (tmp_path / "restsync.duckdb").exists()  # nothing was run or opened


def test_run_loads_a_document_and_prints_the_summary(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["marketing_api"]) as group:
        server = group["marketing_api"]
        args = ["run", str(SEEDS / "marketing_api.md"),
                "--destination", f"duckdb:///{tmp_path / 'out.duckdb'}"]
        for o in server.overrides():
            args += ["--set", o]
        result = runner.invoke(app, args, env=env_for(server))
        assert result.exit_code == 0, result.output
        assert "email_clicks" in result.output and "completed" in result.output
        # secrets never reach the output
        for secret in server.secrets.values():
            assert secret not in result.output
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        [(n,)] = con.execute("SELECT count(*) FROM marketing_api.email_clicks").fetchall()
    finally:
        con.close()
    assert n == server.expected_records["email_clicks"]


def test_run_exits_1_when_a_resource_fails(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["email_events_api"]) as group:
        server = group["email_events_api"]
        server.faults.add(r"/v1/domains$", status=403, times=None)
        args = ["run", str(SEEDS / "email_events_api.md"), "--dataset", "ev",
                "--destination", f"duckdb:///{tmp_path / 'out.duckdb'}"]
        for o in server.overrides():
            args += ["--set", o]
        result = runner.invoke(app, args, env=env_for(server))
    assert result.exit_code == 1
    assert "domains" in result.output and "403" in result.output
    assert "run incomplete" in result.output


def test_check_lists_what_the_limits_changed_in_an_earlier_run(tmp_path, monkeypatch) -> None:
    """The destination is read (and its stages imported) only when it exists: this is the
    case where it does; tests/cli/test_startup_imports.py has the first-run one."""
    from restsync.load import open_destination
    from restsync.normalize import Normalizer, ShapeLimits

    monkeypatch.chdir(tmp_path)
    url = f"duckdb:///{tmp_path / 'earlier.duckdb'}"
    dest = open_destination(url, "ds")
    try:
        load = dest.begin("stats", load_id="L1", write_disposition="append", primary_key=None,
                          root_table="stats")
        norm = Normalizer(table_name="stats", primary_key=None, load_id="L1", resource="stats",
                          stored=load.stored_schema,
                          limits=ShapeLimits(max_columns=100, max_depth=8,
                                             columns_setting="client.limits.max_columns=100",
                                             depth_setting="client.limits.max_nesting_depth=8"))
        for batch in norm.normalize([{"id": 1, "counts": {f"u{i}": i for i in range(500)}}]):
            load.write(batch)
        load.commit(None)
    finally:
        dest.close()
    spec = tmp_path / "stats.json"
    spec.write_text('{"client": {"base_url": "http://127.0.0.1:9/"}, "resources": ["stats"]}')
    result = runner.invoke(app, ["check", str(spec), "--destination", url, "--dataset", "ds"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "seen in earlier runs:" in out
    assert ("resource `stats`, table `stats`: column `counts` (`counts`) is kept as JSON since "
            "a run found it too wide") in out
    first = runner.invoke(app, ["check", str(spec), "--dataset", "ds"])  # no restsync.duckdb
    assert first.exit_code == 0, first.output
    assert "seen in earlier runs" not in first.output
    assert not (tmp_path / "restsync.duckdb").exists()  # check created no destination


def test_schema_summary_counts_new_tables_and_spells_out_column_changes() -> None:
    from restsync.cli.render import schema_summary

    changes = ["new table a", "new table a__b", "new column a.x (bigint, from `x`)",
               "a.v: bigint -> double", "a.w: description changed", "new column a.y (text)"]
    assert schema_summary(changes) == (
        "schema: 2 new tables; new column a.x (bigint, from `x`); a.v: bigint -> double; "
        "a.w: description changed; +1 more changes")
    assert schema_summary(["new table a"]) == "schema: 1 new table"
