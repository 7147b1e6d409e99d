"""Fitting values into a column's type: epoch timestamps, declared types, contract checks.

Used off the hot path only: for declared columns, for columns under a ``data_type`` contract,
and once per new numeric column whose name says "timestamp" (``*_at``, ``*_ts``,
``*_timestamp``, ``timestamp``, ``ts``). A whole array is converted in one Arrow cast when it
fits; only an array that does not fit is examined value by value (to find the offending
values).

Coercions (a value "fits" a column when it converts without loss of meaning):

* ``bigint``: integers in int64, integral doubles, strings of digits;
* ``double``: integers up to 2**53, doubles, numeric strings;
* ``decimal(p,s)``: integers, doubles, numeric strings within the precision (rounded to s);
* ``bool``: booleans, ``"true"``/``"false"``;
* ``timestamp``: timestamps, ISO-8601 strings (a missing zone means UTC; a date alone is
  midnight UTC), RFC 2822 strings (``Mon, 01 Jan 2024 10:00:00 GMT``), and epoch numbers
  (seconds, or milliseconds when the column's unit is ``ms``);
* ``date``: ``YYYY-MM-DD`` strings, dates;
* ``text`` and ``json``: everything.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from restsync.normalize import kinds
from restsync.normalize.schema import ColumnSchema

EPOCH_SECONDS: Final = (1e9, 4.2e9)  # 2001-09-09 .. 2103
EPOCH_MILLIS: Final = (1e12, 4.2e12)
_EPOCH_NAME = re.compile(r"(^|_)(timestamp|ts)$|_at$")
_RFC_2822 = re.compile(
    r"^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(:\d{2})? (GMT|UTC|UT|Z|[+-]\d{4})$")
_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OverflowError,
           ValueError, TypeError)
_NUMERIC_KINDS: Final = (kinds.BIGINT, kinds.DOUBLE, kinds.DECIMAL)


def is_epoch_name(name: str) -> bool:
    """Whether a normalized column name says it holds a point in time (``created_at``)."""
    return bool(_EPOCH_NAME.search(name))


def epoch_unit(arr: pa.Array) -> str | None:
    """``s`` / ``ms`` when every non-null number is a plausible epoch in that unit."""
    t = arr.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t)) or arr.null_count == len(arr):
        return None
    bounds = pc.min_max(arr).as_py()
    low, high = bounds["min"], bounds["max"]
    for unit, (lo, hi) in (("s", EPOCH_SECONDS), ("ms", EPOCH_MILLIS)):
        if lo <= low and high <= hi:
            return unit
    return None


def _unit_for(arr: pa.Array, column: ColumnSchema) -> str:
    if column.timestamp_unit:
        return column.timestamp_unit
    top = pc.max(pc.abs(pc.cast(arr, pa.float64()))).as_py() or 0.0
    return "ms" if top >= EPOCH_MILLIS[0] / 10 else "s"


def target_type(column: ColumnSchema) -> pa.DataType:
    """The Arrow type values of ``column`` are converted to."""
    if column.data_type == kinds.DECIMAL:
        return pa.decimal128(column.precision or 38, 9 if column.scale is None else column.scale)
    return kinds.ARROW_TYPES[column.data_type or kinds.TEXT]


def _allowed(source: pa.DataType, kind: str) -> bool:
    """Whether values of Arrow type ``source`` may be coerced into ``kind`` at all."""
    if kind in (kinds.TEXT, kinds.JSON) or pa.types.is_null(source):
        return True
    if kinds.is_json_type(source):
        return False
    numeric = pa.types.is_integer(source) or pa.types.is_floating(source)
    text = pa.types.is_string(source) or pa.types.is_large_string(source)
    if kind in _NUMERIC_KINDS:
        return numeric or text or pa.types.is_decimal(source)
    if kind == kinds.BOOL:
        return pa.types.is_boolean(source) or text
    if kind == kinds.TIMESTAMP:
        return numeric or text or pa.types.is_timestamp(source)
    if kind == kinds.DATE:
        return text or pa.types.is_date(source)
    return False


def _strings_to_timestamp(arr: pa.Array) -> pa.Array:
    try:
        return pc.cast(arr, kinds.TIMESTAMP_TYPE)
    except _ERRORS:
        pass
    return pa.array([None if v is None else _parse_instant(v) for v in arr.to_pylist()],
                    kinds.TIMESTAMP_TYPE)


def _parse_instant(text: str) -> datetime:
    """One string -> an aware datetime; raises ValueError when it is no instant."""
    if _RFC_2822.match(text):
        value = parsedate_to_datetime(text)
    else:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _cast(arr: pa.Array, column: ColumnSchema) -> pa.Array:
    """Convert a whole array; raises when any value does not fit."""
    kind = column.data_type or kinds.TEXT
    if not _allowed(arr.type, kind):
        raise ValueError(f"{arr.type} does not fit {kind}")
    if kind in (kinds.TEXT, kinds.JSON):
        return kinds.convert(arr, kind)
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), target_type(column))
    if kind == kinds.TIMESTAMP:
        if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
            factor = 1_000_000 if _unit_for(arr, column) == "s" else 1_000
            micros = pc.round(pc.multiply(pc.cast(arr, pa.float64()), float(factor)))
            return pc.cast(pc.cast(micros, pa.int64()), kinds.TIMESTAMP_TYPE)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            return _strings_to_timestamp(arr)
    if kind == kinds.BOOL and pa.types.is_string(arr.type):
        lowered = pc.utf8_lower(arr)
        if not pc.all(pc.is_in(lowered, pa.array(["true", "false"]))).as_py():
            raise ValueError("not a boolean")
        return pc.equal(lowered, "true")
    if kind == kinds.DOUBLE and pa.types.is_integer(arr.type) and kinds.has_inexact_ints(arr):
        raise ValueError("integer beyond 2**53")
    return pc.cast(arr, target_type(column))


def _fits_one(value: Any, source: pa.DataType, column: ColumnSchema) -> bool:
    try:
        _cast(pa.array([value], source), column)
    except _ERRORS:
        return False
    return True


def fit(arr: pa.Array, column: ColumnSchema) -> tuple[pa.Array, pa.BooleanArray | None]:
    """Convert ``arr`` to ``column``'s type.

    Returns:
        ``(converted, misfits)``: ``misfits`` is None when every value fitted, else a boolean
        mask of the values that did not (those are null in ``converted``).
    """
    try:
        return _cast(arr, column), None
    except _ERRORS:
        pass
    if not _allowed(arr.type, column.data_type or kinds.TEXT):
        misfits = pc.is_valid(arr)
        return pa.nulls(len(arr), target_type(column)), misfits
    values = arr.to_pylist()
    flags = [v is not None and not _fits_one(v, arr.type, column) for v in values]
    misfits = pa.array(flags, pa.bool_())
    kept = pc.if_else(misfits, pa.nulls(len(arr), arr.type), arr)
    return _cast(kept, column), misfits


def first_value(arr: pa.Array, mask: pa.BooleanArray | None = None) -> tuple[int, Any]:
    """Index and value of the first non-null value (where ``mask`` is true, if given)."""
    valid = pc.is_valid(arr) if mask is None else pc.and_(mask, pc.is_valid(arr))
    index = pc.index(valid, True).as_py()
    if index is None or index < 0:
        return -1, None
    value = arr[index].as_py()
    return int(index), value
