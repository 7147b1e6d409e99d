"""Paging: DefaultPaginator with CursorPagination, PageIncrement, OffsetIncrement; NoPagination.

The CDK's stop rules (restsync's paginator of a manifest stream follows them exactly):

* ``CursorPagination``: after each page, ``stop_condition`` (if any) true stops; else
  ``cursor_value`` is rendered with ``response``, ``headers`` (``headers.link.next.url``),
  ``last_record`` and ``last_page_size``; an empty value stops.
* ``PageIncrement``: a page with fewer records than ``page_size`` (or none) stops; the next
  page is ``start_from_page + 1``, then one more each time.
* ``OffsetIncrement``: a page with fewer records than ``page_size`` (or none) stops; the
  next offset is the records read so far.

Records are counted as the extractor found them (before a record filter), as the CDK's
page/offset strategies count them; the cursor strategy sees the kept records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.templated import PageStrategy, RequestOption

__all__ = ["cursor_pagination", "default_paginator", "no_pagination", "offset_increment",
           "page_increment"]


def no_pagination(c: Compiler, component: Mapping[str, Any]) -> PageStrategy:
    """``NoPagination``: one request per partition and window."""
    return PageStrategy()


def _page_size(c: Compiler, component: Mapping[str, Any], where: str, *,
               keep_template: bool = False) -> Any:
    size = component.get("page_size")
    if size is None or isinstance(size, int):
        return size
    if isinstance(size, str) and size.isdigit():
        return int(size)
    if keep_template:
        return c.template(size, component, f"{where}.page_size")
    value = c.evaluate(size, component, f"{where}.page_size")
    if not isinstance(value, int):
        raise Unsupported("PaginationStrategy", f"{where}.page_size",
                          f"page_size gave {value!r}, expected an integer")
    return value


def cursor_pagination(c: Compiler, component: Mapping[str, Any]) -> PageStrategy:
    """``CursorPagination``: the next token is ``cursor_value`` rendered after each page."""
    where = path_of(component)
    if component.get("cursor_value") is None:
        raise Unsupported("CursorPagination", where, "cursor_value is required")
    stop = component.get("stop_condition")
    return PageStrategy(
        kind="cursor", page_size=_page_size(c, component, where),
        cursor_value=c.template(component["cursor_value"], component, f"{where}.cursor_value"),
        stop_condition=(c.template(stop, component, f"{where}.stop_condition",
                                   default="False") if stop is not None else None))


def page_increment(c: Compiler, component: Mapping[str, Any]) -> PageStrategy:
    """``PageIncrement``: page numbers from ``start_from_page`` (default 0)."""
    where = path_of(component)
    start = component.get("start_from_page") or 0
    if isinstance(start, str):
        start = c.evaluate(start, component, f"{where}.start_from_page")
    return PageStrategy(kind="page", page_size=_page_size(c, component, where),
                        start_from_page=int(start),
                        inject_on_first_request=bool(component.get("inject_on_first_request")))


def offset_increment(c: Compiler, component: Mapping[str, Any]) -> PageStrategy:
    """``OffsetIncrement``: the offset of the next page is the records read so far."""
    where = path_of(component)
    return PageStrategy(kind="offset",
                        page_size=_page_size(c, component, where, keep_template=True),
                        inject_on_first_request=bool(component.get("inject_on_first_request")))


def default_paginator(c: Compiler, component: Mapping[str, Any]) -> PageStrategy:
    """``DefaultPaginator``: a strategy plus where the token and the page size go."""
    where = path_of(component)
    strategy_component = component.get("pagination_strategy")
    if not isinstance(strategy_component, Mapping):
        raise Unsupported("DefaultPaginator", where, "pagination_strategy is required")
    strategy = c.build(strategy_component, "pagination strategy")
    assert isinstance(strategy, PageStrategy)
    token_option = component.get("page_token_option")
    size_option = component.get("page_size_option")
    token = c.build(token_option, "request option") if token_option else None
    size = c.build(size_option, "request option") if size_option else None
    if size is not None and strategy.page_size is None:
        raise Unsupported("DefaultPaginator", f"{where}.page_size_option",
                          "page_size_option needs a page_size in the pagination strategy")
    if size is not None and size.inject_into == "path":
        raise Unsupported("DefaultPaginator", f"{where}.page_size_option",
                          "the page size cannot go in the path")
    if token is None:
        c.infer(f"{where}.page_token_option",
                f"{c.stream}: no page_token_option: the token goes only where the requester's "
                "templates use next_page_token; without that every page asks for the same "
                "data (as the CDK does)")
    assert token is None or isinstance(token, RequestOption)
    assert size is None or isinstance(size, RequestOption)
    return PageStrategy(kind=strategy.kind, page_size=strategy.page_size,
                        page_size_option=size, token_option=token,
                        cursor_value=strategy.cursor_value,
                        stop_condition=strategy.stop_condition,
                        start_from_page=strategy.start_from_page,
                        inject_on_first_request=strategy.inject_on_first_request)
