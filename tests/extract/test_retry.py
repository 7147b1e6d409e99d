"""Retry policy in test mode (RecordingSleeper: no real sleeping, waits recorded)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from restsync.errors import FatalError, HTTPStatusError, RetriableError
from restsync.events import RetryScheduled
from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper, Request
from restsync.extract.retry import RetryPolicy, parse_retry_after
from restsync.spec.model import RetryConfig, RetryRule

from .conftest import EventLog, client_config, endpoint, reply

EP = endpoint(path="/items", data_selector="data")


def failing_then_ok(statuses: list[int | None], headers: dict[str, str] | None = None) -> Any:
    """Handler answering the given statuses (None = transport failure), then 200."""
    remaining = list(statuses)

    def handler(request: Request) -> Any:
        if remaining:
            status = remaining.pop(0)
            if status is None:
                raise RetriableError("connection reset", status=None)
            return reply({"error": "busy"}, status=status, **(headers or {}))
        return reply({"data": [{"id": 1}]})
    return handler


async def run(handler: Any, sleeper: RecordingSleeper, events: EventLog | None = None,
              **config: Any) -> tuple[list[Any], ApiClient]:
    client = ApiClient(client_config(**config), transport=MemoryTransport(handler),
                       sleeper=sleeper, events=events if events is not None else EventLog())
    async with client:
        pages = [p async for p in client.pages(resource="items", endpoint=EP, paginator=None)]
    return pages, client


async def test_default_policy_waits_2_4_8_then_succeeds() -> None:
    sleeper = RecordingSleeper()
    events = EventLog()
    pages, client = await run(failing_then_ok([503, 502, 500]), sleeper, events)
    assert sleeper.waits == [2.0, 4.0, 8.0]
    assert pages[0].records == [{"id": 1}]
    assert client.stats["items"].retries == 3
    assert client.stats["items"].requests == 4
    scheduled = events.of(RetryScheduled)
    assert [(e.attempt, e.max_attempts) for e in scheduled] == [(1, 4), (2, 4), (3, 4)]
    assert scheduled[0].reason == "503 Service Unavailable"


async def test_gives_up_after_max_retries_with_status_error() -> None:
    sleeper = RecordingSleeper()
    with pytest.raises(HTTPStatusError) as info:
        await run(failing_then_ok([429] * 10), sleeper)
    assert info.value.status == 429
    assert sleeper.waits == [2.0, 4.0, 8.0]
    assert "gave up after 4 attempt(s)" in str(info.value)
    assert "resource 'items', page 1, GET https://api.test/v1/items" in str(info.value)


async def test_retry_after_seconds_wins() -> None:
    sleeper = RecordingSleeper()
    await run(failing_then_ok([429], {"Retry-After": "17"}), sleeper)
    assert sleeper.waits == [17.0]


def test_retry_after_http_date() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("2.5", now) == 2.5


async def test_retry_after_http_date_through_client() -> None:
    sleeper = RecordingSleeper()
    client = ApiClient(client_config(), sleeper=sleeper, transport=MemoryTransport(
        failing_then_ok([503], {"Retry-After": "Wed, 01 May 2024 12:01:00 GMT"})))
    client._policy.wall_clock = lambda: datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    async with client:
        _ = [p async for p in client.pages(resource="items", endpoint=EP, paginator=None)]
    assert sleeper.waits == [60.0]


async def test_total_time_bound_stops_retrying() -> None:
    sleeper = RecordingSleeper()
    with pytest.raises(HTTPStatusError, match="max_total_seconds=5"):
        await run(failing_then_ok([500] * 10), sleeper,
                  retry={"rules": [{"statuses": [500], "max_retries": 10}],
                         "max_total_seconds": 5})
    assert sleeper.waits == [2.0]  # 2 fits; 2 + 4 > 5


async def test_transport_errors_are_retried_then_fatal() -> None:
    sleeper = RecordingSleeper()
    pages, _ = await run(failing_then_ok([None, None]), sleeper)
    assert sleeper.waits == [2.0, 4.0] and pages[0].records
    sleeper = RecordingSleeper()
    with pytest.raises(FatalError, match="transport: connection reset; gave up"):
        await run(failing_then_ok([None] * 9), sleeper)
    assert len(sleeper.waits) == 3


async def test_seed_003_composite_rules() -> None:
    retry = {"rules": [{"statuses": [429], "constant": 7200, "max_retries": 12},
                       {"statuses": [500, 502, 503, 504, "transport"], "backoff_factor": 3,
                        "max_retries": 10}]}
    sleeper = RecordingSleeper()
    await run(failing_then_ok([429, 500, 429, 500]), sleeper, retry=retry)
    assert sleeper.waits == [7200.0, 3.0, 7200.0, 6.0]


async def test_non_retriable_status_fails_at_once_with_redacted_excerpt() -> None:
    sleeper = RecordingSleeper()

    def handler(request: Request) -> Any:
        return reply({"error": "bad param", "echo": "sekrit-token-value"}, status=400)
    with pytest.raises(HTTPStatusError) as info:
        await run(handler, sleeper, auth={"type": "bearer", "token": "sekrit-token-value"})
    assert info.value.status == 400 and sleeper.waits == []
    assert "bad param" in str(info.value)
    assert "sekrit-token-value" not in str(info.value)


async def test_response_actions_ignore_retry_fail() -> None:
    ignore = endpoint(path="/items", data_selector="data",
                      response_actions=[{"status_code": 404, "action": "ignore"}])
    client = ApiClient(client_config(), transport=MemoryTransport(lambda r: reply({}, status=404)),
                       sleeper=RecordingSleeper())
    async with client:
        assert [p async for p in client.pages(resource="x", endpoint=ignore, paginator=None)] == []

    sleeper = RecordingSleeper()
    calls = []

    def quota(request: Request) -> Any:
        calls.append(1)
        if len(calls) == 1:
            return reply({"data": [], "msg": "quota exceeded"})
        return reply({"data": [{"id": 1}]})
    retry_ep = endpoint(path="/items", data_selector="data",
                        response_actions=[{"content": "quota exceeded", "action": "retry"}])
    client = ApiClient(client_config(), transport=MemoryTransport(quota), sleeper=sleeper)
    async with client:
        pages = [p async for p in client.pages(resource="x", endpoint=retry_ep, paginator=None)]
    assert pages[0].records == [{"id": 1}] and sleeper.waits == [2.0]

    fail_ep = endpoint(path="/items", data_selector="data",
                       response_actions=[{"content": "maintenance", "action": "fail"}])
    client = ApiClient(client_config(), sleeper=RecordingSleeper(),
                       transport=MemoryTransport(lambda r: reply({"data": [], "m": "maintenance"})))
    async with client:
        with pytest.raises(HTTPStatusError, match="response action"):
            _ = [p async for p in client.pages(resource="x", endpoint=fail_ep, paginator=None)]


def test_backoff_cap_and_jitter() -> None:
    policy = RetryPolicy(RetryConfig(rules=[RetryRule(statuses=[500], max_wait=5, jitter=0.5)]),
                         rng=lambda: 1.0)
    rule = policy.config.rules[0]
    assert policy.backoff(rule, 1) == 3.0  # 2 + 50% jitter
    assert policy.backoff(rule, 4) == 7.5  # 16 capped to 5, + 50%


async def test_transport_failures_follow_the_5xx_rule_when_not_named() -> None:
    sleeper = RecordingSleeper()
    retry = {"rules": [{"statuses": [429, 503], "max_retries": 5, "backoff_factor": 1}]}
    pages, _ = await run(failing_then_ok([None, None, None]), sleeper, retry=retry)
    assert sleeper.waits == [1.0, 2.0, 4.0] and pages[0].records


async def test_transport_failures_not_retried_without_a_5xx_rule() -> None:
    from restsync.errors import TransportError
    sleeper = RecordingSleeper()
    with pytest.raises(TransportError, match="resource 'items', page 1"):
        await run(failing_then_ok([None]), sleeper, retry={"rules": [{"statuses": [429]}]})
    assert sleeper.waits == []


async def test_gave_up_transport_error_is_typed() -> None:
    from restsync.errors import TransportError
    sleeper = RecordingSleeper()
    with pytest.raises(TransportError, match="gave up after 4 attempt"):
        await run(failing_then_ok([None] * 5), sleeper)


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_client_errors_fail_fast_with_status(status: int) -> None:
    sleeper = RecordingSleeper()
    with pytest.raises(HTTPStatusError) as info:
        await run(failing_then_ok([status]), sleeper)
    assert info.value.status == status and sleeper.waits == []
    assert info.value.location is not None and "page 1" in info.value.location


async def test_seed_003_policy_in_test_mode_records_7200s_waits() -> None:
    retry = {"rules": [{"statuses": [429], "constant": 7200, "max_retries": 12},
                       {"statuses": [500, 502, 503, 504, "transport"], "backoff_factor": 3,
                        "max_retries": 10}]}
    sleeper = RecordingSleeper()
    events = EventLog()
    with pytest.raises(HTTPStatusError, match="gave up after 13 attempt"):
        await run(failing_then_ok([429] * 20), sleeper, events, retry=retry)
    assert sleeper.waits == [7200.0] * 12
    scheduled = events.of(RetryScheduled)
    assert (scheduled[-1].attempt, scheduled[-1].max_attempts) == (12, 13)
    assert scheduled[0].resource == "items" and scheduled[0].reason == "429 Too Many Requests"


async def test_jitter_spreads_waits_within_bounds() -> None:
    retry = {"rules": [{"statuses": [503], "max_retries": 3, "backoff_factor": 2, "jitter": 0.5}]}
    sleeper = RecordingSleeper()
    await run(failing_then_ok([503, 503, 503]), sleeper, retry=retry)
    for base, wait in zip([2.0, 4.0, 8.0], sleeper.waits, strict=True):
        assert base <= wait <= base * 1.5


# --------------------------------------------------------------------------- the retry limit


async def test_response_action_retry_reaches_its_limit() -> None:
    """A `response_actions: retry` that matches every answer stops after 3 retries (4 sends),
    counted by the rule's position, not by the identity of a rule object built per attempt."""
    sleeper = RecordingSleeper()
    sent: list[Request] = []

    def handler(request: Request) -> Any:
        sent.append(request)
        return reply({"data": [], "msg": "quota exceeded"})
    ep = endpoint(path="/items", data_selector="data",
                  response_actions=[{"content": "quota exceeded", "action": "retry"}])
    client = ApiClient(client_config(), transport=MemoryTransport(handler), sleeper=sleeper)
    async with client:
        with pytest.raises(HTTPStatusError, match=r"gave up after 4 attempt\(s\)"):
            _ = [p async for p in client.pages(resource="x", endpoint=ep, paginator=None)]
    assert len(sent) == 4
    assert sleeper.waits == [2.0, 4.0, 8.0]


async def test_response_action_retry_on_a_rule_status_shares_the_rule_count() -> None:
    """A forced retry of a status a rule names uses that rule (its max_retries, its count)."""
    sleeper = RecordingSleeper()
    ep = endpoint(path="/items", data_selector="data",
                  response_actions=[{"status_code": 503, "action": "retry"}])
    client = ApiClient(client_config(retry={"rules": [{"statuses": [503], "max_retries": 1}]}),
                       transport=MemoryTransport(lambda r: reply({}, status=503)), sleeper=sleeper)
    async with client:
        with pytest.raises(HTTPStatusError, match=r"gave up after 2 attempt\(s\)"):
            _ = [p async for p in client.pages(resource="x", endpoint=ep, paginator=None)]
    assert sleeper.waits == [2.0]


def test_retry_state_counts_by_rule_position() -> None:
    rules = [RetryRule(statuses=[429], max_retries=2), RetryRule(statuses=[429], max_retries=5),
             RetryRule(statuses=[503], max_retries=1)]
    policy = RetryPolicy(RetryConfig(rules=rules))
    state = policy.start(0.0)
    decisions = [state.decide(status=429, retry_after_header=None, now=0.0) for _ in range(3)]
    assert [d.retry for d in decisions] == [True, True, False]  # the first matching rule
    assert state.decide(status=503, retry_after_header=None, now=0.0).retry  # its own count
    forced = [state.decide(status=418, retry_after_header=None, now=0.0, forced=True)
              for _ in range(4)]
    assert [d.retry for d in forced] == [True, True, True, False]
    assert not state.decide(status=418, retry_after_header=None, now=0.0).retry  # not forced
    assert policy.max_retries_total == 2 + 5 + 1 + 3


async def test_retry_loop_is_bounded_whatever_the_failures() -> None:
    """Failures that alternate between rules still end after max_retries_total + 1 attempts."""
    from restsync.extract.retry import RetryAgain, RetryLoop
    rules = [RetryRule(statuses=[429], max_retries=2), RetryRule(statuses=[500], max_retries=3)]
    policy = RetryPolicy(RetryConfig(rules=rules))
    sleeper = RecordingSleeper()
    attempts: list[int] = []

    async def attempt(number: int) -> RetryAgain[str]:
        attempts.append(number)
        status = (429, 500, 418)[number % 3]
        return RetryAgain(status, str(status), lambda why: f"gave up: {why}",
                          forced=status == 418)

    async def wait(decision: Any, reason: str) -> None:
        await sleeper.sleep(decision.wait)
    result = await RetryLoop(policy, sleeper.monotonic).run(
        attempt, wait=wait, transport_failure=lambda exc: RetryAgain(None, "t", str))
    assert result.startswith("gave up: gave up after")
    assert len(attempts) <= policy.max_retries_total + 1
    assert len(sleeper.waits) == len(attempts) - 1


TOKEN_URL = "https://login.test/oauth2/token"
OAUTH = {"type": "oauth2", "client_id": "cid-1234", "client_secret": "csecret-5678",
         "refresh_token": "rtoken-9999", "token_url": TOKEN_URL}


@pytest.mark.parametrize(("failure", "message"), [
    (503, "token endpoint answered 503"),
    (None, r"token request: transport: connection reset; gave up after 4 attempt\(s\)"),
])
async def test_token_requests_reach_the_retry_limit(failure: int | None, message: str) -> None:
    """The token request goes through the same bounded loop: 3 retries, then an AuthError."""
    from restsync.errors import AuthError
    sleeper = RecordingSleeper()
    token_calls: list[Request] = []

    def handler(request: Request) -> Any:
        if request.url == TOKEN_URL:
            token_calls.append(request)
            if failure is None:
                raise RetriableError("connection reset", status=None)
            return reply({"error": "busy"}, status=failure)
        return reply({"data": [{"id": 1}]})
    with pytest.raises(AuthError, match=message):
        await run(handler, sleeper, auth=OAUTH)
    assert len(token_calls) == 4
    assert sleeper.waits == [2.0, 4.0, 8.0]
