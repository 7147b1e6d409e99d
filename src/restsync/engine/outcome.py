"""What happened to one resource in a run (the run summary's rows)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from restsync.errors import FatalError, RestsyncError
from restsync.events import ResourceFinished

ResourceStatus = Literal["completed", "failed", "extracted", "stopped"]


@dataclass
class ResourceOutcome:
    """What happened to one resource in a run.

    Attributes:
        name: The resource.
        status: ``completed`` (committed), ``failed`` (nothing committed), ``extracted``
            (only fetched to feed its children) or ``stopped`` (committed so far; resumes).
        records: Records fetched.
        pages: Pages fetched.
        requests: HTTP requests sent.
        retries: Requests retried.
        skipped_parents: Parent items whose child requests answered 404/410.
        items_total: Request sequences (parent items x fan-out values).
        tables: Table -> rows loaded.
        notes: Things the user should know (fallbacks, dropped rows), in plain words.
        schema_changes: What the load changed in the stored schema, one line each.
        error: Why the resource failed or stopped.
        seconds: Wall time of the resource.
    """

    name: str
    status: ResourceStatus = "completed"
    records: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    skipped_parents: int = 0
    items_total: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    schema_changes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def describe(exc: BaseException) -> str:
    """An error as the summary shows it (restsync's own errors as they are)."""
    if isinstance(exc, RestsyncError):
        return str(exc)
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return f"internal error {type(exc).__name__}: {exc}"


def finished_event(outcome: ResourceOutcome) -> ResourceFinished:
    """The event of a resource that completed (or was extracted for its children)."""
    return ResourceFinished(
        resource=outcome.name, records=outcome.records, pages=outcome.pages,
        requests=outcome.requests, retries=outcome.retries,
        skipped_parents=outcome.skipped_parents, tables=dict(outcome.tables),
        notes=tuple(outcome.notes), schema_changes=tuple(outcome.schema_changes))


def check_not_all_skipped(outcome: ResourceOutcome, where: str) -> None:
    """Fail a resource every one of whose parent items answered 404/410.

    Raises:
        FatalError: They all did.
    """
    if outcome.skipped_parents and outcome.skipped_parents == outcome.items_total:
        raise FatalError(f"every one of its {outcome.skipped_parents} parent item(s) answered "
                         f"404/410; the path is likely wrong", location=where)
