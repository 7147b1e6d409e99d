"""The client's request policies: retry rules, the proactive rate limit, per-token limits.

Part of the canonical spec model (:mod:`restsync.spec.model` re-exports every name here).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from restsync.spec.base import SpecModel

# --------------------------------------------------------------------------- retries


class RetryRule(SpecModel):
    """restsync: one retry rule; the first rule whose ``statuses`` match a failure applies.

    ``statuses`` may hold ints and the word ``"transport"`` (resets, timeouts, DNS).
    Wait before retry n (1-based): ``constant`` if set, else ``backoff_factor * 2 ** (n-1)``
    (``backoff_base`` replaces 2), capped by ``max_wait``; a ``Retry-After`` header wins
    when ``respect_retry_after``.
    """

    statuses: list[int | Literal["transport"]]
    max_retries: int = Field(default=3, ge=0)
    backoff_factor: float = Field(default=2.0, ge=0)
    backoff_base: float = Field(default=2.0, ge=1)
    constant: float | None = Field(default=None, ge=0)
    max_wait: float | None = Field(default=None, ge=0)
    jitter: float = Field(default=0.0, ge=0, le=1)
    respect_retry_after: bool = True


def default_retry_rules() -> list[RetryRule]:
    """The seeds' prose: retry 429/500/502/503/504 and transport errors, 3 retries, factor 2."""
    return [RetryRule(statuses=[429, 500, 502, 503, 504, "transport"])]


class RetryConfig(SpecModel):
    """restsync: retry policy of a client."""

    rules: list[RetryRule] = Field(default_factory=default_retry_rules)
    max_total_seconds: float | None = Field(default=None, gt=0)


# --------------------------------------------------------------------------- rate limit


class RateLimitConfig(SpecModel):
    """restsync: proactive request rate per host (a token bucket shared by all requests).

    Give exactly one of ``requests_per_second``, ``requests_per_minute``, or ``requests`` with
    ``per_seconds``. ``burst`` (default 1) is how many requests may go at once after a pause.
    """

    requests_per_second: float | None = Field(default=None, gt=0)
    requests_per_minute: float | None = Field(default=None, gt=0)
    requests: int | None = Field(default=None, gt=0)
    per_seconds: float | None = Field(default=None, gt=0)
    burst: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_form(self) -> RateLimitConfig:
        forms = [self.requests_per_second is not None, self.requests_per_minute is not None,
                 self.requests is not None]
        if sum(forms) != 1:
            raise ValueError("give exactly one of requests_per_second, requests_per_minute, "
                             "or requests with per_seconds")
        if (self.per_seconds is not None) != (self.requests is not None):
            raise ValueError("requests and per_seconds go together "
                             "(e.g. {requests: 100, per_seconds: 60})")
        return self

    @property
    def rate(self) -> float:
        """Requests per second."""
        if self.requests_per_second is not None:
            return self.requests_per_second
        if self.requests_per_minute is not None:
            return self.requests_per_minute / 60.0
        assert self.requests is not None and self.per_seconds is not None
        return self.requests / self.per_seconds


# --------------------------------------------------------------------------- per-token limits

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class TokenLimitsConfig(SpecModel):
    """restsync: limits of each credential, on top of the per-host ones (which stay).

    Each distinct credential a request carries to a host (the auth's secret, the secret
    headers, and headers named ``Authorization``, ``Cookie``, ``X-Api-Key``... or in
    ``credential_headers``) gets its own in-flight limit (adaptive or fixed as the client's:
    starts at ``initial_concurrency``, at most ``max_concurrency``; cut on its own 429s) and,
    with ``rate_limit``, its own token bucket. See ``docs/limits.md``.
    """

    max_concurrency: int | None = Field(default=None, ge=1)
    initial_concurrency: int | None = Field(default=None, ge=1)
    rate_limit: RateLimitConfig | None = None
    credential_headers: list[str] = Field(default_factory=list)
    """More header names whose values tell one credential from another (a manifest's
    ``request_headers`` templated from the partition)."""

    @field_validator("credential_headers")
    @classmethod
    def _header_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
        return names

    @model_validator(mode="after")
    def _says_something(self) -> TokenLimitsConfig:
        if self.max_concurrency is None and self.rate_limit is None \
                and self.initial_concurrency is None:
            raise ValueError("give max_concurrency, rate_limit or initial_concurrency "
                             "(e.g. {max_concurrency: 1, rate_limit: {requests_per_second: 5}})")
        if (self.initial_concurrency is not None and self.max_concurrency is not None
                and self.initial_concurrency > self.max_concurrency):
            raise ValueError(f"initial_concurrency ({self.initial_concurrency}) is above "
                             f"max_concurrency ({self.max_concurrency})")
        return self
