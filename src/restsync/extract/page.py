"""What a page sequence yields: :class:`Page`, and the per-resource :class:`ResourceStats`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Page", "ResourceStats"]


@dataclass
class Page:
    """One page of records.

    Attributes:
        resource: Resource name.
        number: 1-based page number within this page sequence.
        records: The selected records.
        url: The requested URL, redacted.
        resume_state: JSON-able state that continues the sequence after this page (pass it
            to :meth:`ApiClient.pages` as ``resume_from``); ``None`` on the last page.
        decision: What the paginator decided after this page (``next: ...`` / ``stop: ...``),
            redacted.
    """

    resource: str
    number: int
    records: list[dict[str, Any]]
    url: str
    resume_state: dict[str, Any] | None = None
    decision: str = ""


@dataclass
class ResourceStats:
    """Counters of one resource (summed over all its page sequences)."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    records: int = 0
    inferences: list[str] = field(default_factory=list)
    """What the run inferred for this resource (detected paginator, records path), once each."""
