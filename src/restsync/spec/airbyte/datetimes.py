"""Date-times as Airbyte manifests write them: formats, parsing, ISO-8601 durations.

Formats are ``strftime`` patterns plus the CDK's own directives: ``%s`` (epoch seconds),
``%ms`` (epoch milliseconds), ``%s_as_float``, ``%epoch_microseconds`` and ``%_ms``
(milliseconds inside a pattern). A parsed value without a zone is UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

__all__ = ["DEFAULT_FORMAT", "Duration", "format_datetime", "parse_datetime", "parse_duration",
           "parse_iso"]

DEFAULT_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"
"""The CDK's format of a ``MinMaxDatetime`` without one."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_datetime(value: Any, fmt: str) -> datetime:
    """Parse ``value`` written in ``fmt`` (a naive result is taken as UTC).

    Raises:
        ValueError: ``value`` is not written in ``fmt``.
    """
    if fmt == "%s":
        return datetime.fromtimestamp(int(value), tz=UTC)
    if fmt == "%s_as_float":
        return datetime.fromtimestamp(float(value), tz=UTC)
    if fmt == "%epoch_microseconds":
        return _EPOCH + timedelta(microseconds=int(value))
    if fmt == "%ms":
        return _EPOCH + timedelta(milliseconds=int(value))
    if "%_ms" in fmt:
        fmt = fmt.replace("%_ms", "%f")
    parsed = datetime.strptime(str(value), fmt)
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_datetime(value: datetime, fmt: str) -> str:
    """Write ``value`` in ``fmt`` (``%s`` from the instant, never the local zone)."""
    if fmt == "%s":
        return str(int(value.timestamp()))
    if fmt == "%s_as_float":
        return str(float(value.timestamp()))
    if fmt == "%epoch_microseconds":
        return str(int(value.timestamp() * 1_000_000))
    if fmt == "%ms":
        return str(int(value.timestamp() * 1000))
    if "%_ms" in fmt:
        text = value.strftime(fmt.replace("%_ms", "%f"))
        return text.replace(value.strftime("%f"), f"{int(value.microsecond / 1000):03d}")
    return value.strftime(fmt)


def parse_iso(text: str) -> datetime:
    """An ISO-8601 date or date-time (UTC when it has no zone), converted to UTC."""
    parsed = dateutil_parser.isoparse(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?:(?P<years>\d+(?:[.,]\d+)?)Y)?(?:(?P<months>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$")


class Duration(relativedelta):
    """An ISO-8601 duration with years or months (calendar arithmetic on date-times)."""


def parse_duration(text: str) -> timedelta | Duration:
    """An ISO-8601 duration (``P1D``, ``PT1H30M``, ``P1M``): a ``timedelta``, or a
    :class:`Duration` when it has years or months.

    Raises:
        ValueError: Not an ISO-8601 duration.
    """
    match = _DURATION.match(str(text).strip())
    if not match or str(text).strip() in ("P", "PT", "-P", "+P") or str(text).strip().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration (e.g. P1D, PT1H, P1M)")
    parts = {k: float(v.replace(",", ".")) for k, v in match.groupdict().items()
             if v is not None and k != "sign"}
    sign = -1 if match.group("sign") == "-" else 1
    if parts.get("years") or parts.get("months"):
        return Duration(years=sign * int(parts.get("years", 0)),
                        months=sign * int(parts.get("months", 0)),
                        weeks=sign * parts.get("weeks", 0), days=sign * parts.get("days", 0),
                        hours=sign * parts.get("hours", 0),
                        minutes=sign * parts.get("minutes", 0),
                        seconds=sign * parts.get("seconds", 0))
    delta = timedelta(weeks=parts.get("weeks", 0), days=parts.get("days", 0),
                      hours=parts.get("hours", 0), minutes=parts.get("minutes", 0),
                      seconds=parts.get("seconds", 0))
    return -delta if sign < 0 else delta
