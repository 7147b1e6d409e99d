"""Our manifests of the five sandboxes (tests/airbyte/manifests), run end to end over real
HTTP into DuckDB: exact rows per stream, the requests the CDK's rules make, incremental
re-runs, secrets kept out of the tables and events."""

from __future__ import annotations

import base64

import pytest

from tests.airbyte.support import ManifestRun
from tests.e2e.helpers import assert_ok, assert_one_refresh_grant

pytestmark = pytest.mark.slow


def assert_counts(run: ManifestRun, expected: dict[str, int]) -> None:
    info = run.run()
    assert_ok(info)
    assert {name: run.count(name) for name in expected} == expected
    assert {name: info.outcomes[name].tables[name] for name in expected} == expected


def test_email_events_offset_and_next_url_paging(manifest_run) -> None:
    run = manifest_run("email_events_api")
    assert_counts(run, run.server.expected_records)
    log = run.server.requests
    domains = [r.query for r in log.matching("/v1/domains")]
    # OffsetIncrement: no token on the first request, then the records read so far
    assert domains == [{"limit": "1000"}, {"limit": "1000", "skip": "1000"},
                       {"limit": "1000", "skip": "2000"}]
    events = log.matching("/v1/events")
    # the next URL is followed as the path; the requester's own parameter is kept
    assert len(events) == 1234 // 300 + 2  # pages of 300, then the empty page ends it
    assert all(r.query.get("limit") == "300" for r in events)
    assert all(r.query.get("from") for r in events[1:])
    expected_auth = "Basic " + base64.b64encode(
        f"api:{run.server.secrets['private_key']}".encode()).decode()
    assert log.authorization_headers() == {expected_auth}


def test_calendar_substreams_list_router_and_added_fields(manifest_run) -> None:
    run = manifest_run("calendar_api")
    assert_counts(run, run.server.expected_records)
    # one request sequence per grant and collection, the cursor sent back as page_token
    log = run.server.requests
    grants = run.server.grant_ids()  # type: ignore[attr-defined]
    calendars = log.matching(path_regex=r"^/v3/grants/[^/]+/calendars$")
    assert {r.path.split("/")[3] for r in calendars} == set(grants)
    assert all(r.query.get("limit") == "200" for r in calendars)
    # ListPartitionRouter over the configured providers; AddFields copies the partition
    rows = run.query("SELECT provider, count(*) FROM calendar_api.credentials GROUP BY 1")
    served: dict[str, int] = {}
    for record in run.server.document_records()["credentials"]:
        provider = record["name"].split(" ")[0]
        served[provider] = served.get(provider, 0) + 1
    assert dict(rows) == served
    assert log.authorization_headers() == {f"Bearer {run.server.secrets['api_key']}"}


def test_email_oauth_refresh_once_and_details_per_parent_record(manifest_run) -> None:
    run = manifest_run("email_api")
    assert_counts(run, run.server.expected_records)
    assert_one_refresh_grant(run)
    log = run.server.requests
    assert log.count("/v1/users/me/messages/", server="api") == \
        run.server.expected_records["messages"]
    assert all(r.query.get("maxResults") == "500"
               for r in log.matching("/v1/users/me/drafts", server="api"))


def test_marketing_next_url_and_last_record_cursor(manifest_run) -> None:
    run = manifest_run("marketing_api")
    assert_counts(run, run.server.expected_records)
    clicks = run.server.requests.matching("/emailClick/version/4/do/query", server="api")
    ids = sorted(r["id"] for r in run.server.document_records()["email_clicks"])
    # id_greater_than = the last record's id of the page before; no token at first
    sent = [r.query.get("id_greater_than") for r in clicks]
    assert sent == [None, *(str(ids[i]) for i in range(199, len(ids), 200))]


def test_project_substream_of_substream_and_data_feed(manifest_run) -> None:
    run = manifest_run("project_api")
    server = run.server
    expected = {
        "projects": server.expected_records["projects"],
        "schedules": len(server.schedule_ids()),  # type: ignore[attr-defined]
        "schedule_entries": server.expected_records["schedule_entries"],
        "todos": len(server.recordings(type="Todo")),  # type: ignore[attr-defined]
        "messages": len(server.recordings(type="Message")),  # type: ignore[attr-defined]
    }
    assert_counts(run, expected)
    # AddFields value_type integer, and a mapping built by a template
    rows = run.query("SELECT DISTINCT typeof(project_id) FROM project_api.schedules")
    assert rows == [("BIGINT",)]


def test_project_incremental_rerun_reads_only_the_new_page(manifest_run) -> None:
    run = manifest_run("project_api", recordings_page_size=10)
    assert_ok(run.run(["todos"]))
    total = run.count("todos")
    assert total == len(run.server.recordings(type="Todo"))  # type: ignore[attr-defined]
    touched = run.server.touch_recordings(2, type="Todo")  # type: ignore[attr-defined]
    run.server.requests.clear()
    info = run.run(["todos"])
    assert_ok(info)
    # newest first: the first page's last record is older than the stored cursor: stop
    pages = run.server.requests.matching("/v1/projects/recordings.json")
    assert len(pages) == 1
    assert run.count("todos") == total  # merged on the primary key
    edited = run.query("SELECT id FROM project_api.todos WHERE title LIKE '%(edited)'")
    assert sorted(r[0] for r in edited) == sorted(touched)


def test_secrets_stay_out_of_tables_and_events(manifest_run) -> None:
    run = manifest_run("email_api")
    assert_ok(run.run())
    secrets = [v for v in run.server.secrets.values() if len(v) >= 6]
    text = "\n".join(repr(e) for e in run.events)
    for secret in secrets:
        assert secret not in text
    for (table,) in run.query("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = 'email_api'"):
        dump = repr(run.query(f'SELECT * FROM email_api."{table}"'))
        for secret in secrets:
            assert secret not in dump, table
    assert all(s not in repr(run.source()) for s in secrets)
