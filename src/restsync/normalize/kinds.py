"""Column kinds (the small type system of normalized tables) and columnar conversions.

Kinds: ``bool``, ``bigint``, ``double``, ``timestamp``, ``text``, ``json`` (inferred) plus
``date`` and ``decimal`` (declared only). Widening rules
(applied across pages of one run by :class:`~restsync.normalize.Normalizer`):

* same kind -> same kind;
* ``bigint`` + ``double`` -> ``double``, unless an integer beyond 2**53 would lose precision,
  then ``text``;
* ``json`` + anything but ``text`` -> ``json`` (scalars are stored JSON-encoded);
* anything else mixed (numbers and strings, bool and numbers, timestamp and plain strings,
  text and json) -> ``text``.

A value is never dropped: whatever does not fit the kind of its column is rendered as text.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc

BOOL: Final = "bool"
BIGINT: Final = "bigint"
DOUBLE: Final = "double"
TIMESTAMP: Final = "timestamp"
TEXT: Final = "text"
JSON: Final = "json"
DATE: Final = "date"  # declared only
DECIMAL: Final = "decimal"  # declared only (precision/scale in the column schema)

TIMESTAMP_TYPE: Final = pa.timestamp("us", tz="UTC")
JSON_TYPE: Final = pa.json_(pa.string())
ARROW_TYPES: Final[dict[str, pa.DataType]] = {
    BOOL: pa.bool_(),
    BIGINT: pa.int64(),
    DOUBLE: pa.float64(),
    TIMESTAMP: TIMESTAMP_TYPE,
    TEXT: pa.string(),
    JSON: JSON_TYPE,
    DATE: pa.date32(),
    DECIMAL: pa.decimal128(38, 9),
}
MAX_EXACT_DOUBLE_INT: Final = 2**53

# date + time + zone (Z or +hh[:]mm); at most microseconds so the cast loses nothing.
_ISO_TIMESTAMP: Final = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"
)


def is_json_type(arrow_type: pa.DataType) -> bool:
    """True for the canonical ``arrow.json`` extension type."""
    return getattr(arrow_type, "extension_name", None) == "arrow.json"


def candidate_kind(arr: pa.Array) -> str | None:
    """The kind an Arrow array of scalars suggests, or None for an all-null array.

    Strings are reported as ``timestamp`` only when every non-null value is an ISO-8601
    date-time with a zone offset (the check is columnar). A string array with no value at all
    suggests nothing either, as a ``null`` array does: it must not turn a timestamp column
    into text (a batch read with an earlier batch's type has such columns for keys it lacks).
    """
    t = arr.type
    if pa.types.is_null(t):
        return None
    if is_json_type(t):
        return JSON
    if pa.types.is_boolean(t):
        return BOOL
    if pa.types.is_integer(t):
        if pa.types.is_uint64(t) and arr.null_count < len(arr):
            top = pc.max(arr).as_py()
            if top is not None and top >= 2**63:
                return TEXT
        return BIGINT
    if pa.types.is_floating(t):
        return DOUBLE
    if pa.types.is_timestamp(t):
        return TIMESTAMP if t.tz is not None else TEXT
    if pa.types.is_date(t):
        return DATE
    if pa.types.is_decimal(t):
        return DECIMAL
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        if arr.null_count == len(arr):
            return None
        return TIMESTAMP if looks_like_timestamps(arr) else TEXT
    return TEXT


def looks_like_timestamps(arr: pa.Array) -> bool:
    """Whether every non-null string is an ISO-8601 date-time with a zone offset."""
    if arr.null_count == len(arr):
        return False
    matches = pc.match_substring_regex(arr, _ISO_TIMESTAMP)
    if not pc.all(matches).as_py():
        return False
    try:
        pc.cast(arr, TIMESTAMP_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def widen(old: str | None, new: str | None) -> str | None:
    """The kind a column must have to hold values of both kinds (see module docstring)."""
    if old is None:
        return new
    if new is None or old == new:
        return old
    pair = {old, new}
    if pair == {BIGINT, DOUBLE}:
        return DOUBLE
    if JSON in pair:
        return TEXT if TEXT in pair else JSON
    return TEXT


def has_inexact_ints(arr: pa.Array) -> bool:
    """Whether an integer array holds a value a double cannot represent exactly."""
    if not pa.types.is_integer(arr.type) or arr.null_count == len(arr):
        return False
    # min and max, not abs(): abs(-2**63) overflows int64
    bounds = pc.min_max(arr).as_py()
    low, high = bounds["min"], bounds["max"]
    return (high is not None and high > MAX_EXACT_DOUBLE_INT) or (
        low is not None and low < -MAX_EXACT_DOUBLE_INT)


def required_kind(arr: pa.Array, kind: str) -> str:
    """``kind`` or ``text`` when converting ``arr`` to ``kind`` would lose precision."""
    if kind == DOUBLE and has_inexact_ints(arr):
        return TEXT
    return kind


def convert(arr: pa.Array, kind: str) -> pa.Array:
    """Convert an array of scalars to the Arrow type of ``kind`` (never drops a value)."""
    target = ARROW_TYPES[kind]
    if arr.type == target:
        return arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), target)
    if kind == JSON:
        return encode_json(arr)
    if is_json_type(arr.type):
        arr = arr.storage
        if kind == TEXT:
            return arr
    if kind == TEXT and pa.types.is_timestamp(arr.type):
        return pa.array([None if v is None else v.isoformat() for v in arr.to_pylist()],
                        pa.string())
    try:
        return pc.cast(arr, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if kind != TEXT:
            raise
        return pa.array([None if v is None else render_text(v) for v in arr.to_pylist()],
                        pa.string())


def encode_json(arr: pa.Array) -> pa.Array:
    """Encode every value of an array (nested or scalar) as JSON text (``arrow.json``)."""
    if is_json_type(arr.type):
        return arr
    values = [None if v is None else dumps(v) for v in arr.to_pylist()]
    return pa.ExtensionArray.from_storage(JSON_TYPE, pa.array(values, pa.string()))


def dumps(value: Any) -> str:
    """JSON-encode one value; non-JSON scalars (dates, decimals, huge ints) become strings.

    Compact, like orjson. Values orjson refuses (integers beyond 64 bits, nesting deeper than
    the 254 levels it writes) are written by :func:`_dumps_deep`, which has no depth limit.
    """
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return _dumps_deep(value)


def _scalar_json(value: Any) -> str:
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # integers beyond 64 bits
        import json

        return json.dumps(value, default=str)


def _dumps_deep(value: Any) -> str:
    """JSON text of any value without recursion (any depth)."""
    out: list[str] = []
    todo: list[Any] = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, _Literal):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            parts: list[Any] = []
            for i, (key, sub) in enumerate(item.items()):
                prefix = "," if i else ""
                parts += [_Literal(prefix + _scalar_json(str(key)) + ":"), sub]
            todo.append(_Literal("}"))
            todo.extend(reversed(parts))
        elif isinstance(item, list | tuple):
            out.append("[")
            parts = []
            for i, sub in enumerate(item):
                if i:
                    parts.append(_Literal(","))
                parts.append(sub)
            todo.append(_Literal("]"))
            todo.extend(reversed(parts))
        else:
            out.append(_scalar_json(item))
    return "".join(out)


class _Literal:
    """Text :func:`_dumps_deep` writes as is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def render_text(value: Any) -> str:
    """Render one scalar as text the way Arrow's casts do (``true``, ``1``, ``1.5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dict | list):
        return dumps(value)
    return str(value)
