"""What ``restsync preview`` shows: plain dataclasses, every text already redacted.

:func:`restsync.engine.preview.preview_source` builds them; the CLI renders them as text or
as one JSON document (:meth:`SourcePreview.to_dict`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RequestView:
    """One HTTP exchange.

    Attributes:
        method: ``GET``, ``POST``...
        url: The URL as sent, redacted.
        status: The response status (None when the transport failed).
        seconds: How long it took.
        content_type: The response's media type.
        bytes: Body size.
        kind: ``api`` or ``token`` (a token request of the auth flow).
        error: The transport failure, if any.
        excerpt: A redacted excerpt of the body of a response that is an error (status 400
            and up), or of the page an error was found on.
    """

    method: str
    url: str
    status: int | None
    seconds: float
    content_type: str = ""
    bytes: int = 0
    kind: str = "api"
    error: str | None = None
    excerpt: str | None = None


@dataclass
class PageView:
    """One page of a request sequence.

    Attributes:
        number: 1-based page number.
        requests: Every exchange of the page (token requests, retries, redirects).
        selector: Where the records were read (the data selector, or what was detected).
        selected: Records the selector found.
        kept: Records a first run would load from the page (after the incremental filter and
            the processing steps).
        decision: What the paginator decided (``next: ...`` / ``stop: ...``).
        next_request: The next page's request (redacted URL), when there is one.
        warnings: What looks wrong on this page (a selector that matched nothing, a cursor
            that did not change, the same records as the page before).
    """

    number: int
    requests: list[RequestView] = field(default_factory=list)
    selector: str = ""
    selected: int = 0
    kept: int = 0
    decision: str = ""
    next_request: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SequenceView:
    """One request sequence: a root resource's pages, or a child's for one parent item.

    Attributes:
        label: The parent item (``projects.id=7``); empty for a root resource.
        pages: The pages fetched.
        error: Why the sequence ended in an error (redacted), shown after its last page.
        error_requests: The exchanges of the page the error happened on.
        stopped: Why preview stopped paging although the paginator would go on.
        skipped: Why a run would skip this parent item (a child request answering 404/410).
    """

    label: str = ""
    pages: list[PageView] = field(default_factory=list)
    error: str | None = None
    error_requests: list[RequestView] = field(default_factory=list)
    stopped: str | None = None
    skipped: str | None = None


@dataclass
class ResourceSample:
    """What one resource's first pages gave.

    Attributes:
        resource: The resource.
        request: ``GET /path``.
        paginator: The paginator as configured (``auto`` is detected on the first page).
        selector: The data selector as configured (``None``: detected on the first page).
        parent: The parent resource, if any.
        loaded: Whether a run loads it (False: fetched only to feed its children).
        sequences: The request sequences fetched.
        records: The first records, as a run would load them (parent keys included).
        columns: Table -> column -> type the records would make.
        inferences: What was decided from the responses (a detected paginator or selector).
        warnings: What looks wrong for the resource as a whole.
        error: Why the resource was not fetched at all (e.g. its parent gave no records).
    """

    resource: str
    request: str
    paginator: str
    selector: str | None
    parent: str | None = None
    loaded: bool = True
    sequences: list[SequenceView] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    inferences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the resource or any of its sequences ended in an error."""
        return self.error is not None or any(s.error for s in self.sequences)


@dataclass
class SourcePreview:
    """The preview of a source: one :class:`ResourceSample` per resource, in run order.

    Attributes:
        source: The source name.
        base_url: The client's base URL (redacted).
        pages: Pages fetched at most per request sequence.
        resources: The samples.
    """

    source: str
    base_url: str
    pages: int
    resources: list[ResourceSample] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The preview as plain JSON-able data (``restsync preview --json``)."""
        return asdict(self)
