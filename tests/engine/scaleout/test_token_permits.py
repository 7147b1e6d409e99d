"""Per-credential permits, without Ray (the service is plain Python; the shim of
``test_permits`` stands in for the actor handle)."""

from __future__ import annotations

import asyncio

from restsync.engine.scaleout.permits import PermitService, RemotePacer
from tests.engine.scaleout.test_permits import Handle, config, settle

TOKENS = {"token_limits": {"max_concurrency": 1}, "max_concurrency": 4}


def opened() -> PermitService:
    service = PermitService()
    service.open("run", config(**TOKENS))
    return service


def worker(service: PermitService, name: str) -> RemotePacer:
    pacer = RemotePacer(Handle(service), config(**TOKENS), "run", name)
    pacer.start(f"partition-of-{name}")
    return pacer


def test_one_token_waits_for_its_slot_while_another_token_proceeds() -> None:
    async def scenario() -> None:
        service = opened()
        first, second = worker(service, "w1"), worker(service, "w2")
        held = await first.acquire("h:1", "digest-a")
        same = asyncio.ensure_future(second.acquire("h:1", "digest-a"))
        await settle()
        assert not same.done()  # token a has one slot across both workers
        other = await asyncio.wait_for(second.acquire("h:1", "digest-b"), 1)  # b proceeds
        assert service.pacers["run"].limit("h:1").in_flight == 2
        await first.release(held, status=200)
        first.give_back()
        await asyncio.wait_for(same, 1)
        await second.release(other, status=200)
    asyncio.run(scenario())


def test_a_429_cuts_the_tokens_limit_for_every_worker_not_the_hosts() -> None:
    async def scenario() -> None:
        service = PermitService()
        limits = {"token_limits": {"initial_concurrency": 4, "max_concurrency": 8}}
        service.open("run", config(**limits))
        pacer = RemotePacer(Handle(service), config(**limits), "run", "w1")
        grant = await pacer.acquire("h:1", "digest-a")
        await pacer.release(grant, status=429)
        await settle()
        pacers = service.pacers["run"]
        assert pacers.limit("h:1").backoffs == 0
        token = pacers.token_limit("h:1", "digest-a")
        assert token is not None and token.backoffs == 1 and token.limit < 4
    asyncio.run(scenario())


def test_a_partition_moving_through_many_tokens_does_not_keep_idle_host_slots() -> None:
    """Each leased slot holds a host slot too: the idle ones of other tokens go back before
    a new lease, so 6 tokens one after the other under a host limit of 4 do not stall."""
    async def scenario() -> None:
        service = opened()
        pacer = worker(service, "w1")
        for i in range(6):
            grant = await asyncio.wait_for(pacer.acquire("h:1", f"digest-{i}"), 1)
            await pacer.release(grant, status=200)
        await settle()
        assert service.pacers["run"].limit("h:1").in_flight == 1  # only the last is held
    asyncio.run(scenario())
