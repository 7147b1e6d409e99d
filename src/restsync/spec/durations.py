"""Durations in specs: seconds as a number, or an ISO-8601 duration (``PT1H``, ``P1DT12H``)."""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["parse_duration", "valid_datetime_format"]

_ISO_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}
#: Longest duration accepted (100 years): guards against absurd values.
MAX_DURATION_SECONDS = 100 * 366 * 86_400


def parse_duration(value: Any) -> float:
    """Seconds of a duration given as a number of seconds or an ISO-8601 duration.

    Years and months are refused (their length varies); use days.

    Raises:
        ValueError: The value is not a non-negative number or a supported ISO-8601 duration.
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or an ISO-8601 duration like PT1H")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            match = _ISO_DURATION.match(text)
            if match is None:
                raise ValueError(f"{value[:40]!r} is not a number of seconds or an ISO-8601 "
                                 "duration (PT1H, P1D, P1DT12H30M; years/months are not "
                                 "supported)") from None
            seconds = sum(float(amount) * _UNIT_SECONDS[unit]
                          for unit, amount in match.groupdict().items() if amount)
    else:
        raise ValueError("a duration is a number of seconds or an ISO-8601 duration like PT1H")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("a duration must be a finite, non-negative number of seconds")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError("a duration longer than 100 years is not supported")
    return seconds


def valid_datetime_format(fmt: Any) -> str | None:
    """``None`` when ``fmt`` is a usable ``datetime_format``, else why it is not.

    Usable: ``%s`` (epoch seconds), ``%ms`` (epoch milliseconds), or a ``strftime`` pattern
    holding at least one ``%`` directive.
    """
    if not isinstance(fmt, str) or not fmt.strip():
        return "datetime_format must be a non-empty string such as %Y-%m-%dT%H:%M:%S%z or %s"
    if fmt in ("%s", "%ms"):
        return None
    if len(fmt) > 100:
        return "datetime_format is too long"
    if not re.search(r"%[a-zA-Z]", fmt):
        return (f"datetime_format {fmt!r} has no strftime directive (%Y, %m, %d, ...); use "
                "%s for epoch seconds or %ms for epoch milliseconds")
    return None
