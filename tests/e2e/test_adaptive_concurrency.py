"""Adaptive concurrency end to end: a fan-out against loopback servers, into DuckDB.

One server answers 429 whenever more than N requests are in flight at it: restsync settles
near N (judged from the server's own log of requests in flight, not from timings) and loads
every row exactly once. Another never refuses: the limit rises above where it started.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web

from restsync.engine import Pipeline
from restsync.events import ConcurrencySettled, Event
from restsync.spec import load_spec

ITEMS = 400


class InFlightServer:
    """``/items`` lists ITEMS ids; ``/items/{id}`` answers after ``delay`` seconds, or 429 at
    once when more than ``refuse_above`` requests are in flight (itself included).

    Attributes:
        arrivals: For each detail request, in order: (requests in flight on arrival, status).
    """

    def __init__(self, *, refuse_above: int | None, delay: float = 0.05) -> None:
        self.refuse_above = refuse_above
        self.delay = delay
        self.in_flight = 0
        self.arrivals: list[tuple[int, int]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _items(self, _request: web.Request) -> web.Response:
        return web.json_response([{"id": n} for n in range(ITEMS)])

    async def _detail(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        try:
            if self.refuse_above is not None and self.in_flight > self.refuse_above:
                self.arrivals.append((self.in_flight, 429))
                return web.json_response({"error": "too many in flight"}, status=429)
            self.arrivals.append((self.in_flight, 200))
            await asyncio.sleep(self.delay)
            n = int(request.match_info["id"])
            return web.json_response({"id": n, "value": n * 3})
        finally:
            self.in_flight -= 1

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/items", self._items)
        app.router.add_get("/items/{id}", self._detail)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def __enter__(self) -> InFlightServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *_: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def fan_out_spec(base_url: str, **client: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url, "paginator": "single_page",
                   # refusals are answered at once: retry them soon, as often as it takes
                   "retry": {"rules": [{"statuses": [429], "max_retries": 100,
                                        "constant": 0.005}]},
                   **client},
        "resources": [
            {"name": "items", "endpoint": {"path": "items"}},
            {"name": "details",
             "endpoint": {"path": "items/{item_id}",
                          "params": {"item_id": {"type": "resolve", "resource": "items",
                                                 "field": "id"}}}},
        ],
    }


def run(server: InFlightServer, db: Path, **client: Any) -> list[Event]:
    events: list[Event] = []
    source = load_spec(fan_out_spec(server.url, **client), name="fan")
    info = Pipeline(destination=f"duckdb:///{db}", events=events.append).run(source)
    assert info.ok, info.outcomes
    return events


def detail_rows(db: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute('SELECT count(*), count(DISTINCT id), sum(value) '
                          'FROM "fan"."details"').fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


@pytest.fixture
def refusing() -> Iterator[InFlightServer]:
    with InFlightServer(refuse_above=8) as server:
        yield server


def test_settles_near_the_servers_limit_and_loses_nothing(refusing: InFlightServer,
                                                          tmp_path: Path) -> None:
    n = refusing.refuse_above
    assert n is not None
    events = run(refusing, tmp_path / "run.duckdb", initial_concurrency=2, max_concurrency=40)
    assert detail_rows(tmp_path / "run.duckdb") == (ITEMS, ITEMS, 3 * sum(range(ITEMS)))
    served = [flight for flight, status in refusing.arrivals if status == 200]
    refused = [flight for flight, status in refusing.arrivals if status == 429]
    assert len(served) == ITEMS  # every detail answered exactly once
    # it climbed from 2 to the server's limit: it was refused for going above it...
    assert refused and max(served) == n
    # ...and did not keep pushing past it: refusals stay a minority of the requests, and
    # in the second half of the run the server had at most a few more than N in flight
    assert len(refused) < len(served) / 3
    late = [flight for flight, _ in refusing.arrivals[len(refusing.arrivals) // 2:]]
    assert max(late) <= 2 * n
    # where it settled is reported, and it is near N: between the cut below N and a bit above
    [settled] = [e for e in events if isinstance(e, ConcurrencySettled)]
    assert settled.adaptive and settled.start == 2 and settled.ceiling == 40
    assert settled.backoffs >= 1
    assert int(n * 0.7) - 1 <= settled.settled <= 2 * n
    assert sorted(late)[len(late) // 2] >= n // 2  # the typical late load is near N, not 2


def test_rises_above_its_start_against_a_server_that_keeps_up(tmp_path: Path) -> None:
    with InFlightServer(refuse_above=None, delay=0.02) as server:
        events = run(server, tmp_path / "run.duckdb", initial_concurrency=2)
    assert detail_rows(tmp_path / "run.duckdb") == (ITEMS, ITEMS, 3 * sum(range(ITEMS)))
    [settled] = [e for e in events if isinstance(e, ConcurrencySettled)]
    assert settled.start == 2 and settled.backoffs == 0
    assert settled.peak > 2 and settled.settled > 2
    assert max(flight for flight, _ in server.arrivals) > 2  # the server saw it too


def test_a_fixed_limit_stays_where_it_is_set(tmp_path: Path) -> None:
    with InFlightServer(refuse_above=None, delay=0.005) as server:
        events = run(server, tmp_path / "run.duckdb", max_concurrency=3,
                     adaptive_concurrency=False)
    assert detail_rows(tmp_path / "run.duckdb")[0] == ITEMS
    [settled] = [e for e in events if isinstance(e, ConcurrencySettled)]
    assert (settled.adaptive, settled.settled, settled.peak) == (False, 3, 3)
    assert max(flight for flight, _ in server.arrivals) <= 3
