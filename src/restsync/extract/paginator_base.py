"""Base class of paginators and the names ``stop_condition`` sees (see :mod:`.paginators`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel

from restsync.errors import PaginationError
from restsync.extract.expressions import EMPTY, ObjectView, compile_expression
from restsync.extract.http import Request, Response

__all__ = ["PAGINATORS", "Paginator", "expression_names", "has_more", "headers_view",
           "is_absolute_url", "paginator_for", "set_body_value"]


def headers_view(response: Response) -> ObjectView:
    """``headers`` as expressions see it: case-insensitive, ``link`` parsed to ``{rel: {url}}``."""
    data: dict[str, Any] = {}
    for name in {k.lower() for k in response.headers}:
        data[name] = ", ".join(response.headers.getall(name))
    data["link"] = {rel: {"url": url} for rel, url in response.links.items()}
    return ObjectView(data, case_insensitive=True)


def expression_names(response: Response, records: list[dict[str, Any]],
                     config_values: Mapping[str, Any], page: int | None = None
                     ) -> dict[str, Any]:
    """The names a ``stop_condition`` can use for one page (``page``: its 1-based number)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return {
        "response": body,
        "headers": headers_view(response),
        "last_record": records[-1] if records else EMPTY,
        "page_records": len(records),
        "last_page_size": len(records),
        "config": dict(config_values),
        "page": page,
    }


_TRUE = frozenset({"true", "1", "yes", "y", "on", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "off", "f"})


def has_more(read: Any, path: str, response: Response, location: str) -> bool:
    """The boolean at ``has_more_path`` (dlt's rules: a string is parsed, a missing or
    non-boolean value is an error).

    Raises:
        PaginationError: The value is missing or not a boolean.
    """
    try:
        value = read(response.json())
    except ValueError:
        value = None
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if not isinstance(value, bool):
        found = "nothing" if value is None else f"{value!r:.40}"
        raise PaginationError(f"has_more_path `{path}` gave {found}, expected a boolean",
                              location=location)
    return value


def set_body_value(request: Request, dotted: str, value: Any) -> None:
    """Put ``value`` at the dotted path ``dotted`` of the request's JSON body (copied)."""
    body = dict(request.json) if isinstance(request.json, dict) else {}
    node = body
    *parents, leaf = dotted.split(".")
    for key in parents:
        child = node.get(key)
        node[key] = child = dict(child) if isinstance(child, dict) else {}
        node = child
    node[leaf] = value
    request.json = body


def is_absolute_url(value: Any) -> bool:
    """Whether ``value`` is an absolute http(s) URL."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Paginator(ABC):
    """Base class: empty-page stop, ``stop_condition`` and the loop guard.

    Args:
        config: The paginator's spec model.
        where: Config path of the paginator (for errors).
        config_values: The ``config`` name of ``stop_condition``.
    """

    inference: str | None = None
    """What the paginator decided from a response (``auto``), to report once; else ``None``."""

    decision: str = ""
    """What :meth:`update_state` decided on the last page, in plain words: ``next: ...`` (the
    next cursor or URL and where it came from) or ``stop: ...`` (why paging ends); shown by
    ``restsync preview``. May hold a next-page URL: redact it before showing it."""

    def __init__(self, config: Any, *, where: str = "paginator",
                 config_values: Mapping[str, Any] | None = None):
        self.config = config
        self.where = where
        self.has_next_page = True
        self._config_values = config_values or {}
        condition = getattr(config, "stop_condition", None)
        self._stop = (compile_expression(condition, f"{where}.stop_condition")
                      if condition else None)
        self._seen: set[str] = set()

    def init_request(self, request: Request) -> None:  # noqa: B027 - optional hook
        """Prepare the first request (page size, first offset...)."""

    def update_state(self, response: Response, records: list[dict[str, Any]], *,
                     location: str, page: int | None = None) -> None:
        """Look at one page and decide whether and how to go on.

        ``page`` is the page's number in its sequence (1-based, counting on after a resume):
        the ``page`` name of ``stop_condition``.

        Raises:
            PaginationError: A cursor/URL came back twice or cannot be used.
            ResponseError: ``stop_condition`` failed on this page.
        """
        self.decision = ""
        if not records and getattr(self.config, "stop_after_empty_page", True):
            self._stop_paging("the page has no records (stop_after_empty_page)")
            return
        if self._stop is not None:
            names = expression_names(response, records, self._config_values, page)
            if self._stop.evaluate(names, location=location):
                self._stop_paging(f"stop_condition `{self.config.stop_condition}` is true")
                return
        self._advance(response, records, location)
        if not self.decision:
            self.decision = "next: another page" if self.has_next_page else "stop: last page"

    def _stop_paging(self, why: str) -> None:
        """End the sequence after this page, saying why (:attr:`decision`)."""
        self.has_next_page = False
        self.decision = f"stop: {why}"

    def _going_on(self, what: str) -> None:
        """Record what the next request will carry (:attr:`decision`)."""
        self.decision = f"next: {what}"

    @abstractmethod
    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        """Compute the next cursor/URL or set ``has_next_page = False``."""

    def update_request(self, request: Request) -> None:  # noqa: B027 - optional hook
        """Change ``request`` in place into the next page's request."""

    def resume_state(self) -> dict[str, Any]:
        """JSON-able counters needed to continue after :meth:`update_request` (default none:
        the next request itself carries the cursor or URL)."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Take back what :meth:`resume_state` returned (instead of :meth:`init_request`)."""

    def _remember(self, value: str, what: str, location: str) -> None:
        if value in self._seen:
            raise PaginationError(
                f"the API returned the same {what} twice ({value[:120]!r}); stopping to avoid "
                "an endless loop", location=location,
                hint=f"check {self.where} (cursor source and parameter names)")
        self._seen.add(value)


#: Paginator classes keyed by spec model type (filled by :func:`paginator_for`).
PAGINATORS: dict[type[BaseModel], type[Paginator]] = {}

_P = TypeVar("_P", bound=type[Paginator])


def paginator_for(model_type: type[BaseModel]) -> Callable[[_P], _P]:
    """Register the runtime class of the paginator model ``model_type`` (class decorator)."""
    def register(cls: _P) -> _P:
        PAGINATORS[model_type] = cls
        return cls
    return register
