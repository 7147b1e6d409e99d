"""The retry policy: which failures are retried, how long to wait, when to give up.

A :class:`RetryPolicy` is built once per client from :class:`~restsync.spec.model.RetryConfig`.
Each logical request gets a :class:`RetryState` that counts retries per rule (by the rule's
position in the policy) and the time spent. :class:`RetryLoop` is the one loop that runs an
attempt until it succeeds or the policy gives up (stamina's model: one bounded loop, the
attempt says what happened, the policy decides). Waiting goes through a :class:`Sleeper` so
tests can run the policy without sleeping (:class:`RecordingSleeper` records the waits and
advances a virtual clock).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Protocol, TypeVar

from restsync.errors import RetriableError, TransportError, WaitTooLongError
from restsync.spec.limits import Limits
from restsync.spec.model import RetryConfig, RetryRule

__all__ = [
    "AsyncioSleeper",
    "RecordingSleeper",
    "RetryAgain",
    "RetryDecision",
    "RetryLoop",
    "RetryPolicy",
    "RetryState",
    "Sleeper",
    "check_wait",
    "parse_retry_after",
    "transport_again",
]

T = TypeVar("T")

#: Retries counted under this key: ``response_actions: retry`` on a status no rule names.
ACTION_RULE_KEY = "response_actions"

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
        self._action_rule = RetryRule(statuses=[])

    def rule_for(self, status: int | None) -> RetryRule | None:
        """The first rule matching ``status`` (``None`` = transport failure).

        A transport failure (reset, timeout, DNS, truncated body) that no rule names with
        ``"transport"`` is retried like a 5xx: under the first rule holding a 5xx status.
        """
        found = self._find(status)
        return found[1] if found is not None else None

    def _find(self, status: int | None) -> tuple[int, RetryRule] | None:
        """``(position, rule)`` of the rule matching ``status`` (see :meth:`rule_for`)."""
        key: int | str = "transport" if status is None else status
        for i, rule in enumerate(self.config.rules):
            if key in rule.statuses:
                return i, rule
        if status is None:
            for i, rule in enumerate(self.config.rules):
                if any(isinstance(s, int) and 500 <= s <= 599 for s in rule.statuses):
                    return i, rule
        return None

    def rule_and_key(self, status: int | None, *, forced: bool = False
                     ) -> tuple[int | str, RetryRule] | None:
        """The rule for a failure and the key its retries are counted under.

        The key is the rule's position in the policy, so counts never depend on object
        identity. ``forced`` (a ``response_actions: retry``) on a status no rule names is
        retried under one default rule (3 retries, factor 2), counted under
        :data:`ACTION_RULE_KEY`.
        """
        found = self._find(status)
        if found is not None:
            return found
        if forced:
            return ACTION_RULE_KEY, self._action_rule
        return None

    @property
    def max_retries_total(self) -> int:
        """The most retries one logical request can get (every rule's count plus the default
        response-action rule's)."""
        return sum(rule.max_retries for rule in self.config.rules) + \
            self._action_rule.max_retries

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
        self._counts: dict[int | str, int] = {}
        self.retries = 0

    def decide(self, *, status: int | None, retry_after_header: str | None, now: float,
               forced: bool = False) -> RetryDecision:
        """Decide about a failure.

        Args:
            status: HTTP status, or ``None`` for a transport failure.
            retry_after_header: The raw ``Retry-After`` header, if any.
            now: Current monotonic time (from the sleeper).
            forced: A ``response_actions`` entry asks for a retry (also of a status no rule
                names).
        """
        found = self._policy.rule_and_key(status, forced=forced)
        if found is None:
            return RetryDecision(retry=False, why_not="not retriable")
        key, rule = found
        done = self._counts.get(key, 0)
        attempt, max_attempts = done + 1, rule.max_retries + 1
        if done >= rule.max_retries:
            return RetryDecision(retry=False, attempt=attempt, max_attempts=max_attempts,
                                 why_not=f"gave up after {attempt} attempt(s)")
        wait = self._policy.backoff(rule, done + 1)
        if rule.respect_retry_after:
            server_wait = parse_retry_after(retry_after_header, self._policy.wall_clock())
            if server_wait is not None:  # the client's limits.max_retry_wait judges it
                wait = server_wait if rule.max_wait is None else min(server_wait, rule.max_wait)
        budget = self._policy.config.max_total_seconds
        if budget is not None and (now - self._started_at) + wait > budget:
            return RetryDecision(
                retry=False, attempt=attempt, max_attempts=max_attempts,
                why_not=(f"gave up after {attempt} attempt(s): waiting {wait:g} s more would "
                         f"exceed max_total_seconds={budget:g}"))
        self._counts[key] = done + 1
        self.retries += 1
        return RetryDecision(retry=True, wait=wait, attempt=attempt, max_attempts=max_attempts)


@dataclass(frozen=True)
class RetryAgain(Generic[T]):
    """What an attempt returns when its outcome may deserve another try.

    Attributes:
        status: The HTTP status, or ``None`` for a transport failure.
        reason: Short human reason for events and messages (``"429 Too Many Requests"``).
        give_up: Called with the policy's "why not" when there is no further try; returns
            the final result or raises the final error.
        retry_after: The raw ``Retry-After`` header, if any.
        forced: A ``response_actions`` entry asked for the retry.
    """

    status: int | None
    reason: str
    give_up: Callable[[str], T]
    retry_after: str | None = None
    forced: bool = False


class RetryLoop:
    """The one bounded retry loop (page fetches and token requests).

    An attempt returns its result, or a :class:`RetryAgain` describing the failure; a
    transport failure it raises (:class:`~restsync.errors.RetriableError`) is turned into a
    :class:`RetryAgain` by ``transport_failure``. The policy decides; the loop waits through
    ``wait`` and tries again, or calls ``give_up``. Every retry uses up one of a rule's
    ``max_retries`` (or the time budget), so the loop ends after at most
    :attr:`RetryPolicy.max_retries_total` + 1 attempts.

    Args:
        policy: The client's retry policy.
        clock: Monotonic time (the sleeper's).
    """

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float]) -> None:
        self.policy = policy
        self._clock = clock

    async def run(self, attempt: Callable[[int], Awaitable[T | RetryAgain[T]]], *,
                  transport_failure: Callable[[RetriableError], RetryAgain[T]],
                  wait: Callable[[RetryDecision, str], Awaitable[None]]) -> T:
        """Run ``attempt(1)``, ``attempt(2)``... until it returns a result or the policy gives up.

        Args:
            attempt: One try; gets the attempt number (1-based).
            transport_failure: Describes a transport failure ``attempt`` raised.
            wait: Awaits one decided wait (reports it, applies wait limits, sleeps); called
                with the decision and the failure's reason.

        Returns:
            The result of the last attempt, or what ``give_up`` returned.
        """
        state = self.policy.start(self._clock())
        for number in itertools.count(1):
            try:
                outcome = await attempt(number)
            except RetriableError as exc:
                outcome = transport_failure(exc)
            if not isinstance(outcome, RetryAgain):
                return outcome
            decision = state.decide(status=outcome.status, retry_after_header=outcome.retry_after,
                                    now=self._clock(), forced=outcome.forced)
            if not decision.retry:
                return outcome.give_up(decision.why_not)
            await wait(decision, outcome.reason)
        raise AssertionError("unreachable")  # pragma: no cover - count() never ends


def check_wait(decision: RetryDecision, reason: str, *, limits: Limits, max_wait: float | None,
               where: str, method: str, url: str, resource: str,
               resume: Callable[[], dict[str, object]] | None) -> None:
    """Refuse a wait longer than allowed: ``limits.max_retry_wait``, or ``max_wait``
    (``--max-wait``) when that is shorter.

    Args:
        decision: The policy's decision (its ``wait``).
        reason: Why the request is retried (``429 Too Many Requests``).
        limits: The resource's limits.
        max_wait: The run's ``--max-wait``, if any.
        where: ``resource 'x', page 3`` (the error's location starts with it).
        method: The request's method.
        url: The request's redacted URL.
        resource: The resource's name.
        resume: Builds the state that resumes the page sequence at this request.

    Raises:
        WaitTooLongError: The wait is longer than allowed (stop cleanly, resume later).
    """
    allowed, setting = limits.max_retry_wait, limits.setting("max_retry_wait")
    if max_wait is not None and max_wait < allowed:
        allowed, setting = max_wait, f"max_wait={max_wait:g}, --max-wait"
    if decision.wait <= allowed:
        return
    raise WaitTooLongError(
        f"{reason}: the retry policy asks to wait {decision.wait:g} s before attempt "
        f"{decision.attempt + 1}/{decision.max_attempts}, more than the {allowed:g} s "
        f"allowed ({setting}); stopping instead of sleeping",
        resource=resource, wait_seconds=decision.wait, max_wait=allowed, url=url,
        resume_state=resume() if resume is not None else None, setting=setting,
        location=f"{where}, {method} {url}",
        hint="everything fetched before this request can be committed; run again later to "
             "continue from here")


def transport_again(exc: RetriableError, redact: Callable[[str], str], *, prefix: str = "",
                    location: Callable[[], str] | None = None) -> RetryAgain[Any]:
    """A transport failure as a :class:`RetryAgain` whose give-up raises a TransportError
    (``prefix`` starts its message, ``location`` builds its location)."""
    detail = redact(exc.message)

    def give_up(why: str) -> Any:
        raise TransportError(f"{prefix}{status_reason(None, detail)}; {why or 'not retried'}",
                             location=location() if location is not None else None)
    return RetryAgain(None, status_reason(None, detail), give_up)
