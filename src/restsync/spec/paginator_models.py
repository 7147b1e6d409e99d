"""Paginator models (``paginator``). Registering a new type: add its model to ``PaginatorConfig``
(and its runtime class, decorated with ``@paginator_for``, in :mod:`restsync.extract.paginators`)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from restsync.spec.base import Registry, TypedModel


class _PaginatorBase(TypedModel):
    stop_condition: str | None = None
    """restsync: boolean expression evaluated after every page; true stops paging."""


class SinglePagePaginator(_PaginatorBase):
    type: Literal["single_page"] = "single_page"


class CursorPaginator(_PaginatorBase):
    """Cursor paging.

    Where the next cursor comes from (exactly one source is used):
      * ``cursor_path``: a dotted/JSONPath path in the body (``paging.next``), or
        ``headers.<Name>`` for a response header, or ``headers.link.<rel>.url`` for the
        RFC 8288 ``Link`` header;
      * ``cursor_value``: restsync: ``last_record.<field>``, the field of the page's last
        record (``id_greater_than`` style paging).

    How it is sent: as query parameter ``cursor_param``; when the cursor value is an
    absolute http(s) URL it is followed as the next page's URL instead (and
    ``cursor_param`` is not used for that request).
    """

    type: Literal["cursor"] = "cursor"
    cursor_path: str | None = None
    cursor_param: str | None = None
    cursor_value: str | None = None
    cursor_body_path: str | None = None  # send the cursor in the JSON body (POST) instead
    limit: int | None = Field(default=None, gt=0)
    limit_param: str = "limit"  # restsync: name of the page-size query parameter


class JsonLinkPaginator(_PaginatorBase):
    """Next page URL found in the body at ``next_url_path``."""

    aliases: ClassVar[tuple[str, ...]] = ("json_response",)

    type: Literal["json_link"] = "json_link"
    next_url_path: str


class HeaderLinkPaginator(_PaginatorBase):
    """Next page URL from the RFC 8288 ``Link`` header (``rel=links_next_key``)."""

    type: Literal["header_link"] = "header_link"
    links_next_key: str = "next"


class HeaderCursorPaginator(_PaginatorBase):
    """Cursor read from response header ``cursor_key`` and sent as ``cursor_param``."""

    type: Literal["header_cursor"] = "header_cursor"
    cursor_key: str = "next"
    cursor_param: str = "cursor"


class OffsetPaginator(_PaginatorBase):
    """Offset/limit paging. Without ``total_path`` it stops on a short or empty page."""

    type: Literal["offset"] = "offset"
    limit: int = Field(gt=0)
    offset: int = Field(default=0, ge=0)
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: str | None = None
    maximum_offset: int | None = None
    stop_after_empty_page: bool = True


class PageNumberPaginator(_PaginatorBase):
    """Page-number paging. Without ``total_path`` it stops on an empty page."""

    type: Literal["page_number"] = "page_number"
    base_page: int = 0
    page: int | None = None
    page_param: str = "page"
    total_path: str | None = None
    maximum_page: int | None = None
    stop_after_empty_page: bool = True
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str = "per_page"


PaginatorConfig = Annotated[
    SinglePagePaginator | CursorPaginator | JsonLinkPaginator | HeaderLinkPaginator
    | HeaderCursorPaginator | OffsetPaginator | PageNumberPaginator,
    Field(discriminator="type"),
]

PAGINATORS = Registry(PaginatorConfig, "paginator type")
"""The registered paginator types (names, aliases, models)."""
