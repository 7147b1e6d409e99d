"""DuckDB column types: how a column widens to hold values of another type."""

from __future__ import annotations

VARCHAR = "VARCHAR"
JSON = "JSON"
_NUMERIC_RANK = {"BIGINT": 1, "DOUBLE": 2}
_JSON_ABSORBS = {"BIGINT", "DOUBLE", "BOOLEAN"}


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
