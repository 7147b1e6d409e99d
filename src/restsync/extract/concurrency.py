"""The per-host in-flight limit: fixed, or adaptive (AIMD with a latency guard).

One :class:`ConcurrencyLimit` per host caps the requests in flight to it. A fixed limit is a
plain semaphore. An adaptive one is a small state machine driven by the outcome and latency
of each request:

* **Windows.** Completed requests are counted in windows of ``limit`` requests (about one
  round trip's worth). At the end of a window the limit grows when (1) no 429/503 arrived in
  it, (2) the limit was actually reached in it (a limit nobody uses is not raised), and (3)
  the window's median latency is at most ``latency_tolerance`` times the lowest window median
  seen so far (latency is flat: the server, and this process, keep up).
* **Slow start, then additive increase.** Until the first back-off or latency hold the limit
  grows by half of itself per window (x1.5, like TCP's slow start); after that by one per
  window. Growth never passes ``ceiling``.
* **Multiplicative decrease.** A 429 or 503 multiplies the limit by ``backoff`` (0.7, at
  least 1), at most once per *generation*: the responses to requests sent before the last cut
  (the rest of one burst) do not cut again.

AIMD rather than a gradient limiter: the signal that matters for a REST API is the explicit
429/503, which AIMD answers directly, and it converges just under the server's limit
(oscillating between ``backoff * N`` and ``N``); a gradient limiter steers by latency alone,
which on loopback and shared machines is mostly scheduling noise. Latency is used only to
*stop growing*, never to cut. See ``docs/limits.md`` for every bound.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import median

from restsync.events import ConcurrencySettled, Notice
from restsync.spec.model import ClientConfig

__all__ = [
    "ADAPTIVE_CEILING",
    "AimdTuning",
    "ConcurrencyBounds",
    "ConcurrencyLimit",
    "LimitChange",
    "Ticket",
    "client_bounds",
    "concurrency_bounds",
    "credential_cuts_notice",
    "limit_notice",
    "settled",
]

DEFAULT_START = 16
"""Requests in flight per host at the start when the spec sets no ``initial_concurrency``."""
ADAPTIVE_CEILING = 64
"""Most requests in flight per host an adaptive limit grows to without a ``max_concurrency``."""

BACKOFF_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class LimitChange:
    """One change of a host's in-flight limit (for events and tests)."""

    host: str
    old: int
    new: int
    reason: str
    cuts: int = 0  # cuts on 429/503 so far, this one included


@dataclass(frozen=True)
class AimdTuning:
    """The constants of the adaptive limit (documented in ``docs/limits.md``).

    Attributes:
        backoff: Factor applied to the limit on a 429/503 (once per generation).
        latency_tolerance: A window whose median latency is above this many times the lowest
            window median holds the limit (no growth).
        slow_start_factor: Growth factor per window until the first back-off or hold.
    """

    backoff: float = 0.7
    latency_tolerance: float = 2.0
    slow_start_factor: float = 1.5


@dataclass(frozen=True)
class ConcurrencyBounds:
    """Where a host's limit starts, how high it may go, and whether it moves.

    Attributes:
        start: In-flight limit at the start.
        ceiling: The limit never goes above it.
        adaptive: ``False``: the limit stays at ``start`` (which then equals ``ceiling``).
    """

    start: int
    ceiling: int
    adaptive: bool


def concurrency_bounds(*, initial: int | None, maximum: int | None,
                       adaptive: bool) -> ConcurrencyBounds:
    """The bounds a client's settings mean.

    Args:
        initial: ``client.initial_concurrency`` (``None``: 16).
        maximum: ``client.max_concurrency`` (``None``: 64 when adaptive).
        adaptive: ``client.adaptive_concurrency``.

    Returns:
        Adaptive: start at ``initial`` (at most ``maximum``), grow up to ``maximum``.
        Fixed: ``maximum`` if set, else ``initial``, for the whole run.
    """
    if not adaptive:
        fixed = maximum if maximum is not None else (initial or DEFAULT_START)
        return ConcurrencyBounds(start=fixed, ceiling=fixed, adaptive=False)
    ceiling = maximum if maximum is not None else max(ADAPTIVE_CEILING, initial or 0)
    start = min(initial or DEFAULT_START, ceiling)
    return ConcurrencyBounds(start=max(1, start), ceiling=max(1, ceiling), adaptive=True)


def client_bounds(config: ClientConfig) -> ConcurrencyBounds:
    """The bounds of a client's settings (see :func:`concurrency_bounds`)."""
    return concurrency_bounds(initial=config.initial_concurrency,
                              maximum=config.max_concurrency,
                              adaptive=config.adaptive_concurrency)


Ticket = tuple[int, float]
"""What :meth:`ConcurrencyLimit.acquire` returns: (generation, start time)."""


class ConcurrencyLimit:
    """In-flight limit of one host (see the module docstring).

    Args:
        host: ``host:port`` (for :class:`LimitChange` records).
        bounds: Start, ceiling and whether the limit adapts.
        clock: Monotonic seconds (virtual in tests).
        on_change: Called with every :class:`LimitChange`.
        tuning: The adaptive constants.

    Attributes:
        limit: The current limit.
        in_flight: Requests holding a slot now.
        peak: The highest limit reached; ``lowest``: the lowest after the start.
        backoffs: Cuts made (429/503 generations).
    """

    def __init__(self, host: str, bounds: ConcurrencyBounds, *,
                 clock: Callable[[], float],
                 on_change: Callable[[LimitChange], None] | None = None,
                 tuning: AimdTuning | None = None):
        self.host = host
        self.bounds = bounds
        self.limit = bounds.start
        self.peak = self.lowest = bounds.start
        self.backoffs = 0
        self.in_flight = 0
        self.generation = 0
        self._clock = clock
        self._on_change = on_change
        self._tuning = tuning or AimdTuning()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._slow_start = True
        self._saturated = False
        self._window: list[float] = []
        self._best_latency = math.inf

    @property
    def adaptive(self) -> bool:
        """Whether the limit moves."""
        return self.bounds.adaptive

    async def acquire(self) -> Ticket:
        """Wait for a free slot; returns the ticket to pass to :meth:`release`."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(future)
            self._saturated = True
            try:
                await future  # the releaser counted our slot in in_flight already
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._give_back()  # a slot was handed to us: pass it on
                elif future in self._waiters:  # (a release may have dropped it already)
                    self._waiters.remove(future)
                raise
        if self.in_flight >= self.limit:
            self._saturated = True
        return self.generation, self._clock()

    async def release(self, ticket: Ticket, *, status: int | None) -> None:
        """Free a slot and adapt the limit to the outcome.

        Args:
            ticket: What :meth:`acquire` returned.
            status: HTTP status of the response, ``None`` for a transport failure (neutral).
        """
        if self.bounds.adaptive:
            self._observe(ticket, status)
        self._give_back()

    def _give_back(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        """Hand free slots to waiters, first come first served."""
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def _observe(self, ticket: Ticket, status: int | None) -> None:
        generation, started = ticket
        if status in BACKOFF_STATUSES:
            if generation == self.generation:  # the first of its burst: cut once
                self.generation += 1
                self.backoffs += 1
                self._slow_start = False
                self._reset_window()
                reason = "429 Too Many Requests" if status == 429 else "503 Service Unavailable"
                self._change(max(1, int(self.limit * self._tuning.backoff)), reason)
            return
        if status is None or not 200 <= status < 400 or generation != self.generation:
            return  # errors are neutral; requests sent before the last cut say nothing new
        self._window.append(self._clock() - started)
        if len(self._window) >= self.limit:
            self._end_window()

    def _end_window(self) -> None:
        typical = median(self._window)
        saturated = self._saturated
        self._reset_window()
        flat = typical <= self._best_latency * self._tuning.latency_tolerance
        self._best_latency = min(self._best_latency, typical)
        if not flat:
            self._slow_start = False
            return
        if not saturated or self.limit >= self.bounds.ceiling:
            return
        step = (max(1, int(self.limit * (self._tuning.slow_start_factor - 1)))
                if self._slow_start else 1)
        self._change(min(self.bounds.ceiling, self.limit + step),
                     "latency flat, no 429/503")

    def _reset_window(self) -> None:
        self._window = []
        self._saturated = self.in_flight >= self.limit

    def _change(self, new: int, reason: str) -> None:
        if new == self.limit:
            return
        change = LimitChange(self.host, self.limit, new, reason, self.backoffs)
        self.limit = new
        self.peak = max(self.peak, new)
        self.lowest = min(self.lowest, new)
        self._wake()
        if self._on_change is not None:
            self._on_change(change)


    def settled(self) -> ConcurrencySettled:
        """Where this limit stands (the event a client emits when it closes)."""
        return ConcurrencySettled(host=self.host, settled=self.limit, start=self.bounds.start,
                                  peak=self.peak, lowest=self.lowest,
                                  ceiling=self.bounds.ceiling, backoffs=self.backoffs,
                                  adaptive=self.bounds.adaptive)


def limit_notice(change: LimitChange) -> str | None:
    """The notice text of a host's first cut (later cuts and growth are not announced one by
    one: the :class:`~restsync.events.ConcurrencySettled` event sums them up)."""
    if change.new >= change.old or change.cuts != 1:
        return None
    return (f"{change.reason} from {change.host}: requests in flight to it reduced from "
            f"{change.old} to {change.new}; it grows back while requests succeed (where it "
            "settles is reported at the end)")


def credential_cuts_notice(cuts: int, credentials: int) -> Notice:
    """The one notice summing up the cuts of single credentials' limits (there may be
    thousands of credentials: they are not reported one by one)."""
    return Notice(resource=None, message=(
        f"429/503 answers cut single credentials' in-flight limits ({cuts} cuts; "
        f"{credentials} credentials paced apart, client.token_limits)"))


def settled(limits: Mapping[str, ConcurrencyLimit],
            reported: set[str]) -> list[ConcurrencySettled]:
    """One :class:`~restsync.events.ConcurrencySettled` per host not in ``reported`` yet
    (then added to it), in first-use order."""
    fresh = [limit.settled() for host, limit in limits.items() if host not in reported]
    reported.update(limits)
    return fresh
