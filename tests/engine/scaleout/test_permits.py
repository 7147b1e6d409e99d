"""Leased permits, without Ray: the service is plain Python; a shim stands in for the actor
handle (``method.remote(...)`` schedules the call on this loop, as Ray's async actor calls
run in order)."""

from __future__ import annotations

import asyncio
from typing import Any

from restsync.engine.scaleout.permits import PermitService, RemotePacer
from restsync.spec.model import ClientConfig


class Method:
    def __init__(self, bound: Any) -> None:
        self.bound = bound

    def remote(self, *args: Any) -> asyncio.Future[Any]:
        return asyncio.ensure_future(self.bound(*args))


class Handle:
    """``service.method.remote(...)`` as on a Ray actor handle."""

    def __init__(self, service: PermitService) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Method:
        return Method(getattr(self.service, name))


def config(**extra: Any) -> ClientConfig:
    return ClientConfig(base_url="http://127.0.0.1:9/", **extra)


def opened(client: ClientConfig) -> PermitService:
    service = PermitService()
    service.open("run", client)
    return service


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_cursor_chain_leases_one_slot_for_all_its_pages() -> None:
    async def scenario() -> None:
        service = opened(config(max_concurrency=2))
        pacer = RemotePacer(Handle(service), config(max_concurrency=2), "run")
        limit = pacer.limit("h:1")
        for _ in range(5):  # five pages, one after the other
            ticket = await limit.acquire()
            await limit.release(ticket, status=200)
        assert service.calls == 1  # one lease
        assert service.pacers["run"].limit("h:1").in_flight == 1  # still held by this partition
        pacer.give_back()
        await settle()
        assert service.calls == 2
        assert service.pacers["run"].limit("h:1").in_flight == 0

    asyncio.run(scenario())


def test_concurrent_requests_lease_a_slot_each_up_to_the_run_wide_limit() -> None:
    async def scenario() -> None:
        service = opened(config(max_concurrency=2))
        first_pacer = RemotePacer(Handle(service), config(max_concurrency=2), "run")
        first = first_pacer.limit("h:1")
        other = RemotePacer(Handle(service), config(max_concurrency=2), "run").limit("h:1")
        a = await first.acquire()
        b = await first.acquire()
        waiting = asyncio.ensure_future(other.acquire())  # the other worker must wait
        await settle()
        assert not waiting.done()
        await first.release(a, status=200)
        await first.release(b, status=200)
        await settle()
        assert not waiting.done()  # idle leased slots stay with the partition until it ends
        first_pacer.give_back()  # the partition ended
        await asyncio.wait_for(waiting, 1)

    asyncio.run(scenario())


def test_a_429_goes_back_at_once_and_halves_the_limit_for_every_worker() -> None:
    async def scenario() -> None:
        service = opened(config(max_concurrency=4))
        limit = RemotePacer(Handle(service), config(max_concurrency=4), "run").limit("h:1")
        ticket = await limit.acquire()
        await limit.release(ticket, status=429)
        await settle()
        host = service.pacers["run"].limit("h:1")
        assert (host.limit, host.in_flight) == (2, 0)
        assert limit.free == []

    asyncio.run(scenario())


def test_under_a_rate_limit_each_request_takes_a_token_from_the_service() -> None:
    async def scenario() -> None:
        rated = config(rate_limit={"requests_per_second": 1000})
        service = opened(rated)
        limit = RemotePacer(Handle(service), rated, "run").limit("h:1")
        for _ in range(3):
            ticket = await limit.acquire()
            await limit.release(ticket, status=200)
        assert service.calls == 1 + 3  # one lease, a token per request

    asyncio.run(scenario())


def test_runs_are_paced_apart_and_a_closed_run_s_returns_are_ignored() -> None:
    async def scenario() -> None:
        service = opened(config(max_concurrency=1))
        service.open("other", config(max_concurrency=1))
        mine = RemotePacer(Handle(service), config(), "run").limit("h:1")
        theirs = RemotePacer(Handle(service), config(), "other").limit("h:1")
        ticket = await mine.acquire()
        await asyncio.wait_for(theirs.acquire(), 1)  # another run's slot, not ours
        await mine.release(ticket, status=200)
        service.close("run")
        mine.give_back()  # reaches the service after the run closed: ignored
        await settle()
        assert list(service.pacers) == ["other"]
        assert service.calls == 3  # two leases and the late return

    asyncio.run(scenario())
