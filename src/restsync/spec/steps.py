"""Window steps of an incremental (``step: P1M``): how long each date window of a run is.

A step is an ISO-8601 duration that may hold years and months (``P1Y``, ``P1M``, ``P7D``,
``PT6H``), or a positive number: seconds for a date-time cursor, units for a numeric one.
Months and years are calendar steps (January 31st + P1M is February 28th/29th).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_WINDOWS", "WindowStep", "parse_step"]

MAX_WINDOWS = 10_000
"""Most date windows one resource is split into (the step is too small otherwise)."""

_ISO_STEP = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


@dataclass(frozen=True)
class WindowStep:
    """One window's length: whole calendar months plus seconds.

    Attributes:
        text: The step as written in the spec (shown by ``check``).
        months: Calendar months (a year is 12).
        seconds: Seconds on top of the months (also a numeric cursor's units).
    """

    text: str
    months: int = 0
    seconds: float = 0.0


def parse_step(value: Any) -> WindowStep:
    """The :class:`WindowStep` of a spec value.

    Raises:
        ValueError: Not a positive number or an ISO-8601 duration.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a step is an ISO-8601 duration (P1M, P7D, PT6H) or a positive number")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            raise ValueError("a numeric step must be a positive number")
        return WindowStep(text=str(value), seconds=float(value))
    text = value.strip()
    match = _ISO_STEP.match(text)
    if match is None:
        raise ValueError(f"step {value[:40]!r} is not an ISO-8601 duration (P1Y, P1M, P7D, "
                         "PT6H, P1DT12H) or a positive number")
    parts = {k: v for k, v in match.groupdict().items() if v}
    months = int(parts.pop("years", 0)) * 12 + int(parts.pop("months", 0))
    seconds = sum(float(amount) * _SECONDS[unit] for unit, amount in parts.items())
    if months == 0 and seconds <= 0:
        raise ValueError(f"step {value!r} is zero; a window must have a length")
    return WindowStep(text=text.upper(), months=months, seconds=seconds)
