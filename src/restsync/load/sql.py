"""SQL helpers for the DuckDB destination: quoting, type widening, safe error text."""

from __future__ import annotations

import re

VARCHAR = "VARCHAR"
JSON = "JSON"
_NUMERIC_RANK = {"BIGINT": 1, "DOUBLE": 2}
_JSON_ABSORBS = {"BIGINT", "DOUBLE", "BOOLEAN"}
_LONG_QUOTED = re.compile(r"('[^']{80,}'|\"[^\"]{80,}\")")
MAX_MESSAGE = 400


def quote(identifier: str) -> str:
    """Quote an identifier for DuckDB (names may start with ``_`` or hold any character)."""
    return '"' + identifier.replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """``"catalog"."schema"."table"`` (any number of quoted parts)."""
    return ".".join(quote(p) for p in parts)


def widen_type(old: str, new: str) -> str:
    """The column type that holds values of both DuckDB types without losing any.

    BIGINT + DOUBLE -> DOUBLE; JSON keeps absorbing numbers and booleans (cast to JSON on
    insert); every other mix -> VARCHAR.
    """
    if old == new:
        return old
    if old in _NUMERIC_RANK and new in _NUMERIC_RANK:
        return old if _NUMERIC_RANK[old] >= _NUMERIC_RANK[new] else new
    if old == JSON and new in _JSON_ABSORBS:
        return JSON
    return VARCHAR


def safe_message(error: BaseException) -> str:
    """A database error's text with long quoted values cut (no data dumps in messages)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = _LONG_QUOTED.sub(lambda m: m.group(0)[:40] + "...'", text)
    return text[:MAX_MESSAGE]
