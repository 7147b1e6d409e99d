"""Run history end to end: seed runs over real HTTP into DuckDB, PostgreSQL and a Parquet lake;
``restsync runs`` lists them newest first with figures that match the tables and the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.engine import Pipeline
from restsync.engine.runs import find_run, list_runs
from restsync.errors import DestinationError
from tests.e2e.helpers import assert_ok
from tests.secret_scan import secret_found, used_secrets

PAGE_2 = {"skip": "1000"}
SIZE = {"domains": 1200, "events": 150}
cli = CliRunner()


def runs_json(*args: str) -> list[dict[str, Any]]:
    result = cli.invoke(app, ["runs", *args, "--json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def stored_states(run: Any) -> dict[str, Any]:
    rows = run.query(f'SELECT resource, state FROM "{run.name}"._restsync_state')
    return {r: json.loads(s) for r, s in rows}


@pytest.mark.slow
def test_runs_lists_each_run_newest_first_with_what_it_did(seed_run) -> None:
    run = seed_run("email_events_api", **SIZE)
    run.server.faults.add(r"/v1/domains$", query=PAGE_2, status=429, times=1)
    assert_ok(run.run())
    states_after_first = stored_states(run)
    requests_first = len(run.server.requests)
    run.server.faults.add(r"/v1/domains$", query=PAGE_2, kind="invalid_json", times=None)
    second = run.run()
    assert second.failed == ["domains"]

    newest, oldest = runs_json("--destination", run.destination)
    assert (newest["status"], oldest["status"]) == ("failed", "completed")
    assert newest["started_at"] > oldest["started_at"]
    assert newest["dataset"] == oldest["dataset"] == run.name

    # the first run: figures from the server and the tables
    first = oldest["resources"]
    assert first["domains"]["throttled"] == 1 and first["domains"]["retries"] >= 1
    assert oldest["totals"]["throttled"] == 1
    assert oldest["totals"]["requests"] == requests_first
    for name in ("domains", "events"):
        assert first[name]["status"] == "completed"
        assert first[name]["records"] == run.server.expected_records[name]
        assert first[name]["tables"][name] == run.server.expected_records[name]
        assert first[name]["state_after"] == states_after_first.get(name, {})
        assert first[name]["pages"] >= 2 and first[name]["requests"] >= first[name]["pages"]
    assert first["domains"]["waits"][0][2].startswith("429")
    assert any("new table domains" in c for c in first["domains"]["schema_changes"])
    assert oldest["executor"]["restsync"] and oldest["mode"] == "run"

    # the second run: the failed resource with its located error, the other one committed
    failed = newest["resources"]["domains"]
    assert failed["status"] == "failed" and "resource 'domains', page 2" in failed["error"]
    assert newest["resources"]["events"]["status"] == "completed"
    assert newest["resources"]["events"]["state_before"] == \
        first["events"]["state_after"]

    text = json.dumps([newest, oldest])
    for secret in used_secrets(run.server):
        assert not secret_found(text, secret)

    assert [r["run_id"] for r in runs_json("--destination", run.destination, "--last", "1")] \
        == [newest["run_id"]]
    table = cli.invoke(app, ["runs", "--destination", run.destination])
    assert table.exit_code == 0 and newest["run_id"] in table.stdout
    assert "failed" in table.stdout and "completed" in table.stdout


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["postgresql", "delta"])
def test_history_is_kept_in_postgres_and_lake_destinations(
        seed_run, scheme: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    run = seed_run("email_api")
    url = str(request.getfixturevalue("pg_database_url")) if scheme == "postgresql" \
        else f"delta:///{tmp_path / 'lake'}"
    info = Pipeline(destination=url, sleeper=run.sleeper).run(run.source())
    assert_ok(info)
    [found] = list_runs(url)
    assert found["run_id"] == info.load_id and found["status"] == "completed"
    assert {n: r["tables"] for n, r in found["resources"].items()} == \
        {n: o.tables for n, o in info.outcomes.items() if o.status != "extracted"} | \
        {n: {} for n, o in info.outcomes.items() if o.status == "extracted"}
    password = urlsplit(url).password
    assert found["destination"] == (url.replace(f":{password}@", ":***@") if password else url)
    run_doc, siblings = find_run(url, found["dataset"], info.load_id)
    assert run_doc["run_id"] == info.load_id and [s["run_id"] for s in siblings] == [info.load_id]


def test_unknown_dataset_and_run_are_named(seed_run) -> None:
    run = seed_run("email_api")
    assert_ok(run.run())
    result = cli.invoke(app, ["runs", "--destination", run.destination, "--dataset", "nope"])
    message = " ".join(result.stderr.split())
    assert result.exit_code == 1 and f"destination {run.destination}" in message
    assert "dataset 'nope' has no run history" in message
    assert "datasets with a history: email_api" in message
    with pytest.raises(DestinationError, match=r"no run 'r-404'.*newest runs: "):
        find_run(run.destination, None, "r-404")
    result = cli.invoke(app, ["runs", "--destination", run.destination, "--last", "0"])
    assert result.exit_code == 1 and "--last 0" in result.stderr


SEEDS = ["email_api", "calendar_api", "email_events_api", "marketing_api", "project_api"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_every_seed_run_is_listed_and_reported(seed_run, seed: str, tmp_path: Path) -> None:
    run = seed_run(seed)
    info = run.run()
    assert_ok(info)
    [found] = runs_json("--destination", run.destination)
    assert found["run_id"] == info.load_id and found["status"] == "completed"
    for name, outcome in info.outcomes.items():
        recorded = found["resources"][name]
        assert (recorded["status"], recorded["records"], recorded["pages"],
                recorded["requests"], recorded["tables"]) == \
            (outcome.status, outcome.records, outcome.pages, outcome.requests, outcome.tables)
        assert recorded["fetched"] >= recorded["records"]  # kept after filters <= on the pages
        for table, rows in outcome.tables.items():
            assert run.count(table) == rows if outcome.status == "completed" else True
    stored = stored_states(run)
    for name, state in stored.items():
        assert found["resources"][name]["state_after"] == state
    out = tmp_path / "report.html"
    result = cli.invoke(app, ["report", "--destination", run.destination, "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    for outcome in info.outcomes.values():
        for table, rows in outcome.tables.items():
            assert f"<td class='num' data-table='{table}'>{rows}</td>" in html
    for secret in used_secrets(run.server):
        assert not secret_found(html, secret) and not secret_found(json.dumps(found), secret)
