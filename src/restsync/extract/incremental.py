"""Incremental filtering of records on a cursor field.

Cursor values are compared as *instants* when either side is a date-time: ISO-8601 strings
(``Z``, offsets, milliseconds, date-only), ``datetime``/``date`` objects, and epoch numbers
(seconds; values above 10^11 are taken as milliseconds) all become timezone-aware UTC
datetimes (naive values are taken as UTC). Two numbers are compared as numbers, two strings
that are not date-times as strings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from restsync.errors import ConfigError, ResponseError
from restsync.extract.selectors import compile_path
from restsync.spec.model import IncrementalConfig

__all__ = ["IncrementalFilter", "cursor_key"]

_EPOCH_MS_THRESHOLD = 1e11
_ISO_HINT = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, order=True)
class _Key:
    """Sortable form of a cursor value: kind 0 = number, 1 = instant, 2 = plain string."""

    kind: int
    value: Any


def _epoch_to_instant(number: float) -> datetime:
    seconds = number / 1000 if abs(number) > _EPOCH_MS_THRESHOLD else number
    return datetime.fromtimestamp(seconds, tz=UTC)


def _parse_iso(text: str) -> datetime | None:
    if not _ISO_HINT.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cursor_key(value: Any) -> _Key:
    """The comparable key of one cursor value (see module docstring).

    Raises:
        ValueError: The value cannot be a cursor (a list, an object, NaN...).
    """
    if isinstance(value, bool):
        raise ValueError(f"a boolean ({value}) cannot be a cursor")
    if isinstance(value, datetime):
        return _Key(1, value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return _Key(1, datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} cannot be a cursor")
        return _Key(0, value)
    if isinstance(value, str):
        instant = _parse_iso(value)
        if instant is not None:
            return _Key(1, instant)
        return _Key(2, value)
    raise ValueError(f"a {type(value).__name__} cannot be a cursor")


def _comparable(a: _Key, b: _Key) -> tuple[Any, Any]:
    """Bring two keys to one kind: numbers meet instants as epoch times."""
    if a.kind == b.kind:
        return a.value, b.value
    if {a.kind, b.kind} == {0, 1}:
        av = _epoch_to_instant(a.value) if a.kind == 0 else a.value
        bv = _epoch_to_instant(b.value) if b.kind == 0 else b.value
        return av, bv
    raise ValueError("cannot compare a date-time or number with a plain string")


def _less(a: _Key, b: _Key) -> bool:
    left, right = _comparable(a, b)
    return bool(left < right)


class IncrementalFilter:
    """Drops records outside ``[start, end)`` and tracks the highest cursor seen.

    Args:
        config: The endpoint's incremental settings.
        start_value: The stored cursor of the last run, or ``None`` (first run).
        resource: Resource name (for errors).

    Attributes:
        start: The effective start (stored value, else ``initial_value``), or ``None``.
        last_value: The highest cursor seen so far, in its original representation
            (``None`` until a record with a cursor passed).
        reached_start: ``row_order == "desc"`` and a record below the start was seen: later
            pages can only hold older records, so paging may stop.
    """

    def __init__(self, config: IncrementalConfig, start_value: Any | None, resource: str):
        self.config = config
        self.resource = resource
        self.start = start_value if start_value is not None else config.initial_value
        self.end = config.end_value
        where = f"resources[{resource}].endpoint.incremental"
        try:
            self._start_key = cursor_key(self.start) if self.start is not None else None
            self._end_key = cursor_key(self.end) if self.end is not None else None
        except ValueError as exc:
            raise ConfigError(f"unusable start/end value: {exc}", location=where) from None
        self._read = compile_path(config.cursor_path, f"{where}.cursor_path")
        self.last_value: Any = None
        self._last_key: _Key | None = None
        self.reached_start = False

    def apply(self, records: list[dict[str, Any]], page: int) -> list[dict[str, Any]]:
        """The records of one page that are inside the window.

        Raises:
            ResponseError: A record has no cursor and ``on_cursor_value_missing == "raise"``, or
                its cursor cannot be compared with the start/end values.
        """
        kept: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            value = self._read(record)
            where = f"resource '{self.resource}', page {page}, record {index}"
            if value is None:
                policy = self.config.on_cursor_value_missing
                if policy == "raise":
                    raise ResponseError(
                        f"record has no cursor value at '{self.config.cursor_path}'",
                        location=where,
                        hint="set incremental.on_cursor_value_missing to include or exclude")
                if policy == "include":
                    kept.append(record)
                continue
            try:
                key = cursor_key(value)
                if self._start_key is not None and _less(key, self._start_key):
                    if self.config.row_order == "desc":
                        self.reached_start = True
                    continue
                if self._end_key is not None and not _less(key, self._end_key):
                    continue
                if self._last_key is None or _less(self._last_key, key):
                    self._last_key, self.last_value = key, value
            except ValueError as exc:
                raise ResponseError(f"cursor value {str(value)[:60]!r} at "
                                    f"'{self.config.cursor_path}' cannot be compared: {exc}",
                                    location=where) from None
            kept.append(record)
        return kept
