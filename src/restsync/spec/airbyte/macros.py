"""The CDK's interpolation macros and filters, as plain functions the sandbox exposes.

:mod:`restsync.spec.airbyte.interpolation` puts :data:`MACROS` in the sandbox's globals and
:data:`FILTERS` in its filters; nothing else is reachable from a template.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac as hmac_lib
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from restsync.spec.airbyte.datetimes import format_datetime as _format
from restsync.spec.airbyte.datetimes import parse_datetime, parse_duration, parse_iso

__all__ = ["FILTERS", "MACROS", "TemplateRenderError"]


class TemplateRenderError(ValueError):
    """A template failed while rendering (an undefined value, a refused operation)."""


# --------------------------------------------------------------------------- macros


def now_utc() -> datetime:
    """The current date-time in UTC."""
    return datetime.now(UTC)


def today_utc() -> date:
    """Today's date in UTC."""
    return datetime.now(UTC).date()


def today_with_timezone(timezone: str) -> date:
    """Today's date in an IANA time zone."""
    return datetime.now(ZoneInfo(timezone)).date()


def str_to_datetime(text: str) -> datetime:
    """An ISO-8601 string as a UTC date-time (UTC when it has no zone)."""
    return parse_iso(text)


def timestamp(value: Any) -> int | float:
    """A number as an int, or an ISO-8601 string as epoch seconds."""
    if isinstance(value, int | float):
        return int(value)
    return str_to_datetime(str(value)).timestamp()


def max(*args: Any) -> Any:
    """The largest argument (or item of one iterable)."""
    return builtins.max(*args)


def min(*args: Any) -> Any:
    """The smallest argument (or item of one iterable)."""
    return builtins.min(*args)


def day_delta(num_days: int, format: str = "%Y-%m-%dT%H:%M:%S.%f%z") -> str:
    """Now plus ``num_days`` days, written in ``format``."""
    return (datetime.now(UTC) + timedelta(days=num_days)).strftime(format)


def duration(text: str) -> Any:
    """An ISO-8601 duration (``P1D``) as a time delta."""
    return parse_duration(text)


def format_datetime(value: Any, format: str, input_format: str | None = None) -> str:
    """A date-time (object, ISO string, or epoch int) written in ``format``."""
    if isinstance(value, datetime):
        return value.strftime(format)
    if isinstance(value, int):
        parsed = parse_datetime(value, input_format or "%s")
    elif input_format:
        parsed = datetime.strptime(str(value), input_format)
    else:
        parsed = str_to_datetime(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _format(parsed, format)


def sanitize_url(value: str) -> str:
    """``value`` URL-quoted (``quote_plus``)."""
    return quote_plus(value)


def camel_case_to_snake_case(value: str) -> str:
    """``CamelCase`` -> ``camel_case``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower()


def generate_uuid() -> str:
    """A random UUID4."""
    return str(uuid.uuid4())


MACROS: dict[str, Any] = {f.__name__: f for f in (
    now_utc, today_utc, timestamp, max, min, day_delta, duration, format_datetime,
    today_with_timezone, str_to_datetime, sanitize_url, camel_case_to_snake_case,
    generate_uuid)}

# --------------------------------------------------------------------------- filters


def _hash(value: Any, hash_type: str = "md5", salt: str | None = None) -> str:
    if hash_type not in hashlib.algorithms_guaranteed:
        raise TemplateRenderError(f"no hashing function named {hash_type}")
    digest = hashlib.new(hash_type)
    digest.update(str(value).encode())
    if salt:
        digest.update(str(salt).encode())
    return digest.hexdigest()


def _base64encode(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _base64decode(value: str) -> str:
    return base64.b64decode(value.encode()).decode()


def _base64binascii_decode(value: str) -> str:
    return base64.standard_b64encode(value.encode("ascii")).decode("ascii")


def _string(value: Any) -> str:
    return value if isinstance(value, str) else f'"""{json.dumps(value)}"""'


def _regex_search(value: str, regex: str) -> str:
    match = re.search(regex, value)
    return match.group(1) if match and match.groups() else ""


def _regex_replace(value: str, regex: str, replacement: str) -> str:
    return re.sub(regex, replacement, value)


def _hmac(value: Any, key: str, hash_type: str = "sha256") -> str:
    if hash_type != "sha256":
        raise TemplateRenderError(f"hash type {hash_type!r} is not allowed (sha256 only)")
    return hmac_lib.new(str(key).encode(), str(value).encode(), hashlib.sha256).hexdigest()


FILTERS: dict[str, Any] = {
    "hash": _hash, "base64encode": _base64encode, "base64decode": _base64decode,
    "base64binascii_decode": _base64binascii_decode, "string": _string,
    "regex_search": _regex_search, "regex_replace": _regex_replace, "hmac": _hmac,
}
