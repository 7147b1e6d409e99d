"""Seed email_events_api (002) as written: basic auth, offset paging without total, URL cursors."""

from __future__ import annotations

import base64

from tests.e2e.helpers import (
    assert_complete_tables,
    assert_each_page_once,
    assert_no_secret_in_urls,
    assert_ok,
)


def test_runs_as_written_into_complete_tables(seed_run) -> None:
    run = seed_run("email_events_api")
    info = run.run()
    assert_ok(info)
    assert_complete_tables(run, info)
    # hyphenated JSON keys become dlt-style snake_case columns
    cols = {r[0] for r in run.query(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'email_events_api' AND table_name = 'events'")}
    assert any(c.startswith("delivery_status__") for c in cols), sorted(cols)
    assert "recipient_domain" in cols and "log_level" in cols


def test_basic_auth_offset_pages_and_followed_next_urls(seed_run) -> None:
    run = seed_run("email_events_api")
    assert_ok(run.run())
    log = run.server.requests
    expected_auth = "Basic " + base64.b64encode(
        f"api:{run.server.secrets['private_key']}".encode()).decode()
    assert log.authorization_headers("api") == {expected_auth}
    # domains: no total in the body, so paging stops on the first short page
    skips = [r.query.get("skip") for r in log.matching("/v1/domains")]
    assert skips == ["0", "1000", "2000"]
    assert all(r.query.get("limit") == "1000" for r in log.matching("/v1/domains"))
    # events: paging.next is a full URL, followed as given (never sent as `from=<url>`);
    # it is present on the last page too: the empty page ends paging, and is asked for once
    events = log.matching("/v1/events")
    assert not [r for r in events if r.query.get("from", "").startswith("http")]
    assert len(events) == info_pages(run)
    assert_each_page_once(run)
    assert_no_secret_in_urls(run)


def info_pages(run) -> int:
    expected = run.server.expected_records["events"]
    size = run.server.events_page_size
    return -(-expected // size) + 1  # full pages, the short one, then one empty page


def test_second_run_merges_on_id(seed_run) -> None:
    run = seed_run("email_events_api")
    assert_ok(run.run())
    counts = {t: run.count(t) for t in run.tables()}
    assert_ok(run.run())
    assert {t: run.count(t) for t in run.tables()} == counts
