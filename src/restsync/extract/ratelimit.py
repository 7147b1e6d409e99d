"""Per-host request pacing: a proactive token bucket and an adaptive (AIMD) in-flight limit.

* :class:`TokenBucket` spaces requests so a host never sees more than ``rate`` requests per
  second (after an initial ``burst``). It waits through the client's
  :class:`~restsync.extract.retry.Sleeper`, so tests run it on a virtual clock.
* :class:`AdaptiveLimit` caps requests in flight to one host. A 429 halves the cap (at most
  once per "generation": the many 429s of one burst of concurrent requests count once); the
  cap then grows by one after each ``cap`` successful requests, back up to its maximum
  (additive increase, multiplicative decrease).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from restsync.extract.retry import Sleeper

__all__ = ["AdaptiveLimit", "HostPacer", "LimitChange", "TokenBucket"]

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
class LimitChange:
    """One change of a host's in-flight limit (for events and tests)."""

    host: str
    old: int
    new: int
    reason: str


class AdaptiveLimit:
    """In-flight limit of one host that shrinks on 429 and recovers slowly.

    Args:
        host: ``host:port`` (for :class:`LimitChange` records).
        maximum: The configured ``max_concurrency`` (the limit never exceeds it).
        adaptive: ``False`` keeps the limit fixed at ``maximum`` (a plain semaphore).
        on_change: Called with every :class:`LimitChange`.
    """

    def __init__(self, host: str, maximum: int, *, adaptive: bool = True,
                 on_change: Callable[[LimitChange], None] | None = None):
        self.host = host
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.adaptive = adaptive
        self.in_flight = 0
        self.generation = 0
        self._successes = 0
        self._on_change = on_change
        self._condition = asyncio.Condition()

    async def acquire(self) -> int:
        """Wait for a free slot; returns the generation ticket to pass to :meth:`release`."""
        async with self._condition:
            await self._condition.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
            return self.generation

    async def release(self, ticket: int, *, status: int | None) -> None:
        """Free a slot and adapt the limit to the outcome.

        Args:
            ticket: What :meth:`acquire` returned.
            status: HTTP status of the response, ``None`` for a transport failure.
        """
        async with self._condition:
            self.in_flight -= 1
            if self.adaptive and status == 429:
                if ticket == self.generation and self.limit > 1:
                    self._change(max(1, self.limit // 2), "429 Too Many Requests")
                self.generation += 1 if ticket == self.generation else 0
                self._successes = 0
            elif self.adaptive and status is not None and 200 <= status < 400:
                self._successes += 1
                if self.limit < self.maximum and self._successes >= self.limit:
                    self._successes = 0
                    self._change(self.limit + 1, "recovering after successful requests")
            free = self.limit - self.in_flight
            if free > 0:  # wake only as many waiters as there are free slots (no herd)
                self._condition.notify(free)

    def _change(self, new: int, reason: str) -> None:
        change = LimitChange(self.host, self.limit, new, reason)
        self.limit = new
        if self._on_change is not None:
            self._on_change(change)


class HostPacer:
    """The pacing of every host one client talks to: an :class:`AdaptiveLimit` per host and,
    when a rate is configured, a :class:`TokenBucket` per host.

    Args:
        max_concurrency: In-flight maximum per host.
        sleeper: Clock and waits for the buckets.
        rate: Requests per second per host, or ``None`` for no proactive limit.
        burst: Bucket capacity.
        adaptive: Shrink the in-flight limit on 429.
        on_change: Called with every :class:`LimitChange`.
    """

    def __init__(self, *, max_concurrency: int, sleeper: Sleeper, rate: float | None = None,
                 burst: int = 1, adaptive: bool = True,
                 on_change: Callable[[LimitChange], None] | None = None):
        self._max = max_concurrency
        self._sleeper = sleeper
        self._rate = rate
        self._burst = burst
        self._adaptive = adaptive
        self._on_change = on_change
        self.limits: dict[str, AdaptiveLimit] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.changes: list[LimitChange] = []

    def _record(self, change: LimitChange) -> None:
        self.changes.append(change)
        if self._on_change is not None:
            self._on_change(change)

    def limit(self, host: str) -> AdaptiveLimit:
        """The in-flight limit of ``host`` (created on first use)."""
        if host not in self.limits:
            self.limits[host] = AdaptiveLimit(host, self._max, adaptive=self._adaptive,
                                              on_change=self._record)
        return self.limits[host]

    def bucket(self, host: str) -> TokenBucket | None:
        """The token bucket of ``host``, or ``None`` without a configured rate."""
        if self._rate is None:
            return None
        if host not in self.buckets:
            self.buckets[host] = TokenBucket(self._rate, self._burst, self._sleeper)
        return self.buckets[host]
