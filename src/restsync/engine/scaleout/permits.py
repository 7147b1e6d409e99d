"""Global per-host limits of a scaled-out run: one service grants every worker's permits.

In one process, an :class:`~restsync.extract.ApiClient` paces each host with a
:class:`~restsync.extract.ratelimit.HostPacer` (``max_concurrency`` in flight, the proactive
``rate_limit``, the adaptive limit cut on 429/503). Under Ray each worker has its own client, so the
driver starts **one** :class:`PermitService` for the run (a Ray actor, see
:mod:`.driver`) holding the run's only ``HostPacer``, and each worker's client paces through
a :class:`RemotePacer` that asks the service: ten workers together keep the limits one
process would keep. Per host; not yet per token for tenants with their own limits.

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
load id, and closes it at its end.

Plain Python: the service is made a Ray actor by the driver.
"""

from __future__ import annotations

from typing import Any

from restsync.extract.concurrency import Ticket, client_bounds
from restsync.extract.ratelimit import HostPacer
from restsync.extract.retry import AsyncioSleeper
from restsync.spec.model import ClientConfig

__all__ = ["PERMITS_ACTOR", "PermitService", "RemotePacer", "permit_service"]


class PermitService:
    """Per-host pacing of each open run, granted to every worker (a Ray async actor)."""

    def __init__(self) -> None:
        self.pacers: dict[str, HostPacer] = {}
        self.calls = 0

    def open(self, run: str, client: ClientConfig) -> None:
        """Start pacing run ``run`` with the source's client settings (``max_concurrency``,
        ``rate_limit``, ``adaptive_concurrency``)."""
        rate = client.rate_limit
        self.pacers[run] = HostPacer(concurrency=client_bounds(client),
                                     sleeper=AsyncioSleeper(),
                                     rate=rate.rate if rate else None,
                                     burst=rate.burst if rate else 1)

    def close(self, run: str) -> None:
        """Forget run ``run``."""
        self.pacers.pop(run, None)

    async def lease(self, run: str, host: str) -> Ticket:
        """Wait for one in-flight slot of ``host``; its ticket (give it back with
        :meth:`give_back`)."""
        self.calls += 1
        return await self.pacers[run].limit(host).acquire()

    async def rate(self, run: str, host: str) -> None:
        """Wait for one rate token of ``host`` (at once without a ``rate_limit``)."""
        self.calls += 1
        bucket = self.pacers[run].bucket(host)
        if bucket is not None:
            await bucket.acquire()

    async def give_back(self, run: str, host: str, returns: list[tuple[Ticket, int | None]]) -> None:
        """Return leased slots: ``(ticket, status)`` each (a 429 shrinks the host's limit,
        a success counts towards its recovery; ``None`` for a transport failure or a slot
        that sent nothing worth judging)."""
        self.calls += 1
        pacer = self.pacers.get(run)
        if pacer is None:  # the run ended meanwhile
            return
        limit = pacer.limit(host)
        for ticket, status in returns:
            await limit.release(ticket, status=status)

    def call_count(self) -> int:
        """Calls served so far (the bench counts them)."""
        return self.calls


class _Lease:
    """The slots one worker leased for ``host``: reused request after request."""

    def __init__(self, service: Any, run: str, host: str, rated: bool) -> None:
        self._service = service
        self._run = run
        self._host = host
        self._rated = rated
        self.free: list[tuple[Ticket, int | None]] = []
        """Idle leased slots: ``(ticket, last status)``."""
        self.busy = 0

    async def acquire(self) -> Ticket:
        if self.free:
            ticket, _ = self.free.pop()
        else:
            generation, started = await self._service.lease.remote(self._run, self._host)
            ticket = (int(generation), float(started))
        self.busy += 1
        if self._rated:  # the slot first, then the rate (as HostPacer does)
            try:
                await self._service.rate.remote(self._run, self._host)
            except BaseException:
                await self.release(ticket, status=None)
                raise
        return ticket

    async def release(self, ticket: Ticket, *, status: int | None) -> None:
        self.busy -= 1
        if status == 429:  # the service must know now: it halves the limit for everyone
            self._service.give_back.remote(self._run, self._host, [(ticket, status)])
        else:
            self.free.append((ticket, status))

    def give_back(self) -> None:
        """Return the idle slots (not awaited)."""
        if self.free:
            self._service.give_back.remote(self._run, self._host, self.free)
            self.free = []


class RemotePacer:
    """What a worker's client paces with: slots leased from the run's :class:`PermitService`.

    It stands in for the client's :class:`HostPacer` (``limit(host)``, ``bucket(host)``); the
    rate token is taken together with the slot, so ``bucket`` is ``None``. Call
    :meth:`give_back` when a partition ends.

    Args:
        service: The service's Ray actor handle.
        client: The source's client settings (is there a ``rate_limit``).
        run: The run's key in the service (its load id).
    """

    def __init__(self, service: Any, client: ClientConfig, run: str) -> None:
        self._service = service
        self._run = run
        self._rated = client.rate_limit is not None
        self._leases: dict[str, _Lease] = {}
        self.changes: list[Any] = []
        self.limits: dict[str, Any] = {}  # the service holds them (nothing to report here)

    def limit(self, host: str) -> _Lease:
        """This worker's lease of ``host``'s run-wide in-flight slots (and rate)."""
        if host not in self._leases:
            self._leases[host] = _Lease(self._service, self._run, host, self._rated)
        return self._leases[host]

    def bucket(self, host: str) -> None:
        """``None``: :meth:`limit`'s acquire waits for the rate too."""
        return None

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
