"""Cursor values: comparable keys, an explicit ``datetime_format``, and writing instants back.

Without a format, values are compared as *instants* when either side is a date-time:
ISO-8601 strings (``Z``, offsets, milliseconds, date-only), ``datetime``/``date`` objects, and
epoch numbers (seconds; values above 10^11 are taken as milliseconds) all become timezone-aware
UTC datetimes (naive values are taken as UTC). Two numbers are compared as numbers, two strings
that are not date-times as strings.

With a ``datetime_format`` (``%s`` epoch seconds, ``%ms`` epoch milliseconds, or a
``strftime`` pattern) every value is read as an instant in that format first; values that do
not match it fall back to the rules above (an ISO ``initial_value`` still works).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["CursorCodec", "CursorKey", "cursor_key", "less"]

_EPOCH_MS_THRESHOLD = 1e11
_ISO_HINT = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMBER = 0
_INSTANT = 1
_TEXT = 2


@dataclass(frozen=True, order=True)
class CursorKey:
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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cursor_key(value: Any) -> CursorKey:
    """The comparable key of one cursor value, without a format (see module docstring).

    Raises:
        ValueError: The value cannot be a cursor (a list, an object, NaN...).
    """
    if isinstance(value, bool):
        raise ValueError(f"a boolean ({value}) cannot be a cursor")
    if isinstance(value, datetime):
        return CursorKey(_INSTANT, _aware(value))
    if isinstance(value, date):
        return CursorKey(_INSTANT, datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} cannot be a cursor")
        return CursorKey(_NUMBER, value)
    if isinstance(value, str):
        instant = _parse_iso(value)
        if instant is not None:
            return CursorKey(_INSTANT, instant)
        return CursorKey(_TEXT, value)
    raise ValueError(f"a {type(value).__name__} cannot be a cursor")


def _comparable(a: CursorKey, b: CursorKey) -> tuple[Any, Any]:
    """Bring two keys to one kind: numbers meet instants as epoch times."""
    if a.kind == b.kind:
        return a.value, b.value
    if {a.kind, b.kind} == {_NUMBER, _INSTANT}:
        av = _epoch_to_instant(a.value) if a.kind == _NUMBER else a.value
        bv = _epoch_to_instant(b.value) if b.kind == _NUMBER else b.value
        return av, bv
    raise ValueError("cannot compare a date-time or number with a plain string")


def less(a: CursorKey, b: CursorKey) -> bool:
    """``a < b`` across kinds (raises ``ValueError`` for a string against a date-time)."""
    left, right = _comparable(a, b)
    return bool(left < right)


class CursorCodec:
    """Reads cursor values into keys and writes instants back, per ``datetime_format``.

    Args:
        datetime_format: ``None`` (automatic), ``%s``, ``%ms`` or a ``strftime`` pattern.
    """

    def __init__(self, datetime_format: str | None = None):
        self.format = datetime_format

    def key(self, value: Any) -> CursorKey:
        """The comparable key of ``value``.

        Raises:
            ValueError: The value cannot be a cursor.
        """
        fmt = self.format
        if fmt is not None and not isinstance(value, bool):
            if fmt in ("%s", "%ms") and isinstance(value, int | float | str):
                try:
                    number = float(value)
                except ValueError:
                    pass
                else:
                    if math.isfinite(number):
                        seconds = number / 1000 if fmt == "%ms" else number
                        return CursorKey(_INSTANT, datetime.fromtimestamp(seconds, tz=UTC))
            elif isinstance(value, str):
                try:
                    return CursorKey(_INSTANT, _aware(datetime.strptime(value.strip(), fmt)))
                except ValueError:
                    pass
        key = cursor_key(value)
        if key.kind == _NUMBER and fmt is not None:
            return CursorKey(_INSTANT, _epoch_to_instant(key.value))
        return key

    def instant(self, value: Any) -> datetime | None:
        """``value`` as a UTC instant, or ``None`` when it is not a date-time/epoch value."""
        key = self.key(value)
        if key.kind == _INSTANT:
            return key.value.astimezone(UTC)
        if key.kind == _NUMBER:
            return _epoch_to_instant(key.value)
        return None

    def write(self, instant: datetime, like: Any = None) -> Any:
        """Write ``instant`` in the configured format, else in the style of ``like``.

        ``like`` an ISO string gives ISO-8601 UTC (``Z`` and milliseconds when ``like`` has
        them); an int/float gives epoch seconds (milliseconds when ``like`` is in ms); a
        ``datetime`` gives a ``datetime``.
        """
        instant = _aware(instant).astimezone(UTC)
        if self.format == "%s":
            return int(instant.timestamp())
        if self.format == "%ms":
            return round(instant.timestamp() * 1000)
        if self.format is not None:
            return instant.strftime(self.format)
        if isinstance(like, bool):
            like = None
        if isinstance(like, datetime):
            return instant
        if isinstance(like, int | float):
            seconds = instant.timestamp()
            if abs(like) > _EPOCH_MS_THRESHOLD:
                return round(seconds * 1000)
            return int(seconds) if isinstance(like, int) else seconds
        millis = isinstance(like, str) and bool(re.search(r"T\d\d:\d\d:\d\d\.\d", like))
        text = instant.isoformat(timespec="milliseconds" if millis else "seconds")
        return text.replace("+00:00", "Z")
