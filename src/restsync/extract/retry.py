"""The retry policy: which failures are retried, how long to wait, when to give up.

A :class:`RetryPolicy` is built once per client from :class:`~restsync.spec.model.RetryConfig`.
Each logical request gets a :class:`RetryState` that counts retries per rule and the time
spent. Waiting goes through a :class:`Sleeper` so tests can run the policy without sleeping
(:class:`RecordingSleeper` records the waits and advances a virtual clock).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from restsync.spec.model import RetryConfig, RetryRule

__all__ = [
    "AsyncioSleeper",
    "RecordingSleeper",
    "RetryDecision",
    "RetryPolicy",
    "RetryState",
    "Sleeper",
    "parse_retry_after",
]

#: Longest ``Retry-After`` honoured when the rule sets no ``max_wait`` (one day).
RETRY_AFTER_CAP = 86_400.0

_REASONS = {
    408: "Request Timeout", 425: "Too Early", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_reason(status: int | None, detail: str = "") -> str:
    """A short human reason: ``"429 Too Many Requests"`` or ``"transport: <detail>"``."""
    if status is None:
        return f"transport: {detail}" if detail else "transport error"
    name = _REASONS.get(status, "")
    return f"{status} {name}".strip()


class Sleeper(Protocol):
    """Waits between retries and tells the time (monotonic seconds)."""

    async def sleep(self, seconds: float) -> None: ...

    def monotonic(self) -> float: ...


class AsyncioSleeper:
    """The real sleeper: ``asyncio.sleep`` and ``time.monotonic``."""

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``."""
        await asyncio.sleep(seconds)

    def monotonic(self) -> float:
        """Current monotonic time."""
        return time.monotonic()


@dataclass
class RecordingSleeper:
    """Test mode: never sleeps; records each wait and advances a virtual clock by it.

    Attributes:
        waits: Every wait requested, in order.
        now: The virtual monotonic clock.
    """

    waits: list[float] = field(default_factory=list)
    now: float = 0.0

    async def sleep(self, seconds: float) -> None:
        """Record ``seconds`` and advance the clock; yields to the event loop once."""
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def monotonic(self) -> float:
        """The virtual clock."""
        return self.now


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    Returns:
        Seconds (never negative), or ``None`` when absent or unparseable.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN guard
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


@dataclass(frozen=True)
class RetryDecision:
    """What to do after a failed attempt.

    Attributes:
        retry: Whether to try again.
        wait: Seconds to wait first (when ``retry``).
        attempt: The attempt that failed under this rule (1-based).
        max_attempts: Attempts the rule allows (``max_retries + 1``).
        why_not: When not retrying: why (for the error message).
    """

    retry: bool
    wait: float = 0.0
    attempt: int = 1
    max_attempts: int = 1
    why_not: str = ""


class RetryPolicy:
    """Retry rules of one client.

    Args:
        config: The client's retry configuration.
        rng: Source of randomness for jitter (``random.random`` by default).
        wall_clock: Current time, for ``Retry-After`` HTTP dates.
    """

    def __init__(self, config: RetryConfig, *, rng: Callable[[], float] = random.random,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.config = config
        self._rng = rng
        self.wall_clock = wall_clock

    def rule_for(self, status: int | None) -> RetryRule | None:
        """The first rule matching ``status`` (``None`` = transport failure).

        A transport failure (reset, timeout, DNS, truncated body) that no rule names with
        ``"transport"`` is retried like a 5xx: under the first rule holding a 5xx status.
        """
        key: int | str = "transport" if status is None else status
        for rule in self.config.rules:
            if key in rule.statuses:
                return rule
        if status is None:
            for rule in self.config.rules:
                if any(isinstance(s, int) and 500 <= s <= 599 for s in rule.statuses):
                    return rule
        return None

    def backoff(self, rule: RetryRule, retry_number: int) -> float:
        """Wait before retry ``retry_number`` (1-based) without ``Retry-After``, jitter included."""
        if rule.constant is not None:
            wait = rule.constant
        else:
            wait = rule.backoff_factor * rule.backoff_base ** (retry_number - 1)
        if rule.max_wait is not None:
            wait = min(wait, rule.max_wait)
        if rule.jitter:
            wait += wait * rule.jitter * self._rng()
        return wait

    def start(self, started_at: float) -> RetryState:
        """A fresh state for one logical request started at ``started_at`` (monotonic)."""
        return RetryState(self, started_at)


class RetryState:
    """Retry bookkeeping of one logical request (counts per rule, time budget)."""

    def __init__(self, policy: RetryPolicy, started_at: float):
        self._policy = policy
        self._started_at = started_at
        self._counts: dict[int, int] = {}
        self.retries = 0

    def decide(self, *, status: int | None, retry_after_header: str | None, now: float,
               rule: RetryRule | None = None) -> RetryDecision:
        """Decide about a failure.

        Args:
            status: HTTP status, or ``None`` for a transport failure.
            retry_after_header: The raw ``Retry-After`` header, if any.
            now: Current monotonic time (from the sleeper).
            rule: Force this rule (a ``response_actions`` retry); default: the matching one.
        """
        rule = rule or self._policy.rule_for(status)
        if rule is None:
            return RetryDecision(retry=False, why_not="not retriable")
        done = self._counts.get(id(rule), 0)
        attempt, max_attempts = done + 1, rule.max_retries + 1
        if done >= rule.max_retries:
            return RetryDecision(retry=False, attempt=attempt, max_attempts=max_attempts,
                                 why_not=f"gave up after {attempt} attempt(s)")
        wait = self._policy.backoff(rule, done + 1)
        if rule.respect_retry_after:
            server_wait = parse_retry_after(retry_after_header, self._policy.wall_clock())
            if server_wait is not None:
                cap = rule.max_wait if rule.max_wait is not None else RETRY_AFTER_CAP
                wait = min(max(server_wait, 0.0), max(cap, 0.0))
        budget = self._policy.config.max_total_seconds
        if budget is not None and (now - self._started_at) + wait > budget:
            return RetryDecision(
                retry=False, attempt=attempt, max_attempts=max_attempts,
                why_not=(f"gave up after {attempt} attempt(s): waiting {wait:g} s more would "
                         f"exceed max_total_seconds={budget:g}"))
        self._counts[id(rule)] = done + 1
        self.retries += 1
        return RetryDecision(retry=True, wait=wait, attempt=attempt, max_attempts=max_attempts)
