"""What dlt detects on an endpoint's first response: where the records are, how it pages.

Records (no ``data_selector``): a top-level list is the records; in an object, the first
list (three levels deep at most) under a key such as ``data``/``items``/``results``, else the
first list at all, else the whole body.

Paginator (``paginator: auto``, or none anywhere), in dlt's order:

1. a ``Link`` header with ``rel="next"``: ``header_link``;
2. a key starting with ``next`` (or its ``href``/``url``) holding a URL (``http...`` or
   ``/...``): ``json_link`` on that path;
3. a page count (``total_pages``, ``pages``, ``totalPages``): ``page_number`` with that total;
4. a key starting with ``next`` holding another value: ``cursor`` on that path;
5. nothing of the above: one page. restsync refuses this last case when the response says
   there is more (``has_more: true``, or a ``total``/``count`` larger than the page) instead
   of silently loading the first page (dlt loads it and logs a warning).
"""

from __future__ import annotations

import re
from typing import Any

from restsync.errors import PaginationError
from restsync.extract.http import Response
from restsync.spec import model

__all__ = ["detect_paginator", "detect_records_path"]

RECORD_KEYS = frozenset({"data", "items", "results", "entries", "records", "rows", "entities",
                         "payload", "content", "objects", "values"})
_NON_RECORD_KEYS = frozenset({"meta", "metadata", "pagination", "links", "extras", "headers"})
_MAX_LIST_DEPTH = 3
_PAGE_COUNT_KEYS = (re.compile(r"^total_pages$"), re.compile(r"^pages$"),
                    re.compile(r"^totalpages$"))
_MORE_KEYS = ("has_more", "hasmore", "has_next", "hasnext", "more", "has_next_page",
              "hasnextpage", "more_results", "moreresults")
_TOTAL_KEYS = ("total", "count", "total_count", "totalcount", "total_results", "totalresults",
               "total_items", "totalitems", "total_records", "totalrecords")


def _lists(node: dict[str, Any], path: tuple[str, ...],
           out: list[tuple[tuple[str, ...], list[Any]]]) -> None:
    if len(path) >= _MAX_LIST_DEPTH:
        return
    for key, value in node.items():
        if isinstance(value, list):
            out.append(((*path, key), value))
        elif isinstance(value, dict):
            _lists(value, (*path, key), out)


def detect_records_path(body: Any) -> str:
    """Where the records of ``body`` are, as a data selector (``$`` = the whole body)."""
    if not isinstance(body, dict):
        return "$"
    found: list[tuple[tuple[str, ...], list[Any]]] = []
    _lists(body, (), found)
    if not found:
        return "$"
    for path, _ in found:
        if path[-1] in RECORD_KEYS and path[-1] not in _NON_RECORD_KEYS:
            return ".".join(path)
    return ".".join(found[0][0])


def _next_path(node: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], Any] | None:
    """dlt's search for a next-page reference: the first key starting with ``next``."""
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if str(key).lower().startswith("next"):
            if isinstance(value, dict):
                for sub, sub_value in value.items():
                    if str(sub).lower().startswith(("href", "url")) \
                            and isinstance(sub_value, str | int | float):
                        return (*path, key, sub), sub_value
            elif isinstance(value, str | int | float):
                return (*path, key), value
        if isinstance(value, dict):
            found = _next_path(value, (*path, key))
            if found is not None:
                return found
    return None


def _page_count_path(node: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if any(p.match(str(key).lower()) for p in _PAGE_COUNT_KEYS) \
                and isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                int(value)
            except ValueError:
                return None
            return (*path, key)
        if isinstance(value, dict):
            found = _page_count_path(value, (*path, key))
            if found is not None:
                return found
    return None


def _more_hints(body: Any, records: int) -> list[str]:
    """What in a response says there are more records than this page holds."""
    hints: list[str] = []

    def visit(node: dict[str, Any], path: tuple[str, ...]) -> None:
        for key, value in node.items():
            name = str(key).lower()
            where = ".".join((*path, str(key)))
            if name in _MORE_KEYS and value is True:
                hints.append(f"`{where}: true`")
            elif name in _TOTAL_KEYS and isinstance(value, int) and not isinstance(value, bool) \
                    and value > records > 0:
                hints.append(f"`{where}: {value}` with {records} records on the page")
            elif isinstance(value, dict) and len(path) < _MAX_LIST_DEPTH:
                visit(value, (*path, str(key)))
    if isinstance(body, dict):
        visit(body, ())
    return hints


def detect_paginator(response: Response, records: list[dict[str, Any]],
                     location: str) -> tuple[Any, str]:
    """The paginator the first response calls for, and the inference to report.

    Raises:
        PaginationError: The response hints at more pages but shows no way to get them.
    """
    if response.links.get("next"):
        return model.HeaderLinkPaginator(), "next page URL from the Link header (rel=next)"
    try:
        body = response.json()
    except ValueError:
        body = None
    found = _next_path(body)
    if found is not None:
        path, value = found
        dotted = ".".join(path)
        if isinstance(value, str) and value.startswith(("http", "/")):
            return (model.JsonLinkPaginator(next_url_path=dotted),
                    f"json_link: next page URL read from `{dotted}`")
    count = _page_count_path(body)
    if count is not None:
        dotted = ".".join(count)
        return (model.PageNumberPaginator(total_path=dotted),
                f"page_number: `page` = 1, 2, ... up to the page count `{dotted}` (dlt's guess: "
                "check the first page is not fetched twice)")
    if found is not None:
        dotted = ".".join(found[0])
        return (model.CursorPaginator(cursor_path=dotted, cursor_param="cursor"),
                f"cursor: read from `{dotted}`, sent as `cursor` (dlt's guess: set the "
                "paginator to name the real parameter)")
    hints = _more_hints(body, len(records))
    if hints:
        raise PaginationError(
            f"paginator auto-detection: the first response suggests more records "
            f"({'; '.join(hints)}) but shows no way to ask for them (no Link header, next "
            f"URL, page count or cursor); refusing to load the first page only",
            location=location,
            hint="set endpoint.paginator, e.g. {type: offset, limit: N, total_path: total} or "
                 "{type: page_number, total_path: ...}")
    return model.SinglePagePaginator(), ("single page: the first response has no Link header, "
                                        "next URL, page count or cursor")
