"""Global per-host limits of a scaled-out run: one service grants every worker's permits.

In one process, an :class:`~restsync.extract.ApiClient` paces each host with a
:class:`~restsync.extract.ratelimit.HostPacer` (``max_concurrency`` in flight, the proactive
``rate_limit``, the adaptive limit cut on 429/503). Under Ray each worker has its own client, so the
driver starts **one** :class:`PermitService` for the run (a Ray actor, see
:mod:`.driver`) holding the run's only ``HostPacer``, and each worker's client paces through
a :class:`RemotePacer` that asks the service: ten workers together keep the limits one
process would keep. Per host; not yet per token for tenants with their own limits.

Plain Python: the service is made a Ray actor by the driver.
"""

from __future__ import annotations

from typing import Any

from restsync.extract.concurrency import Ticket, client_bounds
from restsync.extract.ratelimit import HostPacer
from restsync.extract.retry import AsyncioSleeper
from restsync.spec.model import ClientConfig

__all__ = ["PermitService", "RemotePacer"]


class PermitService:
    """The run's per-host pacing, granted to every worker (a Ray async actor).

    Args:
        client: The source's client settings (``max_concurrency``, ``rate_limit``,
            ``adaptive_concurrency``).
    """

    def __init__(self, client: ClientConfig) -> None:
        rate = client.rate_limit
        self.pacer = HostPacer(concurrency=client_bounds(client), sleeper=AsyncioSleeper(),
                               rate=rate.rate if rate else None,
                               burst=rate.burst if rate else 1)

    async def acquire(self, host: str) -> Ticket:
        """Wait for an in-flight slot of ``host`` and then for its rate; a ticket."""
        ticket = await self.pacer.limit(host).acquire()
        bucket = self.pacer.bucket(host)
        if bucket is not None:
            await bucket.acquire()
        return ticket

    async def release(self, host: str, ticket: Ticket, status: int | None) -> None:
        """Give the slot back; ``status`` 429/503 cuts the host's limit (adaptive)."""
        await self.pacer.limit(host).release(ticket, status=status)


class _RemoteLimit:
    def __init__(self, service: Any, host: str) -> None:
        self._service = service
        self._host = host

    async def acquire(self) -> Ticket:
        generation, started = await self._service.acquire.remote(self._host)
        return int(generation), float(started)

    async def release(self, ticket: Ticket, *, status: int | None) -> None:
        await self._service.release.remote(self._host, ticket, status)


class RemotePacer:
    """What a worker's client paces with: the run's :class:`PermitService`.

    It stands in for the client's :class:`HostPacer` (``limit(host)``, ``bucket(host)``); the
    rate is granted together with the in-flight slot, so ``bucket`` is ``None``.

    Args:
        service: The service's Ray actor handle.
    """

    def __init__(self, service: Any) -> None:
        self._service = service
        self.changes: list[Any] = []
        self.limits: dict[str, Any] = {}  # the service holds them (nothing to report here)

    def limit(self, host: str) -> _RemoteLimit:
        """The run-wide in-flight limit (and rate) of ``host``."""
        return _RemoteLimit(self._service, host)

    def bucket(self, host: str) -> None:
        """``None``: :meth:`limit`'s acquire waits for the rate too."""
        return None
