"""Per-host pacing: token bucket on a virtual clock, the in-flight limit cut by 429s over
loopback (the limit's own state machine: test_concurrency.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from restsync.events import Notice
from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper, Request
from restsync.extract.ratelimit import TokenBucket
from restsync.spec.model import ClientConfig, RateLimitConfig

from .conftest import EventLog, client_config, endpoint, reply


async def test_bucket_spaces_requests_after_the_burst() -> None:
    sleeper = RecordingSleeper()
    bucket = TokenBucket(rate=4, capacity=2, sleeper=sleeper)
    stamps = []
    for _ in range(6):
        await bucket.acquire()
        stamps.append(sleeper.now)
    assert stamps[:2] == [0.0, 0.0]  # the burst
    gaps = [b - a for a, b in itertools.pairwise(stamps[1:])]
    assert gaps == pytest.approx([0.25] * 4)


async def test_bucket_refills_while_idle() -> None:
    sleeper = RecordingSleeper()
    bucket = TokenBucket(rate=1, capacity=3, sleeper=sleeper)
    for _ in range(3):
        assert await bucket.acquire() == 0
    assert await bucket.acquire() == pytest.approx(1.0)
    sleeper.now += 10  # idle: the bucket fills up to its capacity only
    waits = [await bucket.acquire() for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] == pytest.approx(1.0)


async def test_concurrent_waiters_never_exceed_the_rate() -> None:
    sleeper = RecordingSleeper()
    bucket = TokenBucket(rate=10, capacity=1, sleeper=sleeper)
    stamps: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        stamps.append(sleeper.now)
    await asyncio.gather(*(one() for _ in range(20)))
    stamps.sort()
    # any window of one second holds at most 10 (+ the burst of 1) requests
    for start in stamps:
        assert sum(1 for s in stamps if start <= s < start + 1.0) <= 11
    assert stamps[-1] == pytest.approx(1.9)


async def test_client_rate_limit_from_config_per_host() -> None:
    sleeper = RecordingSleeper()
    sent_at: list[float] = []

    def handler(request: Request) -> Any:
        sent_at.append(sleeper.now)
        return reply({"data": [{"id": 1}]})
    config = client_config(rate_limit={"requests": 120, "per_seconds": 60})  # 2 per second
    ep = endpoint(path="/items", data_selector="data")
    async with ApiClient(config, transport=MemoryTransport(handler), sleeper=sleeper) as client:
        for _ in range(5):
            _ = [p async for p in client.pages(resource="items", endpoint=ep, paginator=None)]
    assert sent_at == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])


def test_rate_limit_config_forms() -> None:
    assert RateLimitConfig(requests_per_second=10).rate == 10
    assert RateLimitConfig(requests_per_minute=30).rate == 0.5
    assert RateLimitConfig(requests=100, per_seconds=60).rate == pytest.approx(100 / 60)
    for bad in ({}, {"requests_per_second": 1, "requests_per_minute": 1}, {"requests": 5},
                {"requests_per_second": 0}, {"requests_per_second": 2, "per_seconds": 1}):
        with pytest.raises(ValidationError):
            RateLimitConfig.model_validate(bad)


class ThrottlingServer:
    """Answers 429 to the first `throttle` requests, then 200 after a short delay."""

    def __init__(self, throttle: int) -> None:
        self.throttle = throttle
        self.seen = 0
        self.in_flight = 0
        self.max_before = 0  # most in flight while throttling
        self.arrivals: list[int] = []  # in flight when each successful request arrived

    async def handle(self, request: web.Request) -> web.Response:
        self.seen += 1
        throttled = self.seen <= self.throttle
        self.in_flight += 1
        try:
            if throttled:
                self.max_before = max(self.max_before, self.in_flight)
                await asyncio.sleep(0.03)  # all first requests overlap
                return web.json_response({"e": "slow down"}, status=429,
                                         headers={"Retry-After": "0"})
            self.arrivals.append(self.in_flight)
            await asyncio.sleep(0.01)
            return web.json_response([{"n": int(request.match_info["n"])}])
        finally:
            self.in_flight -= 1


@pytest.fixture
async def throttling() -> AsyncIterator[tuple[ThrottlingServer, str]]:
    state = ThrottlingServer(throttle=8)
    app = web.Application()
    app.router.add_get("/v1/items/{n}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield state, f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    await runner.cleanup()


async def test_in_flight_drops_after_429s_over_loopback(
        throttling: tuple[ThrottlingServer, str]) -> None:
    server, base = throttling
    events = EventLog()
    config = ClientConfig.model_validate({"base_url": base, "max_concurrency": 8})
    ep = endpoint(path="/items/{n}")
    async with ApiClient(config, events=events, sleeper=RecordingSleeper()) as client:
        async def fetch(n: int) -> list[Any]:
            return [p async for p in client.pages(resource="items", endpoint=ep, paginator=None,
                                                  path_values={"n": n})]
        results = await asyncio.gather(*(fetch(n) for n in range(24)))
        limit = client.pacer.limits["127.0.0.1:" + base.split(":")[2].split("/")[0]]
    assert sorted(r[0].records[0]["n"] for r in results) == list(range(24))  # nothing lost
    assert server.max_before == 8  # full speed at first
    # max_concurrency 8 is the ceiling and (below the default start of 16) the start
    assert client.pacer.changes[0].old == 8 and client.pacer.changes[0].new == 5
    # right after the 429s at most 5 in flight; then +1 per flat window, never jumps
    assert max(server.arrivals[:5]) <= 5
    assert max(server.arrivals) < server.max_before
    assert all(c.new == c.old + 1 for c in client.pacer.changes[1:])
    assert limit.limit == 5 + len(client.pacer.changes) - 1
    notices = [e.message for e in events.of(Notice)]
    assert any("429" in m and "from 8 to 5" in m for m in notices)
