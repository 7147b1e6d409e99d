"""Seed project_api (004) as written: Link-header paging, dock.*, grandparent bindings,
404 for dock tools that are not schedules, incremental_sync on updated_at."""

from __future__ import annotations

from tests.e2e.helpers import (
    assert_complete_tables,
    assert_no_secret_in_urls,
    assert_ok,
)


def test_runs_as_written_into_complete_tables(seed_run) -> None:
    run = seed_run("project_api")
    info = run.run()
    assert_ok(info)
    assert_complete_tables(run, info)
    # the token endpoint lives on the API host; called once for the whole run
    assert run.server.requests.count(path_regex=r"/authorization/token$") == 1
    assert_no_secret_in_urls(run)


def test_dock_tools_that_are_not_schedules_are_skipped_and_counted(seed_run) -> None:
    run = seed_run("project_api")
    info = run.run(resources=["schedule_entries"])
    assert_ok(info)
    tools = run.server.document_records()["schedules"]
    not_schedules = [t for t in tools if t["name"] != "schedule"]
    outcome = info.outcomes["schedule_entries"]
    assert outcome.skipped_parents == len(not_schedules)
    assert outcome.items_total == len(tools)
    assert run.count("schedule_entries") == run.server.expected_records["schedule_entries"]
    # parents were extracted to feed the entries, not loaded
    assert info.outcomes["projects"].status == "extracted"
    assert "projects" not in run.tables()


def test_entries_carry_project_and_schedule_ids(seed_run) -> None:
    run = seed_run("project_api")
    assert_ok(run.run(resources=["projects", "schedules", "schedule_entries"]))
    pairs = set(run.query(
        "SELECT DISTINCT _projects_id, _schedules_id FROM project_api.schedule_entries"))
    assert pairs == {(p, s) for p, s in run.server.schedule_ids()
                     if run.server._entries[s]}
    # the URL used both: /v1/buckets/{project_id}/schedules/{schedule_id}/entries.json
    for p, s in run.server.schedule_ids():
        assert run.server.requests.count(f"/v1/buckets/{p}/schedules/{s}/entries.json") >= 1


def test_link_header_paging_requests_each_page_once(seed_run) -> None:
    run = seed_run("project_api")
    assert_ok(run.run(resources=["projects"]))
    calls = run.server.requests.matching("/v1/projects.json", status=200)
    assert len(calls) == -(-run.server.expected_records["projects"] // 3)
    assert len({r.query_string for r in calls}) == len(calls)


def test_incremental_second_run_starts_from_the_saved_cursor(seed_run) -> None:
    run = seed_run("project_api")
    first = run.run(resources=["todos"])
    assert_ok(first)
    start = run.server.config["start_date"]
    assert run.count("todos") == len(run.server.recordings(since=start))
    saved = run.query(
        "SELECT state FROM project_api._restsync_state WHERE resource = 'todos'")
    assert run.server.max_updated_at()[:19] in str(saved)
    previous_max = run.server.max_updated_at()

    touched = run.server.touch_recordings(3)   # the oldest ones, older than start_date
    added = run.server.add_recordings(2)
    second = run.run(resources=["todos"])
    assert_ok(second)
    # only records at or after the saved cursor were kept (inclusive: the boundary record
    # comes again and is merged), the rest of the feed was filtered out
    assert second.outcomes["todos"].records == len(
        run.server.recordings(since=previous_max, inclusive=True))
    assert run.count("todos") == len(run.server.recordings(since=start))
    ids = {r[0] for r in run.query("SELECT id FROM project_api.todos")}
    assert set(touched) | set(added) <= ids
