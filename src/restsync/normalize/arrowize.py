"""Python records -> one Arrow ``StructArray``, in one go when Arrow can infer the page.

Fast path: ``pa.array(records)`` (C++ inference over the whole page, union of keys).
Fallback, only for the parts Arrow refuses (mixed types, integers beyond 64 bits): the page is
rebuilt column by column; each column is first tried in one go again, and only a column that
still fails is split by shape:

* the dict values become a struct part (flattened into ``key__sub`` columns later),
* the list values become a list part (a child table later),
* the scalar values become one scalar part, widened (ints + floats -> double, anything else
  mixed -> text; integers beyond 64 bits -> text).

Parts of one key share the key's name (Arrow structs allow duplicate field names), so a key that
is sometimes a dict and sometimes a string yields both ``key__sub`` columns and a ``key`` column,
as dlt does. Mixed list elements are wrapped like dlt wraps them: scalars as ``{"value": x}``,
nested lists as ``{"list": [...]}``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from restsync.normalize.kinds import JSON_TYPE, MAX_EXACT_DOUBLE_INT, dumps, render_text

_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def infer_struct_type(records: Sequence[Any]) -> pa.DataType | None:
    """The Arrow type of a page of records, without building it; ``None`` when Arrow cannot
    infer one (mixed types: the fallback builder will handle the page)."""
    try:
        return pa.infer_type(records)
    except _ARROW_ERRORS:
        return None


@dataclass(frozen=True)
class RecordsType:
    """A batch's :func:`infer_struct_type`, taken before the batch is normalized.

    The run infers it on the event loop while the loader thread is still busy with the previous
    batch (the inference holds the GIL, the loader's reads and inserts mostly do not), and
    hands it to :meth:`~restsync.normalize.Normalizer.normalize` with the records.

    Attributes:
        arrow_type: The records' type; ``None`` when Arrow cannot infer one.
    """

    arrow_type: pa.DataType | None

    @classmethod
    def of(cls, records: Sequence[Any]) -> RecordsType:
        """The type of ``records`` (:func:`infer_struct_type`)."""
        return cls(infer_struct_type(records))


def records_to_struct(records: Sequence[Any], max_nesting: int | None = None,
                      arrow_type: pa.DataType | None = None) -> pa.StructArray:
    """Convert a page of records to a ``StructArray`` (one field per top-level key).

    Records that are not dicts are wrapped as ``{"value": record}`` (dlt does the same). On the
    fallback path, dicts and lists nested beyond ``max_nesting`` are JSON-encoded right away
    from the original values (``arrow.json`` parts).

    Args:
        records: The page.
        max_nesting: The level from which objects and lists are JSON.
        arrow_type: The records' type when already inferred (:func:`infer_struct_type`):
            Arrow then only converts.
    """
    try:
        arr = pa.array(records, type=arrow_type)
    except _ARROW_ERRORS:
        arr = None
    if arr is not None and bools_read_as_floats(records, arr.type):
        arr = None
    if arr is not None and pa.types.is_struct(arr.type) and arr.null_count == 0:
        return arr
    rows: list[dict[str, Any] | None] = [
        r if isinstance(r, dict) else {"value": r} for r in records]
    return _Builder(max_nesting).struct(rows, 0, already_failed=arr is None)


def _float_paths(arrow_type: pa.DataType) -> list[tuple[str | None, ...]]:
    """Paths to the floating fields of a type: a name per struct field, None per list level."""
    paths: list[tuple[str | None, ...]] = []
    stack: list[tuple[tuple[str | None, ...], pa.DataType]] = [((), arrow_type)]
    while stack:  # iterative: types may be nested thousands of levels deep
        path, t = stack.pop()
        if pa.types.is_floating(t):
            paths.append(path)
        elif pa.types.is_struct(t):
            stack.extend(((*path, t.field(i).name), t.field(i).type)
                         for i in range(t.num_fields))
        elif pa.types.is_list(t) or pa.types.is_large_list(t):
            stack.append(((*path, None), t.value_type))
    return paths


def bools_read_as_floats(values: Sequence[Any], arrow_type: pa.DataType) -> bool:
    """True when Arrow's inference turned a boolean into a float.

    ``pa.array([0.0, False])`` gives ``[0.0, 0.0]`` (a float first, then a bool), where our
    rules make a column of bools and numbers text. Only the values on the paths to floating
    fields are looked at, so pages without floats cost nothing.
    """
    for path in _float_paths(arrow_type):
        found: Sequence[Any] = values
        for step in path:
            if step is None:
                found = [x for v in found if isinstance(v, list | tuple) for x in v]
            else:
                found = [v.get(step) for v in found if isinstance(v, dict)]
        if any(type(v) is bool for v in found):
            return True
    return False


def _try_array(values: list[Any]) -> pa.Array | None:
    try:
        arr = pa.array(values)
    except _ARROW_ERRORS:
        return None
    if bools_read_as_floats(values, arr.type):
        return None
    if isinstance(arr, pa.ChunkedArray):  # huge pages: keep one contiguous array
        arr = arr.combine_chunks()
    return arr


_Call = Generator[Any, Any, Any]
"""A step of :class:`_Builder`: it yields the steps whose results it needs, and returns its
own array."""


def _drive(step: _Call) -> Any:
    """Run ``step`` and the steps it asks for to completion, with an explicit stack instead of
    recursion (records may nest as deep as ``max_nesting_depth`` allows, 1,024 levels): each
    step's result is sent back into the step that yielded it, so the work happens in the order
    plain recursion would do it."""
    stack: list[_Call] = [step]
    result: Any = None
    while stack:
        try:
            wanted = stack[-1].send(result)
        except StopIteration as done:
            stack.pop()
            result = done.value
            continue
        stack.append(wanted)
        result = None
    return result


class _Builder:
    """The fallback builder; ``level`` is dlt's nesting level of the rows being built.

    Its steps (:meth:`_parts`, :meth:`_struct`, :meth:`_list`) call each other as deep as the
    values nest; they are generators run by :func:`_drive`, so no depth reaches Python's
    recursion limit.
    """

    def __init__(self, max_nesting: int | None) -> None:
        self.max_nesting = max_nesting

    def _too_deep(self, values: list[Any]) -> list[pa.Array]:
        nested = [dumps(v) if isinstance(v, dict | list | tuple) else None for v in values]
        parts: list[pa.Array] = [
            pa.ExtensionArray.from_storage(JSON_TYPE, pa.array(nested, pa.string()))]
        scalars = [None if isinstance(v, dict | list | tuple) else v for v in values]
        if any(v is not None for v in scalars):
            parts.append(_build_scalars(scalars))
        return parts

    def struct(self, rows: list[dict[str, Any] | None], level: int, *,
               already_failed: bool = False) -> pa.StructArray:
        """A struct array of rows at ``level`` (None = null row)."""
        arr: pa.StructArray = _drive(self._struct(rows, level, already_failed))
        return arr

    def _parts(self, values: list[Any], level: int) -> Generator[_Call, Any, list[pa.Array]]:
        """One or more arrays (parts) holding every value of one column of rows at ``level``."""
        arr = _try_array(values)
        if arr is not None:
            return [arr]
        if self.max_nesting is not None and level >= self.max_nesting:
            return self._too_deep(values)
        has_dict = has_list = has_scalar = False
        for v in values:
            if v is None:
                continue
            if isinstance(v, dict):
                has_dict = True
            elif isinstance(v, list | tuple):
                has_list = True
            else:
                has_scalar = True
        parts: list[pa.Array] = []
        if has_dict:
            dicts = [v if isinstance(v, dict) else None for v in values]
            parts.append((yield self._struct(dicts, level + 1,
                                             not has_list and not has_scalar)))
        if has_list:
            lists = [v if isinstance(v, list | tuple) else None for v in values]
            parts.append((yield self._list(lists, level + 1)))
        if has_scalar:
            parts.append(_build_scalars(
                [None if isinstance(v, dict | list | tuple) else v for v in values]))
        return parts

    def _struct(self, rows: list[dict[str, Any] | None], level: int, already_failed: bool
                ) -> Generator[_Call, Any, pa.StructArray]:
        """A struct array of rows at ``level`` (None = null row)."""
        if not already_failed:
            arr = _try_array(rows)
            if arr is not None and pa.types.is_struct(arr.type):
                return arr
        keys: dict[str, None] = {}
        for row in rows:
            if row is not None:
                keys.update(dict.fromkeys(row))
        mask = pa.array([row is None for row in rows], pa.bool_())
        if not keys:
            return pa.array([None if row is None else {} for row in rows], pa.struct([]))
        names: list[str] = []
        arrays: list[pa.Array] = []
        for key in keys:
            column = [None if row is None else row.get(key) for row in rows]
            for part in (yield self._parts(column, level)):
                names.append(key)
                arrays.append(part)
        return pa.StructArray.from_arrays(arrays, names=names, mask=mask)

    def _list(self, lists: list[Any], level: int) -> Generator[_Call, Any, pa.ListArray]:
        """A list array whose elements are rows at ``level``."""
        offsets = [0]
        flat: list[Any] = []
        for v in lists:
            if v is not None:
                flat.extend(v)
            offsets.append(len(flat))
        has_dict = any(isinstance(e, dict) for e in flat)
        has_other = any(e is not None and not isinstance(e, dict) for e in flat)
        values: pa.Array
        if not has_other:
            values = (yield self._struct(flat, level, False)) if has_dict \
                else pa.nulls(len(flat))
        elif not has_dict and not any(isinstance(e, list | tuple) for e in flat):
            values = _build_scalars(flat)
        else:
            wrapped = [
                e if isinstance(e, dict) or e is None
                else {"list": e} if isinstance(e, list | tuple)
                else {"value": e}
                for e in flat
            ]
            values = yield self._struct(wrapped, level, True)
        mask = pa.array([v is None for v in lists], pa.bool_())
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values, mask=mask)


def _build_scalars(values: list[Any]) -> pa.Array:
    arr = _try_array(values)
    if arr is not None:
        return arr
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int, float}:
        ints_exact = all(
            abs(v) <= MAX_EXACT_DOUBLE_INT for v in values if isinstance(v, int) and v is not None)
        if float in kinds and ints_exact:
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([None if v is None else render_text(v) for v in values], pa.string())
