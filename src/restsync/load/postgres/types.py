"""PostgreSQL column types, widening, identifiers and Arrow -> COPY encoding.

Types are PostgreSQL's own names as ``information_schema.columns.data_type`` reports them.
Widening follows the normalizer's kind rules (:func:`restsync.normalize.kinds.widen`), so a
column widens the same way across runs as it does across pages of one run: ``bigint`` +
``double precision`` -> ``double precision``; ``jsonb`` absorbs numbers, booleans and
timestamps; every other mix -> ``text``. A column whose type restsync did not create (altered
by hand) keeps its type; values are cast to it on insert.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from restsync.load.sql.names import quote
from restsync.normalize import kinds

BIGINT: Final = "bigint"
DOUBLE: Final = "double precision"
BOOLEAN: Final = "boolean"
TEXT: Final = "text"
TIMESTAMPTZ: Final = "timestamp with time zone"
JSONB: Final = "jsonb"
DATE: Final = "date"
NUMERIC: Final = "numeric"
MAX_IDENTIFIER_BYTES: Final = 63  # NAMEDATALEN - 1

_KIND_OF_TYPE: Final = {
    BOOLEAN: kinds.BOOL,
    BIGINT: kinds.BIGINT,
    DOUBLE: kinds.DOUBLE,
    TIMESTAMPTZ: kinds.TIMESTAMP,
    TEXT: kinds.TEXT,
    JSONB: kinds.JSON,
    DATE: kinds.DATE,
    NUMERIC: kinds.DECIMAL,
}
_TYPE_OF_KIND: Final = {kind: pg for pg, kind in _KIND_OF_TYPE.items()}


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type for a normalized Arrow column type."""
    if kinds.is_json_type(arrow_type):
        return JSONB
    if pa.types.is_boolean(arrow_type):
        return BOOLEAN
    if pa.types.is_integer(arrow_type):
        return BIGINT
    if pa.types.is_floating(arrow_type):
        return DOUBLE
    if pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None:
        return TIMESTAMPTZ
    if pa.types.is_date(arrow_type):
        return DATE
    if pa.types.is_decimal(arrow_type):
        return f"{NUMERIC}({arrow_type.precision},{arrow_type.scale})"
    return TEXT


def widen_pg_type(old: str, new: str) -> str:
    """The type holding values of both types (see module docstring); unknown ``old`` stays."""
    if old == new or old not in _KIND_OF_TYPE or new not in _KIND_OF_TYPE:
        return old
    wide = kinds.widen(_KIND_OF_TYPE[old], _KIND_OF_TYPE[new])
    return _TYPE_OF_KIND[wide] if wide is not None else old


def cast_expr(expr: str, from_type: str, to_type: str) -> str:
    """SQL turning ``expr`` of ``from_type`` into ``to_type`` (for INSERT and ALTER ... USING).

    Text renderings match the normalizer's: timestamps as ISO 8601 (``2024-05-01T08:00:00+00:00``),
    JSON as its text, booleans ``true``/``false``.
    """
    if from_type == to_type:
        return expr
    if to_type == TEXT:
        if from_type in (TIMESTAMPTZ, DATE):
            return f"(to_json({expr}) #>> '{{}}')"
        return f"({expr})::text"
    if to_type == JSONB:
        if from_type == TEXT:
            return f"({expr})::jsonb"
        return f"to_jsonb({expr})"
    return f"({expr})::{to_type}"


def pg_identifier(name: str) -> str:
    """``name`` if PostgreSQL can hold it, else a stable shortened form.

    PostgreSQL silently truncates identifiers longer than 63 bytes (two long child table names
    could then collide); longer names keep their first bytes plus a hash of the full name.
    """
    encoded = name.encode()
    if len(encoded) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:10]
    head = encoded[:MAX_IDENTIFIER_BYTES - len(digest) - 1].decode(errors="ignore")
    return f"{head}_{digest}"


def column_list(names: list[str]) -> str:
    """``"a", "b"`` (quoted column names)."""
    return ", ".join(quote(n) for n in names)


NUL = "\x00"
_JSON_NUL = "\\u0000"  # how JSON text spells U+0000


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key.replace(NUL, "")
            if item is None and out.get(name) is not None:
                continue  # "k\x00" and "k" become one key: a value wins over a null
            out[name] = _without_nul(item)
        return out
    return value


def _json_without_nul(text: str) -> str:
    return orjson.dumps(_without_nul(orjson.loads(text))).decode()


def without_nul(text: str) -> str:
    """``text`` (plain or JSON) without U+0000: raw NULs and JSON's ``\\u0000`` escapes."""
    text = text.replace(NUL, "")
    if _JSON_NUL in text:
        try:
            return _json_without_nul(text)
        except orjson.JSONDecodeError:
            return text
    return text


def strip_nul(table: pa.Table) -> tuple[pa.Table, int]:
    """``table`` without U+0000 in any text or JSON value; and how many values had one.

    PostgreSQL's ``text`` and ``jsonb`` cannot hold the NUL character (``COPY`` fails with
    ``invalid byte sequence for encoding "UTF8": 0x00``): it is removed, the rest of the value
    kept (``"a\x00b"`` is stored as ``"ab"``), in JSON keys and values too. Columns without
    a NUL are left as they are (one vectorised search per text column).
    """
    changed = 0
    for index, column in enumerate(table.columns):
        if kinds.is_json_type(column.type):
            storage = pa.chunked_array([c.storage for c in column.chunks], pa.string())
            hits = pc.match_substring(storage, _JSON_NUL)
            if not pc.any(hits).as_py():
                continue
            texts = storage.to_pylist()
            fixed = [_json_without_nul(t) if hit else t
                     for t, hit in zip(texts, hits.to_pylist(), strict=True)]
            n = sum(a != b for a, b in zip(texts, fixed, strict=True))
            if not n:  # only escaped backslashes followed by "u0000"
                continue
            values: Any = pa.ExtensionArray.from_storage(kinds.JSON_TYPE,
                                                         pa.array(fixed, pa.string()))
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            n = pc.sum(pc.match_substring(column, NUL)).as_py() or 0
            if not n:
                continue
            values = pc.replace_substring(column, NUL, "")
        else:
            continue
        changed += n
        table = table.set_column(index, table.field(index), values)
    return table, changed


def csv_ready(table: pa.Table) -> pa.Table:
    """Arrow columns as the CSV writer should write them.

    JSON extension columns become their JSON text. Zoned timestamps become
    ``2024-05-01 08:00:00.500000+00`` text: formatting a zoned timestamp in Arrow goes through
    a time-zone lookup per value (20x slower than a naive one), so the UTC wall time is
    formatted naive and the offset appended.
    """
    columns = []
    for column in table.columns:
        if kinds.is_json_type(column.type):
            column = pa.chunked_array([c.storage for c in column.chunks], pa.string())
        elif pa.types.is_timestamp(column.type) and column.type.tz is not None:
            naive = column.cast(pa.timestamp(column.type.unit, tz="UTC")).cast(
                pa.timestamp(column.type.unit))
            column = pc.binary_join_element_wise(naive.cast(pa.string()), "+00", "")
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def to_csv(table: pa.Table) -> bytes:
    """Encode rows for ``COPY ... FROM STDIN (FORMAT csv)``: NULL is an unquoted empty field.

    Arrow's CSV writer quotes every empty string (``""``), so NULL and ``''`` stay distinct.
    """
    buffer = io.BytesIO()
    pa_csv.write_csv(csv_ready(table), buffer,
                     pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return buffer.getvalue()
