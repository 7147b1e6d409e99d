"""Global per-host limits of a scaled-out run: one service grants every worker's permits.

In one process, an :class:`~restsync.extract.ApiClient` paces each host with a
:class:`~restsync.extract.ratelimit.HostPacer` (``max_concurrency`` in flight, the proactive
``rate_limit``, the adaptive limit cut on 429/503). Under Ray each worker has its own client, so the
driver starts **one** :class:`PermitService` for the run (a Ray actor, see
:mod:`.driver`) holding the run's only ``HostPacer``, and each worker's client paces through
a :class:`RemotePacer` that asks the service: ten workers together keep the limits one
process would keep. Per host and, with ``client.token_limits``, per credential: a
worker's client keys each request by ``(host, credential digest)``
(:mod:`restsync.extract.credential_digest`, with the run key the driver hands every worker,
so all workers key a credential alike), and the service's ``HostPacer`` keeps a limit and a
bucket per key as one process would. The service sees digests only, never a credential.

**Leases.** A worker does not ask for an in-flight slot per request: it *leases* a slot
(one actor call, awaited) and keeps it for the rest of its partition, so the requests of a
cursor chain reuse it locally; a second concurrent request of the same partition leases a
second slot. The slots go back when the partition ends (one call, not awaited: Ray keeps a
caller's calls to an actor in order), or at once after a 429, which reaches the service
without delay and cuts the host's limit for every worker. The adaptive limit
(:mod:`restsync.extract.concurrency`) sees a leased slot's whole use as one sample: its
latency is the partition's time with the slot, so the limit grows while partitions take
steady time and no 429/503 comes back. A proactive ``rate_limit``
still costs one awaited call per request (a rate token cannot be stored ahead without
letting a burst through). Per partition: one awaited call per slot it uses, plus one per
request under a rate limit (before leases: two awaited calls per request).

**One service per driver connection.** Starting an actor starts a process (seconds on a
busy machine), so the driver starts the service once per Ray connection (a named actor of
the driver's job, gone with it) and each run opens its own pacing in it, keyed by the run's
load id, and closes it at its end. Closing returns where the run's limits settled, which
the driver reports as the default executor's client does.

**Slots of a dead worker.** Every leased slot is recorded with its holder (the partition
and the worker process) and goes back to the host's limit, with no status, when:

* the partition is run again by another worker process (Ray re-runs a task only when its
  worker died, so the earlier attempt's slots, and its requests still waiting for one, are
  void): at the new attempt's first lease;
* the driver reports the partition ended without a result (:meth:`PermitService.finish`:
  it failed, its last attempt died, or it was cancelled);
* its holder has not renewed it for :data:`LEASE_SECONDS` (a worker renews its slots
  every third of that while its partition runs): the backstop for the cases above that
  never come, e.g. a retry that cannot be scheduled while every CPU waits for a slot.

A worker whose event loop is blocked for longer than :data:`LEASE_SECONDS` loses its slots
the same way (the limit may then be exceeded by its requests in flight); its later return
of them is ignored.

Plain Python: the service is made a Ray actor by the driver.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from restsync.events import Event
from restsync.extract.concurrency import Ticket
from restsync.extract.ratelimit import Grant, HostPacer, TokenPacing
from restsync.extract.retry import AsyncioSleeper
from restsync.spec.model import ClientConfig

__all__ = ["LEASE_SECONDS", "PERMITS_ACTOR", "PermitService", "RemotePacer", "permit_service"]

LEASE_SECONDS = 30.0
"""A leased slot not renewed by its worker for this long goes back (the worker died)."""


@dataclass
class _Held:
    """One leased slot, as the service records it."""

    run: str
    grant: Grant
    partition: str
    worker: str
    renewed: float


class PermitService:
    """Per-host pacing of each open run, granted to every worker (a Ray async actor).

    Args:
        lease_seconds: How long a leased slot lives without its worker renewing it.
    """

    def __init__(self, lease_seconds: float = LEASE_SECONDS) -> None:
        self.pacers: dict[str, HostPacer] = {}
        self.calls = 0
        self.lease_seconds = lease_seconds
        self.held: dict[int, _Held] = {}
        """Leased slots by lease id."""
        self.reclaimed = 0
        """Slots taken back from dead holders so far."""
        self._ids = itertools.count(1)
        self._waiting: dict[tuple[str, str], dict[asyncio.Task[Any], str]] = {}
        self._reaper: asyncio.Task[None] | None = None

    def open(self, run: str, client: ClientConfig) -> None:
        """Start pacing run ``run`` with the source's client settings (``max_concurrency``,
        ``rate_limit``, ``adaptive_concurrency``, ``token_limits``)."""
        self.pacers[run] = HostPacer.for_client(client, AsyncioSleeper())

    def close(self, run: str) -> list[Event]:
        """Forget run ``run`` (and its leases); what its limits came to, as the events one
        process's client emits when it closes: where each host's in-flight limit settled,
        and one notice summing up the cuts of single credentials' limits."""
        pacer = self.pacers.pop(run, None)
        for lease_id in [i for i, h in self.held.items() if h.run == run]:
            del self.held[lease_id]
        return pacer.unreported_events() if pacer is not None else []

    async def lease(self, run: str, host: str, partition: str = "", worker: str = "",
                    token: str | None = None) -> Ticket:
        """Wait for one in-flight slot of ``host`` (and of credential digest ``token`` at
        it) for ``partition`` run by ``worker``; its ticket ``(lease id, start)`` (give it
        back with :meth:`give_back`). Slots of the same partition held or awaited by another
        worker process are taken back first."""
        self.calls += 1
        self._start_reaper()
        self._cancel_waiting(run, partition, but=worker)
        await self._take_back(lambda h: h.run == run and h.partition == partition
                              and h.worker != worker)
        waiting = self._waiting.setdefault((run, partition), {})
        task = asyncio.current_task()
        assert task is not None
        waiting[task] = worker
        try:
            grant = await self.pacers[run].acquire_slots(host, token)
        finally:
            waiting.pop(task, None)
            if not waiting:
                self._waiting.pop((run, partition), None)
        lease_id = next(self._ids)
        self.held[lease_id] = _Held(run, grant, partition, worker, time.monotonic())
        return lease_id, grant.ticket[1]

    async def rate(self, run: str, host: str, token: str | None = None) -> None:
        """Wait for one rate token of credential ``token`` at ``host``, then of ``host``
        (at once without a ``rate_limit``)."""
        self.calls += 1
        await self.pacers[run].take_rate(host, token)

    async def give_back(self, run: str, host: str, returns: list[tuple[Ticket, int | None]]) -> None:
        """Return leased slots: ``(ticket, status)`` each (a 429 shrinks the host's limit,
        or the credential's with ``token_limits``; a success counts towards its recovery;
        ``None`` for a transport failure or a slot that sent nothing worth judging). Slots
        already taken back are ignored."""
        self.calls += 1
        for (lease_id, _), status in returns:
            held = self.held.pop(int(lease_id), None)
            pacer = self.pacers.get(run)
            if held is not None and pacer is not None:  # else: taken back, or the run ended
                await pacer.release(held.grant, status=status)

    async def renew(self, run: str, worker: str) -> None:
        """``worker`` is alive: its slots of run ``run`` live another :attr:`lease_seconds`."""
        now = time.monotonic()
        for held in self.held.values():
            if held.run == run and held.worker == worker:
                held.renewed = now

    async def finish(self, run: str, partition: str) -> None:
        """``partition`` ended without a result (failed, died, cancelled): take back its
        slots and stop its waiting requests."""
        self._cancel_waiting(run, partition)
        await self._take_back(lambda h: h.run == run and h.partition == partition)

    def call_count(self) -> int:
        """Calls served so far (the bench counts them)."""
        return self.calls

    def reclaimed_count(self) -> int:
        """Slots taken back from dead holders so far."""
        return self.reclaimed

    def _cancel_waiting(self, run: str, partition: str, but: str | None = None) -> None:
        """Stop the leases ``partition`` is waiting for in workers other than ``but``."""
        for task, worker in list(self._waiting.get((run, partition), {}).items()):
            if worker != but:
                task.cancel()

    async def _take_back(self, dead: Callable[[_Held], bool]) -> None:
        """Release the slots ``dead`` selects (no status: nothing to judge)."""
        for lease_id in [i for i, h in self.held.items() if dead(h)]:
            held = self.held.pop(lease_id)
            pacer = self.pacers.get(held.run)
            self.reclaimed += 1
            if pacer is not None:
                await pacer.release(held.grant, status=None)

    @staticmethod
    def _stale(before: float) -> Callable[[_Held], bool]:
        return lambda held: held.renewed < before

    def _start_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def _reap(self) -> None:
        """Every third of :attr:`lease_seconds`: take back the slots nobody renewed."""
        while self.held or self._waiting:
            await asyncio.sleep(self.lease_seconds / 3)
            await self._take_back(self._stale(time.monotonic() - self.lease_seconds))


class _Lease:
    """The slots one worker leased for ``host`` (and credential digest ``token``): reused
    request after request."""

    def __init__(self, pacer: RemotePacer, host: str, token: str | None = None) -> None:
        self._pacer = pacer
        self._service = pacer.service
        self._run = pacer.run
        self.host = host
        self._token = token
        self._rated = pacer.rated
        self.free: list[tuple[Ticket, int | None]] = []
        """Idle leased slots: ``(ticket, last status)``."""
        self.busy = 0

    async def acquire(self) -> Ticket:
        if self.free:
            ticket, _ = self.free.pop()
        else:
            lease_id, started = await self._service.lease.remote(
                self._run, self.host, self._pacer.partition, self._pacer.worker, self._token)
            ticket = (int(lease_id), float(started))
        self.busy += 1
        if self._rated:  # the slot first, then the rate (as HostPacer does)
            try:
                await self._service.rate.remote(self._run, self.host, self._token)
            except BaseException:
                await self.release(ticket, status=None)
                raise
        return ticket

    async def release(self, ticket: Ticket, *, status: int | None) -> None:
        self.busy -= 1
        if status == 429:  # the service must know now: it halves the limit for everyone
            self._service.give_back.remote(self._run, self.host, [(ticket, status)])
        else:
            self.free.append((ticket, status))

    def held(self) -> bool:
        """Whether this worker holds a slot of the host now."""
        return bool(self.busy or self.free)

    def give_back(self) -> None:
        """Return the idle slots (not awaited)."""
        if self.free:
            self._service.give_back.remote(self._run, self.host, self.free)
            self.free = []


class RemotePacer:
    """What a worker's client paces with: slots leased from the run's :class:`PermitService`.

    It stands in for the client's :class:`HostPacer` (``acquire``/``release`` with the
    request's host and credential digest, one lease per pair); the rate tokens are taken
    together with the slot. Call
    :meth:`start` when a partition begins, :meth:`keep_alive` while it runs and
    :meth:`give_back` when it ends.

    Args:
        service: The service's Ray actor handle.
        client: The source's client settings (is there a ``rate_limit``).
        run: The run's key in the service (its load id).
        worker: This worker process's id (unique per process: a re-run elsewhere differs).
    """

    def __init__(self, service: Any, client: ClientConfig, run: str, worker: str = "") -> None:
        self.service = service
        self.run = run
        self.worker = worker
        self.partition = ""
        self.per_token = TokenPacing.of(client)
        self.rated = client.rate_limit is not None or (
            self.per_token is not None and self.per_token.rate is not None)
        self._leases: dict[tuple[str, str | None], _Lease] = {}
        self.changes: list[Any] = []

    def unreported_events(self) -> list[Event]:
        """Nothing: the service holds the run's limits and reports them when the run ends
        (:meth:`PermitService.close`)."""
        return []

    def limit(self, host: str, token: str | None = None) -> _Lease:
        """This worker's lease of ``host``'s run-wide in-flight slots (and rate), of
        credential digest ``token`` at it with ``token_limits``."""
        key = (host, token if self.per_token is not None else None)
        if key not in self._leases:
            self._leases[key] = _Lease(self, *key)
        return self._leases[key]

    async def acquire(self, host: str, token: str | None = None) -> tuple[_Lease, Ticket]:
        """Wait for one request's slot and rate (as :meth:`HostPacer.acquire`).

        Before leasing a new slot, the idle slots this worker leased for the host's other
        credentials go back: each holds a slot of the host too, and a partition whose work
        items carry many credentials one after the other would otherwise keep every host
        slot idle and wait for one more.
        """
        lease = self.limit(host, token)
        if not lease.free:
            for other in self._leases.values():
                if other is not lease and other.host == host:
                    other.give_back()
        return lease, await lease.acquire()

    async def release(self, grant: tuple[_Lease, Ticket], *, status: int | None) -> None:
        """Give back what :meth:`acquire` handed out."""
        lease, ticket = grant
        await lease.release(ticket, status=status)

    def start(self, partition: str) -> None:
        """The slots leased from now on are ``partition``'s."""
        self.partition = partition

    async def keep_alive(self, every: float = LEASE_SECONDS / 3) -> None:
        """Renew this worker's slots every ``every`` seconds while any is held (run it as a
        task for the partition's duration; cancel it at the end)."""
        while True:
            await asyncio.sleep(every)
            if any(lease.held() for lease in self._leases.values()):
                self.service.renew.remote(self.run, self.worker)

    def give_back(self) -> None:
        """Return every idle leased slot (a partition ended; not awaited)."""
        for lease in self._leases.values():
            lease.give_back()


PERMITS_ACTOR = "restsync-permits"
"""Name of the permit service actor in the driver job's namespace."""

_services: dict[str, Any] = {}
"""This process's permit service handle by Ray job and node: Ray ends an actor (not detached) once no
handle to it is left, so the driver keeps one for as long as its job lasts."""


def permit_service(ray: Any) -> Any:
    """The driver connection's :class:`PermitService` actor: started by the first run, kept
    for the next ones (its process costs seconds to start); it belongs to the driver's job
    (an anonymous namespace unless the caller chose one) and ends with it."""
    context = ray.get_runtime_context()
    job = f"{context.get_job_id()}@{context.get_node_id()}"  # job ids repeat across instances
    if job not in _services:
        _services.clear()  # an earlier job's actor ended with its job
        _services[job] = ray.remote(num_cpus=0)(PermitService).options(
            name=PERMITS_ACTOR, get_if_exists=True).remote()
    return _services[job]
