"""Per-host request pacing: a proactive token bucket and an in-flight limit.

* :class:`TokenBucket` spaces requests so a host never sees more than ``rate`` requests per
  second (after an initial ``burst``). It waits through the client's
  :class:`~restsync.extract.retry.Sleeper`, so tests run it on a virtual clock.
* :class:`~restsync.extract.concurrency.ConcurrencyLimit` caps requests in flight to one
  host: fixed, or adaptive (grows while latency is flat, cut on 429/503).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from restsync.extract.concurrency import (
    ConcurrencyBounds,
    ConcurrencyLimit,
    LimitChange,
)
from restsync.extract.retry import Sleeper

__all__ = ["HostPacer", "LimitChange", "TokenBucket"]

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


class HostPacer:
    """The pacing of every host one client talks to: a
    :class:`~restsync.extract.concurrency.ConcurrencyLimit` per host and, when a rate is
    configured, a :class:`TokenBucket` per host.

    Args:
        concurrency: Start, ceiling and adaptivity of each host's in-flight limit.
        sleeper: Clock and waits for the buckets and limits.
        rate: Requests per second per host, or ``None`` for no proactive limit.
        burst: Bucket capacity.
        on_change: Called with every :class:`LimitChange`.
    """

    def __init__(self, *, concurrency: ConcurrencyBounds, sleeper: Sleeper,
                 rate: float | None = None, burst: int = 1,
                 on_change: Callable[[LimitChange], None] | None = None):
        self.concurrency = concurrency
        self._sleeper = sleeper
        self._rate = rate
        self._burst = burst
        self._on_change = on_change
        self.limits: dict[str, ConcurrencyLimit] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.changes: list[LimitChange] = []

    def _record(self, change: LimitChange) -> None:
        self.changes.append(change)
        if self._on_change is not None:
            self._on_change(change)

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
