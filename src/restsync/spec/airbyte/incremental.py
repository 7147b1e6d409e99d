"""Incremental sync: DatetimeBasedCursor and MinMaxDatetime.

A ``DatetimeBasedCursor`` becomes date windows (:class:`~restsync.spec.templated.DateWindows`)
and restsync's incremental state on ``cursor_field``: one stored cursor per stream, or per
partition when the stream has partitions. As in the CDK:

* the first run starts at ``start_datetime``; a later one at the stored cursor minus
  ``lookback_window``, never before ``start_datetime``; windows end at ``end_datetime``
  (default: now);
* ``step`` (with ``cursor_granularity``) cuts the range into windows, each ending one
  granularity before the next starts; the last ends at the end itself;
* ``stream_interval.start_time``/``end_time`` (``partition_field_start``/``_end``) hold each
  window, written in ``datetime_format``; ``start_time_option``/``end_time_option`` send them;
* records are not filtered by the window unless ``is_client_side_incremental``;
  ``is_data_feed`` stops paging at the first record older than the stored cursor.

The stored cursor is the highest ``cursor_field`` value read, saved when the stream
completed (restsync also caps it at the run's start time).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.airbyte.datetimes import DEFAULT_FORMAT, parse_duration
from restsync.spec.templated import DateWindows, RequestOption

__all__ = ["datetime_cursor"]


def _min_max(c: Compiler, value: Any, where: str, default_format: str
             ) -> tuple[Any, str, Any, Any]:
    """``(template, format, min, max)`` of a MinMaxDatetime or a plain template string."""
    if isinstance(value, Mapping):
        if value.get("type") not in (None, "MinMaxDatetime"):
            raise Unsupported(str(value.get("type")), where,
                              f"{value.get('type')} is not a MinMaxDatetime")
        fmt = str(value.get("datetime_format") or default_format)
        lo, hi = value.get("min_datetime"), value.get("max_datetime")
        return (c.template(value.get("datetime", ""), value, f"{where}.datetime", literal=False),
                fmt,
                c.template(lo, value, f"{where}.min_datetime", literal=False) if lo else None,
                c.template(hi, value, f"{where}.max_datetime", literal=False) if hi else None)
    return c.template(str(value), None, where, literal=False), default_format, None, None


def _duration(c: Compiler, component: Mapping[str, Any], key: str) -> Any:
    raw = component.get(key)
    if not raw:
        return None
    where = f"{path_of(component)}.{key}"
    text = c.evaluate(raw, component, where, literal=False)
    if not text:
        return None
    try:
        return parse_duration(str(text))
    except ValueError as exc:
        raise Unsupported("DatetimeBasedCursor", where, str(exc)) from None


def datetime_cursor(c: Compiler, component: Mapping[str, Any]) -> DateWindows:
    """``DatetimeBasedCursor``."""
    where = path_of(component)
    for key in ("cursor_field", "datetime_format", "start_datetime"):
        if component.get(key) in (None, ""):
            raise Unsupported("DatetimeBasedCursor", f"{where}.{key}", f"{key} is required")
    fmt = str(component["datetime_format"])
    cursor_field = str(c.evaluate(component["cursor_field"], component, f"{where}.cursor_field",
                                  literal=False))
    start, start_fmt, start_min, start_max = _min_max(
        c, component["start_datetime"], f"{where}.start_datetime", fmt)
    end_raw = component.get("end_datetime")
    end = end_fmt = end_min = end_max = None
    if end_raw:
        end, end_fmt, end_min, end_max = _min_max(c, end_raw, f"{where}.end_datetime", fmt)
    step = _duration(c, component, "step")
    granularity = _duration(c, component, "cursor_granularity")
    if (step is None) != (granularity is None):
        raise Unsupported("DatetimeBasedCursor", where,
                          "step and cursor_granularity go together (the CDK refuses one alone)")
    options: dict[str, RequestOption | None] = {}
    for key in ("start_time_option", "end_time_option"):
        option = component.get(key)
        options[key] = c.build(option, "request option") if isinstance(option, Mapping) else None
    if component.get("clamping"):
        raise Unsupported("DatetimeBasedCursor", f"{where}.clamping", "clamping is not supported")
    if component.get("global_substream_cursor"):
        c.infer(f"{where}.global_substream_cursor",
                f"{c.stream}: one cursor per partition (restsync keeps per-partition state; "
                "the CDK's global cursor is not used)")
    field_start = str(c.evaluate(component.get("partition_field_start") or "start_time",
                                 component, f"{where}.partition_field_start", literal=False))
    field_end = str(c.evaluate(component.get("partition_field_end") or "end_time", component,
                               f"{where}.partition_field_end", literal=False))
    formats = tuple(str(f) for f in component.get("cursor_datetime_formats") or [fmt])
    windows = DateWindows(
        cursor_field=cursor_field, datetime_format=fmt, cursor_formats=formats,
        start=start, start_format=start_fmt or DEFAULT_FORMAT, start_min=start_min,
        start_max=start_max, end=end, end_format=end_fmt, end_min=end_min, end_max=end_max,
        step=step, granularity=granularity, lookback=_duration(c, component, "lookback_window"),
        start_field=field_start, end_field=field_end,
        start_option=options["start_time_option"], end_option=options["end_time_option"],
        is_data_feed=bool(component.get("is_data_feed")),
        client_side=bool(component.get("is_client_side_incremental")))
    if not end_raw:
        c.infer(f"{where}.end_datetime", f"{c.stream}: windows end now (no end_datetime)")
    return windows
