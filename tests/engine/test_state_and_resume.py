"""Engine state: clean stop before a long wait and resume, newest-first early stop,
per-parent incremental cursors. Real sandboxes over HTTP, real DuckDB files."""

from __future__ import annotations

import json
from pathlib import Path

from restsync.engine import Pipeline
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver
from tests.e2e.helpers import assert_ok


def state_of(run, resource: str, dataset: str | None = None) -> dict:
    rows = run.query(f"SELECT state FROM \"{dataset or run.name}\"._restsync_state "
                     f"WHERE resource = '{resource}'")
    return json.loads(rows[0][0]) if rows else {}


def test_max_wait_commits_what_was_fetched_and_the_next_run_resumes(seed_run) -> None:
    run = seed_run("marketing_api")
    ids = sorted(r["id"] for r in run.server.document_records()["email_clicks"])
    # page 3 answers 429; the document's prose policy waits 7200 s for 429s
    run.server.faults.add(r"/emailClick/", status=429, times=1,
                          query={"id_greater_than": str(ids[399])})
    source = run.source()
    first = Pipeline(destination=run.destination, events=run.events.append,
                     sleeper=run.sleeper, max_wait=60).run(source, resources=["email_clicks"])
    assert first.stopped == ["email_clicks"] and not first.failed
    assert run.sleeper.waits == []  # it did not sleep 7200 s
    assert run.count("email_clicks") == 400  # the two pages before the wait are committed
    assert "resume" in state_of(run, "email_clicks")

    assert_resumes_at_page_3(run, ids, lambda: run.run(resources=["email_clicks"]))


def assert_resumes_at_page_3(run, ids: list, rerun) -> None:
    """``rerun()`` after a stop before page 3 of email_clicks: it resumes there, and every
    record is loaded once."""
    calls_before = len(run.server.requests.matching("/emailClick/"))
    assert_ok(rerun())
    resumed = run.server.requests.matching("/emailClick/")[calls_before:]
    assert resumed[0].query.get("id_greater_than") == str(ids[399])  # resumed at page 3
    assert run.count("email_clicks") == len(ids)
    assert run.server.requests.duplicates("/emailClick/", status=200) == {}
    assert "resume" not in state_of(run, "email_clicks")


def test_newest_first_feed_stops_paging_at_the_saved_cursor(seed_run) -> None:
    run = seed_run("project_api")
    run.extra_overrides = ["resources.todos.incremental_sync.row_order=desc"]
    assert_ok(run.run(resources=["todos"]))
    first_pages = len(run.server.requests.matching("/v1/projects/recordings.json"))
    run.server.add_recordings(2)
    before = len(run.server.requests.matching("/v1/projects/recordings.json"))
    second = run.run(resources=["todos"])
    assert_ok(second)
    pages = len(run.server.requests.matching("/v1/projects/recordings.json")) - before
    assert pages == 1 < first_pages  # the new rows are on page 1; page 2 is never asked for
    assert run.count("todos") == len(run.server.recordings(since=run.server.config["start_date"]))


SPEC = """\
client:
  base_url: https://api.example.com
  auth: {type: bearer, token: "${secrets.api_key}"}
  paginator: {type: cursor, cursor_path: next_cursor, cursor_param: page_token}
resource_defaults:
  primary_key: id
  write_disposition: merge
  endpoint: {data_selector: data}
resources:
  - name: grants
    endpoint: {path: /v3/grants}
  - name: messages
    endpoint:
      path: "/v3/grants/{grant_id}/messages"
      incremental: {cursor_path: date}
"""


def test_child_resource_keeps_one_cursor_per_parent(seed_run, tmp_path: Path) -> None:
    run = seed_run("calendar_api")
    spec = tmp_path / "cal.yaml"
    spec.write_text(SPEC)
    source = load_spec(spec, overrides=run.server.overrides(),
                       values=ValueResolver.from_values(secrets=run.server.secrets))
    pipe = Pipeline(destination=run.destination, dataset_name="cal")
    assert_ok(pipe.run(source))
    per_parent = state_of(run, "messages", "cal")["incremental"]["per_parent"]
    expected = {}
    for grant in run.server.grant_ids():
        dates = [m["date"] for m in run.server.records_of(grant, "messages")]
        if dates:
            expected[json.dumps({"grant_id": grant}, separators=(",", ":"))] = max(dates)
    assert per_parent == expected
    # nothing changed: the second run keeps only each grant's boundary records (inclusive)
    again = pipe.run(source)
    assert_ok(again)
    boundary = sum(
        sum(1 for m in run.server.records_of(g, "messages") if m["date"] == expected[k])
        for g in run.server.grant_ids()
        if (k := json.dumps({"grant_id": g}, separators=(",", ":"))) in expected)
    assert again.outcomes["messages"].records == boundary
    assert run.count("messages", dataset="cal") == run.server.expected_records["messages"]


def test_shared_root_tables_are_found_by_table_family() -> None:
    from restsync.engine.runner import shared_root_tables

    assert shared_root_tables(["a", "b", "c"]) == set()
    assert shared_root_tables(["a", "b", "a"]) == {"a"}
    assert shared_root_tables(["a", "a__x", "ab"]) == {"a", "a__x"}
