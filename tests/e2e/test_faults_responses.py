"""Bad responses end to end: sandbox fault injection -> typed, located error; others commit.

The email events sandbox pages `domains` with an offset (`skip`, 1,000 per page) and `events`
by following `paging.next` URLs; a fault hits page 2 of `domains` only.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from restsync.events import ResourceFailed

PAGE_2 = {"skip": "1000"}


def fault_body(run: Any, kind: str) -> dict[str, Any]:
    """Arguments of FaultInjector.add for one bad-response kind."""
    json_type = {"Content-Type": "application/json"}
    return {
        "invalid_json": {"kind": "invalid_json"},
        "html_200": {"kind": "html"},
        "wrong_content_type": {"status": 200, "body": b"id,name\n1,a\n",
                               "headers": {"Content-Type": "text/csv"}},
        "missing_selector": {"status": 200, "body": orjson.dumps({"domains": [{"id": 1}]}),
                             "headers": json_type},
        "not_a_list": {"status": 200, "body": orjson.dumps({"items": "none today"}),
                       "headers": json_type},
    }[kind]


EXPECTED = {
    "invalid_json": ("ResponseError", "not valid JSON"),
    "html_200": ("ResponseError", "expected JSON, got text/html"),
    "wrong_content_type": ("ResponseError", "content type text/csv"),
    "missing_selector": ("ResponseError", "data_selector `items`"),
    "not_a_list": ("ResponseError", "data_selector `items`"),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_bad_page_fails_its_resource_only_with_a_located_error(seed_run, kind: str) -> None:
    run = seed_run("email_events_api", domains=1200, events=150)
    run.server.faults.add(r"/v1/domains$", query=PAGE_2, times=None, **fault_body(run, kind))
    info = run.run()
    assert info.failed == ["domains"]
    error = info.outcomes["domains"].error or ""
    cls, fragment = EXPECTED[kind]
    assert fragment in error
    assert "resource 'domains', page 2, GET http://127.0.0.1:" in error and "skip=1000" in error
    [failed] = [e for e in run.events if isinstance(e, ResourceFailed)]
    assert failed.kind == cls
    # nothing of the failed resource committed; the other one complete
    assert "domains" not in run.tables()
    assert run.count("events") == run.server.expected_records["events"]
    assert run.server.secrets["private_key"] not in error


def test_truncated_body_is_retried_then_a_transport_error(seed_run) -> None:
    run = seed_run("email_events_api", domains=1200, events=150)
    run.server.faults.add(r"/v1/domains$", query=PAGE_2, kind="truncated", times=None)
    info = run.run()
    assert info.failed == ["domains"]
    error = info.outcomes["domains"].error or ""
    assert "truncated body" in error and "gave up after 4 attempt(s)" in error
    assert "resource 'domains', page 2" in error
    [failed] = [e for e in run.events if isinstance(e, ResourceFailed)]
    assert failed.kind == "TransportError"
    assert run.count("events") == run.server.expected_records["events"]


def test_truncated_body_once_is_survived(seed_run) -> None:
    run = seed_run("email_events_api", domains=1200, events=150)
    fault = run.server.faults.add(r"/v1/domains$", query=PAGE_2, kind="truncated", times=1)
    info = run.run()
    assert info.ok and fault.fired == 1
    assert run.count("domains") == run.server.expected_records["domains"]


def test_repeating_cursor_is_a_pagination_error(seed_run) -> None:
    run = seed_run("email_events_api", domains=1200, events=150)
    first = run.run(resources=["events"])
    assert first.ok
    second_page = next(r for r in run.server.requests
                       if r.path == "/v1/events" and "from" in r.query)
    run.server.requests.clear()
    # page 2 answers with a next link to itself
    body = {"items": [{"id": "dup", "timestamp": 1.0, "event": "x"}],
            "paging": {"next": second_page.url}}
    run.server.faults.add(r"/v1/events$", query={"from": second_page.query["from"]},
                          status=200, body=orjson.dumps(body),
                          headers={"Content-Type": "application/json"}, times=None)
    info = run.run(resources=["events"])
    assert info.failed == ["events"]
    error = info.outcomes["events"].error or ""
    assert "same next-page URL twice" in error and "resource 'events', page 2" in error
