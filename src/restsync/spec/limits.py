"""restsync: the ``limits`` block: how much one run may take from an API.

Every resource is bounded. The limits are set on ``client`` (for every resource) and may be
overridden per resource (``resources[x].limits``, or for all resources in
``resource_defaults.limits``); a resource's own value wins, a limit set nowhere has its
default (:data:`DEFAULT_LIMITS`). Each one is settable with ``--set``
(``--set client.limits.max_pages=50``, ``--set resources.events.limits.max_columns=2000``).
``docs/limits.md`` lists them with what happens when one is reached.

This module only describes the limits (no I/O); extract and normalize enforce them, and every
message of a reached limit names its setting (:meth:`Limits.setting`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from restsync.spec.durations import parse_duration

__all__ = [
    "DEFAULT_LIMITS",
    "LIMIT_NAMES",
    "PARSER_MAX_DEPTH",
    "Limits",
    "LimitsConfig",
    "effective_limits",
    "parse_size",
]

PARSER_MAX_DEPTH: Final = 1024
"""Deepest nesting the JSON parser (orjson) accepts; a body nested deeper is refused with a
message saying so. ``max_nesting_depth`` can be at most this."""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3,
          "gb": 1000**3, "t": 1000**4, "tb": 1000**4, "kib": 1024, "ki": 1024,
          "mib": 1024**2, "mi": 1024**2, "gib": 1024**3, "gi": 1024**3, "tib": 1024**4,
          "ti": 1024**4}


def parse_size(value: Any) -> int:
    """Bytes of a size given as a number or a string with a unit (``256MB``, ``1 GiB``).

    Raises:
        ValueError: Not a positive whole number of bytes or a size with a known unit.
    """
    if isinstance(value, bool):
        raise ValueError("a size is a number of bytes or a string like 256MB / 1GiB")
    if isinstance(value, int):
        size = value
    elif isinstance(value, float) and value.is_integer():
        size = int(value)
    elif isinstance(value, str) and (match := _SIZE.match(value)) is not None:
        size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    else:
        raise ValueError(f"{str(value)[:40]!r} is not a size (a number of bytes, or 256MB, "
                         "512KiB, 1GiB...)")
    if size <= 0:
        raise ValueError("a size must be positive")
    return size


class LimitsConfig(BaseModel):
    """restsync: bounds on one resource's run; ``None`` = not set here (inherited).

    Attributes:
        max_response_bytes: Largest response body, counted after decompression, while it
            streams in (a number of bytes or ``256MB``/``1GiB``).
        max_nesting_depth: Deepest nesting of objects/lists turned into columns and child
            tables; deeper values are kept whole as a JSON column.
        max_columns: Most columns per table (child tables of a list count as one each);
            beyond it the widest nested object becomes one JSON column.
        max_retry_wait: Longest single wait before a retry (seconds or ``PT2H``); a longer one
            (a huge ``Retry-After``) stops the resource instead of sleeping.
        max_pages: Most pages of one page sequence (one endpoint, one parent item); reaching it
            stops the resource, to be resumed by the next run.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_response_bytes: int | None = Field(default=None, gt=0)
    max_nesting_depth: int | None = Field(default=None, ge=1, le=PARSER_MAX_DEPTH)
    max_columns: int | None = Field(default=None, ge=1)
    max_retry_wait: float | None = Field(default=None, ge=0)
    max_pages: int | None = Field(default=None, ge=1)

    @field_validator("max_response_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return None if value is None else parse_size(value)

    @field_validator("max_retry_wait", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)


LIMIT_NAMES: Final = tuple(LimitsConfig.model_fields)

DEFAULT_LIMITS: Final = LimitsConfig(
    max_response_bytes=256 * 1024**2,
    max_nesting_depth=64,
    max_columns=1000,
    max_retry_wait=7200.0,
    max_pages=100_000,
)
"""The defaults: generous for real APIs, finite for hostile ones (see ``docs/limits.md``)."""


@dataclass(frozen=True)
class Limits:
    """The limits in force for one resource (or for the client's own requests).

    Attributes:
        max_response_bytes: See :class:`LimitsConfig`.
        max_nesting_depth: See :class:`LimitsConfig`.
        max_columns: See :class:`LimitsConfig`.
        max_retry_wait: See :class:`LimitsConfig`.
        max_pages: See :class:`LimitsConfig`.
        paths: Limit name -> the config path that sets it (``client.limits.max_pages``,
            ``resources[events].limits.max_pages``); for a default, where to set it.
    """

    max_response_bytes: int
    max_nesting_depth: int
    max_columns: int
    max_retry_wait: float
    max_pages: int
    paths: tuple[tuple[str, str], ...]

    def setting(self, name: str) -> str:
        """``client.limits.max_pages=100000``: the path that sets a limit, and its value."""
        value = getattr(self, name)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{dict(self.paths)[name]}={shown}"


def effective_limits(client: LimitsConfig | None, resource: LimitsConfig | None = None, *,
                     resource_name: str | None = None) -> Limits:
    """The limits for a resource: its own values, else the client's, else the defaults.

    Args:
        client: ``client.limits`` of the source.
        resource: ``resources[x].limits`` of the resource (``resource_defaults`` merged in).
        resource_name: The resource's name, for the paths of its own settings.
    """
    values: dict[str, Any] = {}
    paths: list[tuple[str, str]] = []
    for name in LIMIT_NAMES:
        own = getattr(resource, name) if resource is not None else None
        shared = getattr(client, name) if client is not None else None
        if own is not None:
            values[name], path = own, f"resources[{resource_name}].limits.{name}"
        else:
            values[name] = shared if shared is not None else getattr(DEFAULT_LIMITS, name)
            path = f"client.limits.{name}"
        paths.append((name, path))
    return Limits(**values, paths=tuple(paths))
