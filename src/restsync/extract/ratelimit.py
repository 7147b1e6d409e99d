"""Request pacing per host, and per credential: a proactive token bucket and an in-flight limit.

* :class:`TokenBucket` spaces requests so a host never sees more than ``rate`` requests per
  second (after an initial ``burst``). It waits through the client's
  :class:`~restsync.extract.retry.Sleeper`, so tests run it on a virtual clock.
* :class:`~restsync.extract.concurrency.ConcurrencyLimit` caps requests in flight to one
  host: fixed, or adaptive (grows while latency is flat, cut on 429/503).
* :class:`HostPacer` holds both per host and, with ``client.token_limits``, both again per
  ``(host, credential digest)`` (:mod:`restsync.extract.credential_digest`). A request takes,
  in this order: its credential's in-flight slot, its host's slot, its credential's rate
  token, its host's rate token (:meth:`HostPacer.acquire`). The credential's slot comes
  first so a request waiting for its own token's turn holds no slot of the host that other
  tokens could use; the rate tokens come last, right before the request goes, so waiting for
  a slot cannot bunch requests up past a rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from restsync.events import Event
from restsync.extract.concurrency import (
    ConcurrencyBounds,
    ConcurrencyLimit,
    LimitChange,
    Ticket,
    client_bounds,
    concurrency_bounds,
    credential_cuts_notice,
    settled,
)
from restsync.extract.retry import Sleeper
from restsync.spec.model import ClientConfig

__all__ = ["Grant", "HostPacer", "LimitChange", "TokenBucket", "TokenPacing"]

_EPSILON = 1e-9


class TokenBucket:
    """A token bucket: ``rate`` tokens per second, at most ``capacity`` stored.

    Args:
        rate: Requests per second.
        capacity: Requests that may go at once after a pause (the burst), at least 1.
        sleeper: Tells the time and waits (virtual in tests).
    """

    def __init__(self, rate: float, capacity: int, sleeper: Sleeper):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = float(max(1, capacity))
        self._sleeper = sleeper
        self._tokens = self.capacity
        self._updated = sleeper.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._sleeper.monotonic()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = now

    async def acquire(self) -> float:
        """Take one token, waiting until one is available.

        Returns:
            Seconds waited (0 when a token was there).
        """
        async with self._lock:  # waiters queue in order; the clock stays consistent
            waited = 0.0
            self._refill()
            while self._tokens < 1.0 - _EPSILON:  # tolerance: float sums of waits fall short
                wait = (1.0 - self._tokens) / self.rate
                await self._sleeper.sleep(wait)
                waited += wait
                self._refill()
            self._tokens = max(0.0, self._tokens - 1.0)
            return waited


@dataclass(frozen=True)
class TokenPacing:
    """The limits each credential gets (``client.token_limits``).

    Attributes:
        concurrency: Start, ceiling and adaptivity of each credential's in-flight limit.
        rate: Requests per second per credential, or ``None``.
        burst: Bucket capacity per credential.
    """

    concurrency: ConcurrencyBounds
    rate: float | None = None
    burst: int = 1

    @classmethod
    def of(cls, config: ClientConfig) -> TokenPacing | None:
        """The per-credential limits of a client's settings (``None``: per host only)."""
        token = config.token_limits
        if token is None:
            return None
        bounds = concurrency_bounds(initial=token.initial_concurrency,
                                    maximum=token.max_concurrency,
                                    adaptive=config.adaptive_concurrency)
        rate = token.rate_limit
        return cls(bounds, rate.rate if rate else None, rate.burst if rate else 1)


@dataclass(frozen=True, slots=True)
class Grant:
    """What :meth:`HostPacer.acquire` hands out: the slots to give back."""

    host: str
    ticket: Ticket
    token: str | None = None
    token_ticket: Ticket | None = None


class HostPacer:
    """The pacing of every host one client talks to: a
    :class:`~restsync.extract.concurrency.ConcurrencyLimit` per host and, when a rate is
    configured, a :class:`TokenBucket` per host; with ``per_token``, both again per
    ``(host, credential digest)``.

    Args:
        concurrency: Start, ceiling and adaptivity of each host's in-flight limit.
        sleeper: Clock and waits for the buckets and limits.
        rate: Requests per second per host, or ``None`` for no proactive limit.
        burst: Bucket capacity.
        on_change: Called with every :class:`LimitChange` of a host's limit (a
            credential's changes are counted in :attr:`token_cuts`, not reported one by one:
            there may be thousands of credentials).
        per_token: The limits of each credential, or ``None``.
    """

    def __init__(self, *, concurrency: ConcurrencyBounds, sleeper: Sleeper,
                 rate: float | None = None, burst: int = 1,
                 on_change: Callable[[LimitChange], None] | None = None,
                 per_token: TokenPacing | None = None):
        self.concurrency = concurrency
        self.per_token = per_token
        self._sleeper = sleeper
        self._rate = rate
        self._burst = burst
        self._on_change = on_change
        self.limits: dict[str, ConcurrencyLimit] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.changes: list[LimitChange] = []
        self.token_limits: dict[tuple[str, str], ConcurrencyLimit] = {}
        self.token_buckets: dict[tuple[str, str], TokenBucket] = {}
        self.token_cuts = 0
        """Cuts of credentials' limits on 429/503 so far."""
        self._reported_hosts: set[str] = set()
        self._reported_cuts = 0

    @classmethod
    def for_client(cls, config: ClientConfig, sleeper: Sleeper,
                   on_change: Callable[[LimitChange], None] | None = None) -> HostPacer:
        """The pacer a client's settings mean (per host, and per credential)."""
        rate = config.rate_limit
        return cls(concurrency=client_bounds(config), sleeper=sleeper,
                   rate=rate.rate if rate else None, burst=rate.burst if rate else 1,
                   on_change=on_change, per_token=TokenPacing.of(config))

    def _record(self, change: LimitChange) -> None:
        self.changes.append(change)
        if self._on_change is not None:
            self._on_change(change)

    def unreported_events(self) -> list[Event]:
        """Where each host's in-flight limit settled (hosts not reported yet), and one notice
        summing up the credentials' cuts since the last report (there may be thousands of
        credentials: they are not reported one by one). What a client reports when it
        closes; the Ray permit service, when a run ends."""
        events: list[Event] = list(settled(self.limits, self._reported_hosts))
        if self.token_cuts > self._reported_cuts:
            self._reported_cuts = self.token_cuts
            events.append(credential_cuts_notice(self.token_cuts, len(self.token_limits)))
        return events

    def _token_changed(self, change: LimitChange) -> None:
        if change.new < change.old:
            self.token_cuts += 1

    def limit(self, host: str) -> ConcurrencyLimit:
        """The in-flight limit of ``host`` (created on first use)."""
        found = self.limits.get(host)
        if found is None:
            found = self.limits[host] = ConcurrencyLimit(
                host, self.concurrency, clock=self._sleeper.monotonic, on_change=self._record)
        return found

    def bucket(self, host: str) -> TokenBucket | None:
        """The token bucket of ``host``, or ``None`` without a configured rate."""
        if self._rate is None:
            return None
        if host not in self.buckets:
            self.buckets[host] = TokenBucket(self._rate, self._burst, self._sleeper)
        return self.buckets[host]

    def token_limit(self, host: str, token: str | None) -> ConcurrencyLimit | None:
        """The in-flight limit of credential ``token`` at ``host`` (``None``: no
        per-credential limits, or a request without a credential)."""
        if self.per_token is None or token is None:
            return None
        key = (host, token)
        found = self.token_limits.get(key)
        if found is None:
            found = self.token_limits[key] = ConcurrencyLimit(
                f"{host} (one credential)", self.per_token.concurrency,
                clock=self._sleeper.monotonic, on_change=self._token_changed)
        return found

    def token_bucket(self, host: str, token: str | None) -> TokenBucket | None:
        """The token bucket of credential ``token`` at ``host``, or ``None``."""
        if self.per_token is None or self.per_token.rate is None or token is None:
            return None
        key = (host, token)
        if key not in self.token_buckets:
            self.token_buckets[key] = TokenBucket(self.per_token.rate, self.per_token.burst,
                                                  self._sleeper)
        return self.token_buckets[key]

    async def acquire_slots(self, host: str, token: str | None = None) -> Grant:
        """Wait for the credential's in-flight slot, then the host's (no rate token)."""
        own = self.token_limit(host, token)
        own_ticket = await own.acquire() if own is not None else None
        try:
            ticket = await self.limit(host).acquire()
        except BaseException:
            if own is not None and own_ticket is not None:
                await own.release(own_ticket, status=None)
            raise
        return Grant(host, ticket, token if own is not None else None, own_ticket)

    async def take_rate(self, host: str, token: str | None = None) -> None:
        """Wait for the credential's rate token, then the host's."""
        for bucket in (self.token_bucket(host, token), self.bucket(host)):
            if bucket is not None:
                await bucket.acquire()

    async def acquire(self, host: str, token: str | None = None) -> Grant:
        """Wait for everything one request to ``host`` carrying credential ``token`` needs
        (see the module docstring for the order); give it back with :meth:`release`."""
        if self.per_token is None and self._rate is None:  # the common case, kept short
            return Grant(host, await self.limit(host).acquire())
        grant = await self.acquire_slots(host, token)
        try:
            await self.take_rate(host, token)
        except BaseException:
            await self.release(grant, status=None)
            raise
        return grant

    async def release(self, grant: Grant, *, status: int | None) -> None:
        """Give back a grant's slots and let the limits adapt to the response's status.

        A 429 of a request with a credential limit cuts that credential's limit only (with
        ``token_limits`` the server is taken to count per credential); a 503 (the server is
        overloaded) cuts both.
        """
        own = self.token_limit(grant.host, grant.token) if grant.token is not None else None
        if own is not None and grant.token_ticket is not None:
            await own.release(grant.token_ticket, status=status)
            host_status = None if status == 429 else status
        else:
            host_status = status
        await self.limit(grant.host).release(grant.ticket, status=host_status)
