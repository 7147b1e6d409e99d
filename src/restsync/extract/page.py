"""What a page sequence yields: :class:`Page`, and the per-resource :class:`ResourceStats`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from restsync.errors import PageLimitError

if TYPE_CHECKING:
    from restsync.spec.limits import Limits

__all__ = ["Page", "ResourceStats", "page_limit_error"]


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
        body: The raw JSON body the records were selected from (None when there is none or
            the records were not selected from one body).
        records_keys: The data selector as a path of object keys (``()``: the whole body);
            None when it is not one (JSONPath): then ``body`` cannot be re-read without it.
    """

    resource: str
    number: int
    records: Sequence[dict[str, Any]]
    url: str
    resume_state: dict[str, Any] | None = None
    decision: str = ""
    body: bytes | bytearray | None = field(default=None, repr=False)
    records_keys: tuple[str, ...] | None = None


@dataclass
class ResourceStats:
    """Counters of one resource (summed over all its page sequences)."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    records: int = 0
    inferences: list[str] = field(default_factory=list)
    """What the run inferred for this resource (detected paginator, records path), once each."""


def page_limit_error(*, resource: str, fetched: int, next_page: int,
                     resume: dict[str, Any] | None, limits: Limits, location: str,
                     hint: str) -> PageLimitError:
    """``max_pages`` reached while the API says there are more pages (the next run resumes)."""
    setting = limits.setting("max_pages")
    return PageLimitError(
        f"{fetched:,} pages fetched and the API says there are more; stopping (the next run "
        f"resumes at page {next_page:,})", resource=resource, pages=fetched,
        resume_state=resume, setting=setting, location=f"{location} ({setting})", hint=hint)
