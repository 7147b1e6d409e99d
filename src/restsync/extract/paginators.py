"""Paginators: small state machines that decide the next request.

Protocol (as in dlt): ``init_request(request)`` before the first request,
``update_state(response, records, location=...)`` after each page, then, while
``has_next_page``, ``update_request(request)`` prepares the next request in place.

Every paginator, in this order after each page:
  1. stops on an empty page (no records) - the email events API keeps sending
     ``paging.next`` on its last page and ends with an empty ``items`` page;
  2. evaluates ``stop_condition`` (true stops);
  3. computes the next cursor/URL; a missing one stops;
  4. raises :class:`PaginationError` when a cursor or URL comes back a second time
     (offset/page-number paginators: when the same body comes back twice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin

from pydantic import BaseModel

from restsync.errors import ConfigError, PaginationError
from restsync.extract.http import Request, Response
from restsync.extract.paginator_auto import AutoPaginator
from restsync.extract.paginator_base import (
    PAGINATORS,
    Paginator,
    expression_names,
    has_more,
    headers_view,
    is_absolute_url,
    paginator_for,
    set_body_value,
)
from restsync.extract.paginators_range import OffsetPaginator, PageNumberPaginator
from restsync.extract.selectors import compile_path
from restsync.spec import model

__all__ = [
    "PAGINATORS",
    "AutoPaginator",
    "CursorPaginator",
    "HeaderCursorPaginator",
    "HeaderLinkPaginator",
    "JsonLinkPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "Paginator",
    "SinglePagePaginator",
    "build_paginator",
    "expression_names",
    "headers_view",
    "paginator_for",
]


@paginator_for(model.SinglePagePaginator)
class SinglePagePaginator(Paginator):
    """One request, one page."""

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        self._stop_paging("single page")


class _UrlFollowing(Paginator):
    """Shared logic of paginators that may follow a next-page URL."""

    def __init__(self, config: Any, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._next_url: str | None = None

    def init_request(self, request: Request) -> None:
        self._seen.add(request.full_url())

    def _follow(self, url: str, location: str, source: str) -> None:
        self._remember(url, "next-page URL", location)
        self._next_url = url
        self._going_on(f"URL {url} (from {source})")

    def update_request(self, request: Request) -> None:
        if self._next_url is not None:
            request.url = self._next_url  # used as given: it carries its own query
            request.params = {}
            self._next_url = None


@paginator_for(model.CursorPaginator)
class CursorPaginator(_UrlFollowing):
    """Cursor paging (see :class:`restsync.spec.model.CursorPaginator` for the sources).

    An absolute http(s) URL as cursor value is followed as the next page's URL.
    """

    config: model.CursorPaginator

    def __init__(self, config: model.CursorPaginator, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._cursor: Any = None
        self._read: Callable[[Response, list[dict[str, Any]]], Any]
        self._read = self._make_reader(config)
        self._source = _cursor_source(config)
        self._read_more = (compile_path(config.has_more_path, f"{self.where}.has_more_path")
                           if config.has_more_path else None)

    def _make_reader(self, c: model.CursorPaginator) -> Callable[[Response, list[dict[str, Any]]], Any]:
        if c.cursor_value:
            prefix = "last_record."
            if not c.cursor_value.startswith(prefix) or len(c.cursor_value) == len(prefix):
                raise ConfigError("cursor_value must look like `last_record.<field>`",
                                  location=f"{self.where}.cursor_value")
            read_field = compile_path(c.cursor_value[len(prefix):], f"{self.where}.cursor_value")
            return lambda response, records: read_field(records[-1]) if records else None
        if not c.cursor_path:
            raise ConfigError("a cursor paginator needs cursor_path or cursor_value",
                              location=self.where)
        path = c.cursor_path
        lowered = path.lower()
        if lowered.startswith("headers.link.") and lowered.endswith(".url"):
            rel = lowered[len("headers.link."):-len(".url")]
            return lambda response, records: response.links.get(rel)
        if lowered.startswith("headers."):
            name = path[len("headers."):]
            return lambda response, records: response.headers.get(name)
        read_body = compile_path(path, f"{self.where}.cursor_path")

        def from_body(response: Response, records: list[dict[str, Any]]) -> Any:
            try:
                return read_body(response.json())
            except ValueError:
                return None
        return from_body

    def init_request(self, request: Request) -> None:
        super().init_request(request)
        if self.config.limit is not None:
            request.params[self.config.limit_param] = self.config.limit

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        value = self._read(response, records)
        if value is None or value == "" or isinstance(value, bool):
            self._stop_paging(f"no cursor at {self._source} (found {value!r})")
            return
        c = self.config
        if self._read_more is not None and c.has_more_path is not None \
                and not has_more(self._read_more, c.has_more_path, response, location):
            self._stop_paging(f"has_more_path `{c.has_more_path}` is false")
            return
        if isinstance(value, dict | list):
            raise PaginationError(f"cursor is a {type(value).__name__}, expected a string or "
                                  "a number", location=location)
        if is_absolute_url(value):
            self._follow(value, location, self._source)
            return
        if self.config.cursor_param is None and self.config.cursor_body_path is None:
            raise PaginationError(
                f"cursor {str(value)[:80]!r} is not a URL and no cursor_param is configured",
                location=location)
        self._remember(str(value), "cursor", location)
        self._cursor = value
        sent = (f"body `{c.cursor_body_path}`" if c.cursor_body_path
                else f"parameter `{c.cursor_param}`")
        self._going_on(f"cursor {str(value)[:120]!r} from {self._source}, sent as {sent}")

    def update_request(self, request: Request) -> None:
        if self._next_url is not None:
            super().update_request(request)
            return
        c = self.config
        if c.cursor_body_path:
            set_body_value(request, c.cursor_body_path, self._cursor)
        else:
            assert c.cursor_param is not None
            request.params[c.cursor_param] = self._cursor


@paginator_for(model.JsonLinkPaginator)
class JsonLinkPaginator(_UrlFollowing):
    """Next page URL read from the body at ``next_url_path`` (relative URLs resolved)."""

    config: model.JsonLinkPaginator

    def __init__(self, config: model.JsonLinkPaginator, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._read = compile_path(config.next_url_path, f"{self.where}.next_url_path")

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        try:
            value = self._read(response.json())
        except ValueError:
            value = None
        if not value:
            self._stop_paging(f"no next URL at `{self.config.next_url_path}` in the body")
            return
        if not isinstance(value, str):
            raise PaginationError(f"next_url_path gave a {type(value).__name__}, expected a URL",
                                  location=location)
        self._follow(urljoin(response.url, value), location,
                     f"`{self.config.next_url_path}` in the body")


@paginator_for(model.HeaderLinkPaginator)
class HeaderLinkPaginator(_UrlFollowing):
    """Next page URL from the RFC 8288 ``Link`` header."""

    config: model.HeaderLinkPaginator

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        key = self.config.links_next_key.lower()
        url = response.links.get(key)
        if not url:
            self._stop_paging(f'no Link header with rel="{key}"')
            return
        self._follow(url, location, f'the Link header, rel="{key}"')


@paginator_for(model.HeaderCursorPaginator)
class HeaderCursorPaginator(Paginator):
    """Cursor from response header ``cursor_key``, sent as query parameter ``cursor_param``."""

    config: model.HeaderCursorPaginator

    def __init__(self, config: model.HeaderCursorPaginator, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._cursor: str | None = None

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        value = response.headers.get(self.config.cursor_key)
        if not value:
            self._stop_paging(f"no `{self.config.cursor_key}` header")
            return
        self._remember(value, "cursor", location)
        self._cursor = value
        self._going_on(f"cursor {value[:120]!r} from header `{self.config.cursor_key}`, sent "
                       f"as parameter `{self.config.cursor_param}`")

    def update_request(self, request: Request) -> None:
        request.params[self.config.cursor_param] = self._cursor


def _cursor_source(c: model.CursorPaginator) -> str:
    """Where a cursor paginator reads its next cursor, in words."""
    if c.cursor_value:
        return f"`{c.cursor_value}`"
    path = c.cursor_path or ""
    lowered = path.lower()
    if lowered.startswith("headers.link.") and lowered.endswith(".url"):
        return f'the Link header, rel="{lowered[len("headers.link."):-len(".url")]}"'
    if lowered.startswith("headers."):
        return f"header `{path[len('headers.'):]}`"
    return f"`{path}` in the body"


def build_paginator(config: BaseModel | None, *, where: str = "paginator",
                    config_values: Mapping[str, Any] | None = None) -> Paginator:
    """A fresh paginator for one page sequence (``None`` -> single page).

    Raises:
        ConfigError: Unknown paginator type or an invalid path/expression in it.
    """
    if config is None:
        return SinglePagePaginator(model.SinglePagePaginator(), where=where)
    cls = PAGINATORS.get(type(config))
    if cls is None:
        raise ConfigError(f"no paginator for {type(config).__name__}", location=where)
    return cls(config, where=where, config_values=config_values)
