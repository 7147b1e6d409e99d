"""Paginator models (``paginator``). Registering a new type: add its model to ``PaginatorConfig``
(and its runtime class, decorated with ``@paginator_for``, in :mod:`restsync.extract.paginators`).

Defaults are dlt's (``rest_api`` 1.31): ``json_link`` reads ``next``, ``cursor`` reads
``cursors.next`` and sends ``cursor``, ``offset``/``page_number`` read the total from
``total``. Where restsync differs (an empty page stops every paginator, a cursor that is an
absolute URL is followed) ``docs/spec.md`` ("Coming from dlt") says why.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from restsync.spec.base import Registry, TypedModel


class _PaginatorBase(TypedModel):
    stop_condition: str | None = None
    """restsync: boolean expression evaluated after every page; true stops paging."""


class SinglePagePaginator(_PaginatorBase):
    type: Literal["single_page"] = "single_page"


class AutoPaginator(_PaginatorBase):
    """dlt's ``auto`` (also what an endpoint without any paginator gets): the paginator is
    detected from the first response (Link header, a next URL, a page count, a cursor) and
    reported as a run-time inference; a response that hints at more pages in no usable way
    is refused rather than loaded as one page."""

    type: Literal["auto"] = "auto"


class CursorPaginator(_PaginatorBase):
    """Cursor paging.

    Where the next cursor comes from (exactly one source is used):
      * ``cursor_path``: a dotted/JSONPath path in the body (dlt's default ``cursors.next``),
        or ``headers.<Name>`` for a response header, or ``headers.link.<rel>.url`` for the
        RFC 8288 ``Link`` header;
      * ``cursor_value``: restsync: ``last_record.<field>``, the field of the page's last
        record (``id_greater_than`` style paging).

    How it is sent: as query parameter ``cursor_param`` (dlt's default ``cursor``) or at
    ``cursor_body_path`` in the JSON body; a cursor value that is an absolute http(s) URL is
    followed as the next page's URL instead.
    """

    type: Literal["cursor"] = "cursor"
    cursor_path: str | None = None
    cursor_param: str | None = None
    cursor_value: str | None = None
    cursor_body_path: str | None = None  # send the cursor in the JSON body (POST) instead
    limit: int | None = Field(default=None, gt=0)
    limit_param: str = "limit"  # restsync: name of the page-size query parameter
    has_more_path: str | None = None
    """A boolean in the body; false stops paging (a missing value is an error)."""
    stop_after_empty_page: bool = True
    """restsync stops at an empty page by default (dlt's cursor default is ``false``)."""


class JsonLinkPaginator(_PaginatorBase):
    """Next page URL found in the body at ``next_url_path`` (dlt's default ``next``)."""

    aliases: ClassVar[tuple[str, ...]] = ("json_response",)

    type: Literal["json_link"] = "json_link"
    next_url_path: str = "next"


class HeaderLinkPaginator(_PaginatorBase):
    """Next page URL from the RFC 8288 ``Link`` header (``rel=links_next_key``)."""

    type: Literal["header_link"] = "header_link"
    links_next_key: str = "next"


class HeaderCursorPaginator(_PaginatorBase):
    """Cursor read from response header ``cursor_key`` and sent as ``cursor_param``."""

    type: Literal["header_cursor"] = "header_cursor"
    cursor_key: str = "next"
    cursor_param: str = "cursor"


class _RangePaginator(_PaginatorBase):
    total_path: str | None = "total"
    """Where the total is (dlt's default ``total``; ``null``: no total). When a response has
    no value there restsync goes on without it (see each paginator) where dlt fails."""
    stop_after_empty_page: bool = True
    has_more_path: str | None = None
    """A boolean in the body; false stops paging (a missing value is an error)."""


class OffsetPaginator(_RangePaginator):
    """Offset/limit paging, sent as query parameters or at ``*_body_path`` in the JSON body.

    Stops when the offset reaches the total, at ``maximum_offset``, on an empty page, or when
    ``has_more_path`` is false. When the total is asked for (``total_path``) but a response
    has none, a page with fewer than ``limit`` records is the last.
    """

    type: Literal["offset"] = "offset"
    limit: int = Field(gt=0)
    offset: int = Field(default=0, ge=0)
    offset_param: str = "offset"
    limit_param: str = "limit"
    offset_body_path: str | None = None
    limit_body_path: str | None = None
    maximum_offset: int | None = None


class PageNumberPaginator(_RangePaginator):
    """Page-number paging; ``total_path`` gives the number of pages.

    The page number goes in ``page_param`` or at ``page_body_path`` in the JSON body.
    """

    type: Literal["page_number"] = "page_number"
    base_page: int = 0
    page: int | None = None
    page_param: str = "page"
    page_body_path: str | None = None
    maximum_page: int | None = None
    page_size: int | None = Field(default=None, gt=0)
    """restsync: a page size sent as ``page_size_param``; a shorter page is the last."""
    page_size_param: str = "per_page"


PaginatorConfig = Annotated[
    SinglePagePaginator | AutoPaginator | CursorPaginator | JsonLinkPaginator
    | HeaderLinkPaginator | HeaderCursorPaginator | OffsetPaginator | PageNumberPaginator,
    Field(discriminator="type"),
]

PAGINATORS = Registry(PaginatorConfig, "paginator type")
"""The registered paginator types (names, aliases, models)."""
