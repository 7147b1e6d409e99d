"""Transient faults end to end: 429 (both Retry-After forms), 5xx, resets, timeouts, 401.

Runs use the test-mode sleeper: waits are recorded, never slept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from restsync.engine import Pipeline
from restsync.events import Event, RetryScheduled, TokenRefreshed

from .helpers import assert_each_page_once, assert_ok

PAGE_2 = {"skip": "1000"}
SMALL = {"domains": 1200, "events": 150}


def test_429_retry_after_seconds(seed_run) -> None:
    run = seed_run("email_events_api", **SMALL)
    run.server.faults.add(r"/v1/domains$", status=429, query=PAGE_2, retry_after="7", times=2)
    info = run.run()
    assert_ok(info)
    assert run.sleeper.waits == [7.0, 7.0]
    assert run.count("domains") == run.server.expected_records["domains"]
    retries = [e for e in run.events if isinstance(e, RetryScheduled)]
    assert [(e.resource, e.attempt, e.max_attempts, e.reason) for e in retries] == \
        [("domains", 1, 4, "429 Too Many Requests"), ("domains", 2, 4, "429 Too Many Requests")]
    assert all("skip=1000" in e.url for e in retries)


def test_429_retry_after_http_date(seed_run) -> None:
    run = seed_run("email_events_api", **SMALL)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    run.server.faults.add(r"/v1/domains$", status=429, query=PAGE_2, retry_after=when, times=1)
    info = run.run()
    assert_ok(info)
    [wait] = run.sleeper.waits
    assert 80 <= wait <= 90  # the date, minus the second-precision and elapsed time


def test_5xx_backoff_and_giving_up(seed_run) -> None:
    run = seed_run("email_events_api", **SMALL)
    run.server.faults.add(r"/v1/domains$", status=503, query=PAGE_2, times=2)
    assert_ok(run.run())
    assert run.sleeper.waits == [2.0, 4.0]
    run.server.faults.clear()
    run.sleeper.waits.clear()
    run.server.faults.add(r"/v1/events$", status=502, times=None)
    info = run.run()
    assert info.failed == ["events"]
    assert "502 Bad Gateway (gave up after 4 attempt(s))" in (info.outcomes["events"].error or "")
    assert run.sleeper.waits == [2.0, 4.0, 8.0]


def test_connection_resets_are_retried(seed_run) -> None:
    run = seed_run("email_events_api", **SMALL)
    # aiohttp retries an idempotent request once by itself on a dropped connection: 2 resets
    # are needed for one retry of ours
    fault = run.server.faults.add(r"/v1/domains$", kind="reset", query=PAGE_2, times=4)
    info = run.run()
    assert_ok(info)
    assert fault.fired == 4
    assert info.outcomes["domains"].retries >= 1
    assert run.count("domains") == run.server.expected_records["domains"]
    assert_each_page_once(run)


def test_timeouts_are_retried(seed_run) -> None:
    run = seed_run("email_events_api", **SMALL)
    run.extra_overrides.append("client.timeout=0.08")
    fault = run.server.faults.add(r"/v1/events$", kind="delay", delay=0.12, times=1)
    info = run.run(resources=["events"])
    assert_ok(info)
    assert fault.fired == 1 and info.outcomes["events"].retries >= 1
    retries = [e for e in run.events if isinstance(e, RetryScheduled)]
    assert retries[0].reason.startswith("transport: timeout after 0.08 s")
    assert run.count("events") == run.server.expected_records["events"]


def test_401_mid_paging_refreshes_once_and_replays_the_page(seed_run) -> None:
    run = seed_run("project_api")
    # a token is good for 60 calls server side: expiry in the middle of paging, while a
    # replayed request still gets through with the renewed token (a use-count expiry is a
    # sandbox stand-in for a time expiry; requests queued for a slot also use up the token)
    run.server.tokens.max_uses = 60
    info = run.run()
    assert_ok(info)
    for resource, expected in run.server.expected_records.items():
        if resource in info.outcomes:
            assert info.outcomes[resource].records == expected, resource
    unauthorized = run.server.requests.count(status=401, server="api")
    refreshes = [e for e in run.events if isinstance(e, TokenRefreshed) and e.reason == "401"]
    assert unauthorized >= 1 and 1 <= len(refreshes) <= unauthorized
    # the replayed list pages were not fetched twice (todos and messages share one URL as
    # written, so only the projects list is checked)
    for prefix in ("/v1/projects.json", "/v1/buckets/"):
        assert run.server.requests.duplicates(prefix, status=200, server="api") == {}


def test_failed_refresh_is_an_auth_error_without_a_loop(seed_run) -> None:
    run = seed_run("project_api")
    run.server.tokens.max_uses = 2
    events: list[Event] = []

    def sink(event: Event) -> None:
        events.append(event)
        if isinstance(event, TokenRefreshed) and event.reason == "initial":
            # from now on the token endpoint refuses (a revoked refresh token)
            run.server.faults.add(r"/authorization/token$", status=400, times=None,
                                  body=b'{"error": "invalid_grant"}')
    pipe = Pipeline(destination=run.destination, events=sink, sleeper=run.sleeper)
    info = pipe.run(run.source())
    assert not info.ok
    errors = [o.error or "" for o in info.outcomes.values() if o.status == "failed"]
    assert errors and any("invalid_grant" in e or "token" in e.lower() for e in errors)
    token_calls = run.server.requests.count("/authorization/token")
    assert token_calls == 2  # the initial token and ONE refresh attempt, no loop
    # one 401 per request that held the expired token when it went out; none is repeated
    unauthorized = run.server.requests.matching(status=401, server="api")
    assert 1 <= len(unauthorized) <= 20
    failed = [o for o in info.outcomes.values() if o.status == "failed"]
    assert all("resource '" in (o.error or "") for o in failed)
    assert run.server.secrets["refresh_token"] not in " ".join(errors)
