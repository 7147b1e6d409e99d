"""Progress events the engine emits; only the CLI renders them.

The engine never prints. Every stage receives an :data:`EventSink` (a plain callable) and
reports what happens through it. Events are small frozen dataclasses; URLs in them are
already redacted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    """Base class of all events."""


@dataclass(frozen=True)
class ResourceStarted(Event):
    resource: str


@dataclass(frozen=True)
class RequestSent(Event):
    resource: str
    method: str
    url: str  # redacted
    attempt: int = 1


@dataclass(frozen=True)
class RetryScheduled(Event):
    resource: str
    url: str  # redacted
    attempt: int  # the attempt that failed (1-based)
    max_attempts: int
    wait_seconds: float
    reason: str  # "429 Too Many Requests", "connection reset", ...


@dataclass(frozen=True)
class TokenRefreshed(Event):
    reason: str  # "initial", "expiring", "401"


@dataclass(frozen=True)
class PageFetched(Event):
    resource: str
    page: int  # 1-based page number within one (parent item, resource) sequence
    records: int
    url: str  # redacted


@dataclass(frozen=True)
class ParentItemSkipped(Event):
    resource: str
    parent: str  # "projects.id=123"
    reason: str


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should see that is not an error (a fallback, an inference at run time)."""

    resource: str | None
    message: str


@dataclass(frozen=True)
class RunTimeInference(Notice):
    """Something the run decided from what the API answered (a detected paginator or records
    path); reported once per resource, listed in the summary and stored with the resource's
    state. ``path`` is the spec path it fills in."""

    path: str = ""


@dataclass(frozen=True)
class ConcurrencySettled(Event):
    """Where a host's in-flight limit ended a run (one per host the client talked to)."""

    host: str  # host:port
    settled: int  # the limit at the end
    start: int
    peak: int
    lowest: int
    ceiling: int
    backoffs: int  # cuts on 429/503
    adaptive: bool


@dataclass(frozen=True)
class ResourceFinished(Event):
    resource: str
    records: int
    pages: int
    requests: int
    retries: int
    skipped_parents: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows loaded
    notes: tuple[str, ...] = ()
    schema_changes: tuple[str, ...] = ()  # "new column events.x (bigint)", ...


@dataclass(frozen=True)
class ResourceFailed(Event):
    resource: str
    error: str  # str(RestsyncError), already redacted
    kind: str  # exception class name


EventSink = Callable[[Event], None]


def discard(_: Event) -> None:
    """An :data:`EventSink` that drops everything."""
