"""Data selectors: where the records sit in a response body.

A selector is compiled once per endpoint (:class:`DataSelector`) and applied to every page.

Forms:
  * ``None``, ``"$"``, ``"[]"``, ``[]``: the whole body;
  * a dotted path (``result.emailClick``, ``data``; keys may contain ``-``);
  * JSONPath (``dock.*``, ``$.a[*].b``, filters), evaluated with jsonpath-ng.

Result: a list gives the records (scalars in it become ``{"value": x}``, as dlt does), a
single object gives one record. A string/number at the selector is a :class:`ResponseError`.

**A selector that finds nothing is an error**, except when the body says "no rows":

  * dotted path: the object that should hold the last key exists, the key is absent, and
    that object is either empty or has a count-like key (name containing ``total`` or
    ``count``) equal to 0 -- e.g. the marketing API's empty page
    ``{"result": {"total_results": 0}}`` for ``result.emailClick``;
  * JSONPath with a wildcard/filter: the container the wildcard iterates exists and is
    empty (``{"dock": []}`` for ``dock.*``) or every element was filtered out.

Anything else (a missing parent, a missing key next to other data, a missing key at the top
of a non-empty body) raises :class:`ResponseError` naming the resource, page, selector and the
keys that were there, because silently loading zero rows hides a wrong selector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from restsync.errors import ConfigError, ResponseError

__all__ = ["DataSelector", "compile_path", "find_path"]

_DOTTED = re.compile(r"^[^.*\[\]$?@()'\"\s]+(\.[^.*\[\]$?@()'\"\s]+)*$")
_WHOLE_BODY = (None, "", "$", "[]")
_MISSING = object()


def _is_whole_body(selector: Any) -> bool:
    return selector in _WHOLE_BODY or selector == []


def _walk(body: Any, keys: list[str]) -> tuple[Any, Any, int]:
    """Follow ``keys``; return (value or _MISSING, last container reached, depth reached)."""
    current: Any = body
    for depth, key in enumerate(keys):
        if isinstance(current, dict) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.lstrip("-").isdigit() \
                and -len(current) <= int(key) < len(current):
            current = current[int(key)]
        else:
            return _MISSING, current, depth
    return current, None, len(keys)


def _says_no_rows(container: Any) -> bool:
    if not isinstance(container, dict):
        return False
    if not container:
        return True
    counts = [v for k, v in container.items()
              if ("total" in k.lower() or "count" in k.lower())
              and isinstance(v, int | float) and not isinstance(v, bool)]
    return bool(counts) and all(v == 0 for v in counts)


def find_path(body: Any, path: str) -> Any:
    """Value at a dotted path or JSONPath in ``body``; ``None`` when absent.

    Used for cursors and totals. A JSONPath with several matches returns the first.

    Raises:
        ConfigError: ``path`` is not a valid JSONPath.
    """
    if _DOTTED.match(path):
        value, _, _ = _walk(body, path.split("."))
        return None if value is _MISSING else value
    matches = _compile_jsonpath(path, "path").find(body)
    return matches[0].value if matches else None


def compile_path(path: str, where: str) -> Callable[[Any], Any]:
    """Compile a dotted path or JSONPath once; the result maps a body to the value or ``None``.

    Raises:
        ConfigError: ``path`` is not a valid JSONPath (message names ``where``).
    """
    if _DOTTED.match(path):
        keys = path.split(".")

        def read_dotted(body: Any) -> Any:
            value, _, _ = _walk(body, keys)
            return None if value is _MISSING else value
        return read_dotted
    compiled = _compile_jsonpath(path, where)

    def read_jsonpath(body: Any) -> Any:
        matches = compiled.find(body)
        return matches[0].value if matches else None
    return read_jsonpath


def _compile_jsonpath(text: str, where: str) -> JSONPath:
    try:
        return parse_jsonpath(text)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise ConfigError(f"invalid JSONPath `{text}`: {exc}", location=where) from None


def _keys_hint(value: Any) -> str:
    if isinstance(value, dict):
        keys = list(value)[:12]
        return f"keys there: {', '.join(map(str, keys)) or '(none)'}"
    return f"found a {type(value).__name__}"


class DataSelector:
    """A compiled ``data_selector``.

    Args:
        selector: The selector as written (see module docstring).
        where: Config path for compile errors (``resources[x].endpoint.data_selector``).
    """

    def __init__(self, selector: str | list[Any] | None, *, where: str = "data_selector"):
        self.text = "$" if _is_whole_body(selector) else str(selector)
        self._keys: list[str] | None = None
        self._path: JSONPath | None = None
        self._container: JSONPath | None = None
        self._iterates = False
        if _is_whole_body(selector):
            return
        if not isinstance(selector, str):
            raise ConfigError(f"data_selector must be a string, got {selector!r}", location=where)
        if _DOTTED.match(selector):
            self._keys = selector.split(".")
            return
        self._path = _compile_jsonpath(selector, where)
        cut = re.search(r"\.\*|\[\*\]|\[\?", selector)
        if cut:
            self._iterates = True
            prefix = selector[: cut.start()]
            self._container = _compile_jsonpath(prefix or "$", where)

    @property
    def plain_keys(self) -> tuple[str, ...] | None:
        """The selector as a path of object keys (``()``: the whole body); None for JSONPath
        or a path through a list index (used by readers that select without parsing)."""
        if self._path is not None:
            return None
        keys = tuple(self._keys or ())
        if any(key.lstrip("-").isdigit() for key in keys):
            return None
        return keys

    def select(self, body: Any, *, location: str) -> list[dict[str, Any]]:
        """The records of one page.

        Args:
            body: Parsed JSON body.
            location: Resource/page/URL description for errors.

        Raises:
            ResponseError: Nothing found (and the body does not say "no rows"), or the value
                found is not a list or an object.
        """
        if self._keys is None and self._path is None:
            return self._as_records(body, location)
        if self._keys is not None:
            value, container, depth = _walk(body, self._keys)
            if value is _MISSING:
                if depth == len(self._keys) - 1 and _says_no_rows(container):
                    return []
                reached = ".".join(self._keys[:depth]) or "the top of the body"
                raise ResponseError(
                    f"data_selector `{self.text}` found nothing: no '{self._keys[depth]}' in "
                    f"{reached} ({_keys_hint(container)})", location=location)
            return self._as_records(value, location)
        assert self._path is not None
        matches = [m.value for m in self._path.find(body)]
        if self._iterates:
            if not matches and not self._container_exists(body):
                raise ResponseError(f"data_selector `{self.text}` found nothing "
                                    f"({_keys_hint(body)})", location=location)
            return [self._as_record(v, location) for v in matches]
        if not matches:
            raise ResponseError(f"data_selector `{self.text}` found nothing "
                                f"({_keys_hint(body)})", location=location)
        if len(matches) > 1:
            return [self._as_record(v, location) for v in matches]
        return self._as_records(matches[0], location)

    def _container_exists(self, body: Any) -> bool:
        if self._container is None:
            return isinstance(body, list | dict)
        found = self._container.find(body)
        return bool(found) and all(isinstance(m.value, list | dict) for m in found)

    def _as_records(self, value: Any, location: str) -> list[dict[str, Any]]:
        if isinstance(value, list):
            return [self._as_record(v, location) for v in value]
        if isinstance(value, dict):
            return [value]
        raise ResponseError(
            f"data_selector `{self.text}` points to a {type(value).__name__}, expected a list "
            "of objects or an object", location=location)

    @staticmethod
    def _as_record(value: Any, location: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        if isinstance(value, list):
            raise ResponseError("records must be objects, found a nested list",
                                location=location)
        return {"value": value}
