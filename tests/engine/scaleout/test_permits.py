"""Leased permits, without Ray: the service is plain Python; a shim stands in for the actor
handle (``method.remote(...)`` schedules the call on this loop, as Ray's async actor calls
run in order)."""

from __future__ import annotations

import asyncio
from typing import Any

from restsync.engine.scaleout.permits import PermitService, RemotePacer
from restsync.events import ConcurrencySettled
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


def worker_pacer(service: PermitService, worker: str, partition: str) -> RemotePacer:
    """The pacer of ``worker``'s client, running ``partition``."""
    pacer = RemotePacer(Handle(service), config(max_concurrency=1), "run", worker)
    pacer.start(partition)
    return pacer


def test_a_partition_re_run_elsewhere_takes_back_its_dead_attempt_s_slot() -> None:
    """Ray re-runs a task only when its worker died: the new attempt's lease frees what the
    dead one held (max_concurrency 1: else the host would stall for the rest of the run)."""
    async def scenario() -> None:
        service = opened(config(max_concurrency=1))
        await worker_pacer(service, "w1", "p").limit("h:1").acquire()  # w1 then dies
        await asyncio.wait_for(worker_pacer(service, "w2", "p").limit("h:1").acquire(), 1)
        assert service.reclaimed == 1
        assert service.pacers["run"].limit("h:1").in_flight == 1

    asyncio.run(scenario())


def test_a_dead_attempt_s_waiting_lease_is_dropped_not_granted() -> None:
    async def scenario() -> None:
        service = opened(config(max_concurrency=1))
        other = worker_pacer(service, "w1", "q")
        ticket = await other.limit("h:1").acquire()
        dead = asyncio.ensure_future(worker_pacer(service, "w2", "p").limit("h:1").acquire())
        await settle()  # w2 waits for the slot, then dies
        retry = asyncio.ensure_future(worker_pacer(service, "w3", "p").limit("h:1").acquire())
        await settle()
        assert dead.cancelled()  # its wait was ended by the re-run
        await other.limit("h:1").release(ticket, status=200)
        other.give_back()
        await asyncio.wait_for(retry, 1)  # the slot went to the live attempt
        assert service.pacers["run"].limit("h:1").in_flight == 1

    asyncio.run(scenario())


def test_a_partition_ended_without_a_result_gives_its_slots_back_once() -> None:
    async def scenario() -> None:
        service = opened(config(max_concurrency=1))
        pacer = worker_pacer(service, "w1", "p")
        ticket = await pacer.limit("h:1").acquire()
        await service.finish("run", "p")  # the driver: its last attempt died
        assert service.pacers["run"].limit("h:1").in_flight == 0
        await pacer.limit("h:1").release(ticket, status=200)
        pacer.give_back()  # a late return of the same slot is ignored
        await settle()
        assert service.pacers["run"].limit("h:1").in_flight == 0

    asyncio.run(scenario())


def test_slots_nobody_renews_expire_and_renewed_ones_do_not() -> None:
    async def scenario() -> None:
        service = PermitService(lease_seconds=0.3)
        service.open("run", config(max_concurrency=1))
        alive = worker_pacer(service, "w1", "p")
        await alive.limit("h:1").acquire()
        renewing = asyncio.ensure_future(alive.keep_alive(every=0.02))
        waiting = asyncio.ensure_future(worker_pacer(service, "w2", "q").limit("h:1").acquire())
        await asyncio.sleep(0.6)
        assert not waiting.done()  # w1 renews: its slot stays
        renewing.cancel()  # w1 dies
        await asyncio.wait_for(waiting, 2)
        assert service.reclaimed == 1

    asyncio.run(scenario())


def test_closing_a_run_reports_where_its_limits_settled() -> None:
    async def scenario() -> list[Any]:
        client = config(max_concurrency=8, initial_concurrency=4)
        service = opened(client)
        pacer = RemotePacer(Handle(service), client, "run")
        limit = pacer.limit("h:1")
        ticket = await limit.acquire()
        await limit.release(ticket, status=429)  # a cut, for every worker
        pacer.give_back()
        await settle()
        return service.close("run")

    [event] = asyncio.run(scenario())
    assert isinstance(event, ConcurrencySettled)
    assert (event.host, event.start, event.ceiling, event.backoffs) == ("h:1", 4, 8, 1)
    assert event.settled < 4 and event.lowest == event.settled
    service = PermitService()
    assert service.close("never-opened") == []
