"""Date windows of an incremental with a ``step``: a fixed grid from the origin.

Window ``k`` is ``[origin + k*step, origin + (k+1)*step)`` (calendar arithmetic for months,
each boundary computed from the origin so month ends do not drift). The grid starts at the
``initial_value`` whatever the stored cursor: a later run drops the windows that end before
its start and clips the first one, so a window keeps its id from run to run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from restsync.spec.steps import MAX_WINDOWS, WindowStep

__all__ = ["Bound", "as_bound", "bound_text", "windows"]

Bound = datetime | float
"""A window bound: a UTC instant, or a number for a numeric cursor."""


def as_bound(value: Any, datetime_format: str | None = None) -> Bound:
    """A cursor value (``initial_value``/``end_value``/a stored cursor) as a window bound.

    ISO-8601 texts, dates and datetimes are instants (naive ones are UTC); numbers are
    instants when ``datetime_format`` is ``%s``/``%ms``, else plain numbers; a text in
    another ``datetime_format`` is read with it.

    Raises:
        ValueError: The value is none of these.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} cannot bound a window")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and datetime_format not in (None, "%s", "%ms"):
        return as_bound(datetime.strptime(value.strip(), str(datetime_format)))
    if isinstance(value, int | float) or (
            isinstance(value, str) and datetime_format in ("%s", "%ms")):
        number = float(value)
        if datetime_format == "%ms":
            return datetime.fromtimestamp(number / 1000, tz=UTC)
        if datetime_format == "%s":
            return datetime.fromtimestamp(number, tz=UTC)
        return number
    if isinstance(value, str):
        return as_bound(datetime.fromisoformat(value.strip()))
    raise ValueError(f"{type(value).__name__} value cannot bound a window")


def _boundary(origin: Bound, step: WindowStep, k: int) -> Bound:
    if isinstance(origin, datetime):
        return origin + relativedelta(months=step.months * k) + timedelta(seconds=step.seconds * k)
    return origin + step.seconds * k


def windows(origin: Bound, start: Bound, end: Bound,
            step: WindowStep) -> list[tuple[Bound, Bound, Bound]]:
    """The windows of the grid from ``origin`` that hold part of ``[start, end)``, clipped:
    ``(grid start, start, end)`` each (the grid start names the window).

    Raises:
        ValueError: The bounds are of different kinds, a numeric cursor has a month step, or
            there would be more than :data:`MAX_WINDOWS` windows.
    """
    if isinstance(origin, datetime) != isinstance(end, datetime) or \
            isinstance(origin, datetime) != isinstance(start, datetime):
        raise ValueError("the window bounds mix instants and plain numbers")
    if not isinstance(origin, datetime) and step.months:
        raise ValueError(f"step {step.text} has months, but the cursor is a plain number")
    out: list[tuple[Bound, Bound, Bound]] = []
    k = 0
    low = origin
    while low < end:  # type: ignore[operator]
        high = _boundary(origin, step, k + 1)
        if high > start:  # type: ignore[operator]
            out.append((low, max(low, start), min(high, end)))
        k, low = k + 1, high
        if k > MAX_WINDOWS:
            raise ValueError(f"step {step.text} makes more than {MAX_WINDOWS} windows from "
                             f"the initial_value; use a longer step")
    return out


def bound_text(bound: Bound) -> str:
    """A bound as it appears in a partition id (``2024-01-01T00:00:00Z``, ``1500``)."""
    if isinstance(bound, datetime):
        return bound.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return f"{bound:g}"
