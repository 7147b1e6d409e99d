"""Date windows of a templated endpoint (Airbyte's ``DatetimeBasedCursor`` slicing).

:func:`date_windows` cuts ``[lower, end]`` into windows: ``lower`` is the configured start, or
the stored cursor minus the lookback (never before the start); ``end`` the configured end or
now. With a ``step``, each window ends one ``granularity`` before the next one starts; the
last one ends at ``end`` itself. Boundaries are written in the cursor's ``datetime_format``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from restsync.errors import ConfigError
from restsync.spec.airbyte import datetimes as dt
from restsync.spec.templated import DateWindows, TemplateValue

__all__ = ["Window", "date_windows", "parse_cursor"]

_MAX_WINDOWS = 100_000


@dataclass(frozen=True)
class Window:
    """One window: its boundaries as datetimes and as written (``stream_interval``)."""

    lower: datetime
    upper: datetime
    interval: dict[str, str]


def parse_cursor(value: Any, windows: DateWindows) -> datetime | None:
    """A cursor value (a record's, or the stored one) as a datetime; ``None`` if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    for fmt in (*windows.cursor_formats, windows.datetime_format):
        try:
            return dt.parse_datetime(value, fmt)
        except (ValueError, TypeError, OverflowError):
            continue
    try:
        return dt.parse_iso(str(value))
    except (ValueError, OverflowError):
        return None


def _render_datetime(template: TemplateValue, fmt: str, variables: Mapping[str, Any],
                     lo: TemplateValue | None, hi: TemplateValue | None, where: str) -> datetime:
    text = template.render(variables)
    try:
        value = dt.parse_datetime(str(text), fmt)
        if lo is not None:
            low = lo.render(variables)
            if low:
                value = max(value, dt.parse_datetime(str(low), fmt))
        if hi is not None:
            high = hi.render(variables)
            if high:
                value = min(value, dt.parse_datetime(str(high), fmt))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ConfigError(f"date-time {str(text)[:60]!r} is not written as {fmt}: {exc}",
                          location=where) from None
    return value


def date_windows(windows: DateWindows, variables: Mapping[str, Any], stored: Any,
                 now: datetime | None = None, where: str = "incremental_sync") -> list[Window]:
    """The windows of one partition.

    Args:
        windows: The stream's settings.
        variables: ``config`` and ``parameters`` for the start/end templates.
        stored: The stored cursor of this partition (``None`` on the first run).
        now: The end when none is configured (default: the current time).
        where: Manifest path for errors.

    Raises:
        ConfigError: A start/end does not parse, or the step would make too many windows.
    """
    start = _render_datetime(windows.start, windows.start_format, variables, windows.start_min,
                             windows.start_max, f"{where}.start_datetime")
    if windows.end is not None:
        end = _render_datetime(windows.end, windows.end_format or windows.datetime_format,
                               variables, windows.end_min, windows.end_max,
                               f"{where}.end_datetime")
    else:
        end = now or datetime.now(UTC)
    lower = start
    cursor = parse_cursor(stored, windows)
    if cursor is not None:
        lower = cursor - windows.lookback if windows.lookback else cursor
        lower = max(lower, start)
    if lower >= end:
        return []

    def make(lo: datetime, hi: datetime) -> Window:
        return Window(lo, hi, {windows.start_field: dt.format_datetime(lo, windows.datetime_format),
                               windows.end_field: dt.format_datetime(hi, windows.datetime_format)})
    if windows.step is None:
        return [make(lower, end)]
    out: list[Window] = []
    current = lower
    granularity = windows.granularity or timedelta(0)
    while True:
        try:
            upper = min(current + windows.step, end)
        except OverflowError:
            upper = end
        reached = upper >= end
        out.append(make(current, upper if reached else upper - granularity))
        if reached:
            return out
        if upper <= current or len(out) >= _MAX_WINDOWS:
            raise ConfigError(f"step {windows.step} makes more than {_MAX_WINDOWS:,} windows "
                              "or does not advance", location=f"{where}.step")
        current = upper
