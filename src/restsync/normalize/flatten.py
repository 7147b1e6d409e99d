"""Columnar flattening of a struct array into dlt-layout tables.

Nested structs become ``parent__child`` columns; lists become child tables linked by
``_dlt_parent_id`` / ``_dlt_list_idx`` / ``_dlt_root_id``. Everything here works on whole
Arrow arrays (``StructArray.flatten``, ``list_flatten``, ``list_parent_indices``, ``take``);
no per-row Python.

Fields named in ``json_names`` (normalized paths from the root record, ``payload`` or
``campaigns__meta``) are kept whole as JSON columns instead of being flattened.

Nesting levels follow dlt's ``max_table_nesting``: the root row is level 0, every dict or list
descended adds one; a dict or list met at a level ``>= max_nesting`` (or ``>= depth_limit``,
restsync's ``limits.max_nesting_depth``) is kept whole as a JSON column instead.

Paths in ``cut_paths`` (raw keys from the root record) were cut by ``limits.max_columns``:
their values arrive as JSON text (see :mod:`restsync.normalize.shape`) and become JSON
columns.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from restsync.normalize.kinds import JSON_TYPE, encode_json
from restsync.normalize.naming import normalize_path

_ARANGE_CHUNK = 1 << 16
_ARANGE = pa.array([], pa.int64())  # grown on first use (off the event loop); immutable


class IdFactory:
    """Unique ``_dlt_id`` strings, built columnarly: a random per-batch prefix + a counter."""

    def __init__(self) -> None:
        self._prefix = ""
        self._next = 0
        self.new_batch()

    def new_batch(self) -> None:
        """Start a new batch: fresh random prefix, counter back to 0."""
        self._prefix = secrets.token_hex(6) + "_"
        self._next = 0

    def arange(self, n: int) -> pa.Array:
        """``0 .. n-1`` as int64 (zero-copy slice of an array cached for the process: a
        normaliser per partition, as Ray workers make, would build it again each time)."""
        global _ARANGE
        if n > len(_ARANGE):
            size = max(n, 2 * len(_ARANGE), _ARANGE_CHUNK)
            _ARANGE = pa.array(range(size), pa.int64())
        return _ARANGE.slice(0, n)

    def ids(self, n: int) -> pa.Array:
        """``n`` new ids, unique within the run."""
        numbers = pc.add(self.arange(n), self._next)
        self._next += n
        return pc.binary_join_element_wise(self._prefix, pc.cast(numbers, pa.string()), "")


@dataclass
class TableRows:
    """Rows of one output table being assembled.

    Attributes:
        name: Final table name.
        parent: Parent table name (None for the root).
        path: JSON path of the list from the root record (``()`` for the root).
        ids: ``_dlt_id`` of every row.
        root_ids: ``_dlt_root_id`` of every row (the root's own ids for the root).
        parent_ids: ``_dlt_parent_id`` (children only).
        list_idx: ``_dlt_list_idx`` (children only).
        columns: (JSON path relative to the row, values) in discovery order; one path may occur
            more than once (parts of a mixed-shape key) and is coalesced later.
    """

    name: str
    parent: str | None
    path: tuple[str, ...]
    ids: pa.Array
    root_ids: pa.Array
    parent_ids: pa.Array | None = None
    list_idx: pa.Array | None = None
    columns: list[tuple[tuple[str, ...], pa.Array]] = field(default_factory=list)


class Flattener:
    """Walks one page's struct array and produces :class:`TableRows` for every table.

    Args:
        table_name: Resolves a list's JSON path (from the root) to its child table name.
        ids: The id factory of the run.
        max_nesting: dlt's ``max_table_nesting``; None = unlimited.
        json_names: Normalized paths of declared JSON columns.
        cut_paths: Paths cut by ``max_columns`` (values already JSON text).
        depth_limit: ``limits.max_nesting_depth``; None = unlimited.

    Attributes:
        tables: The child tables' rows, in discovery order.
        depth_cuts: ``(table, path)`` of every value kept as JSON because of ``depth_limit``
            (not ``max_nesting``).
    """

    def __init__(self, table_name: Callable[[tuple[str, ...]], str], ids: IdFactory,
                 max_nesting: int | None,
                 json_names: frozenset[str] = frozenset(),
                 cut_paths: frozenset[tuple[str, ...]] = frozenset(),
                 depth_limit: int | None = None) -> None:
        self._table_name = table_name
        self._ids = ids
        self._table_nesting = max_nesting
        self._depth_limit = depth_limit
        self._max = effective_nesting(max_nesting, depth_limit)
        self._json_names = json_names
        self._cut_paths = cut_paths
        self.tables: list[TableRows] = []
        self.depth_cuts: list[tuple[str, tuple[str, ...]]] = []

    def _too_deep(self, level: int) -> bool:
        return self._max is not None and level >= self._max

    def _deep_json(self, rows: TableRows, path: tuple[str, ...], level: int) -> bool:
        """Kept as JSON for its depth; cuts due to ``depth_limit`` are recorded."""
        if not self._too_deep(level):
            return False
        if self._table_nesting is None or level < self._table_nesting:
            self.depth_cuts.append((rows.name, (*rows.path, *path)))
        return True

    def _keep_json(self, rows: TableRows, path: tuple[str, ...], level: int) -> bool:
        """Nested too deep, cut by max_columns, or a field declared as a JSON column."""
        if self._deep_json(rows, path, level):
            return True
        if self._cut_paths and (*rows.path, *path) in self._cut_paths:
            return True
        return bool(self._json_names) and \
            normalize_path((*rows.path, *path)) in self._json_names

    def add_struct(self, rows: TableRows, arr: pa.StructArray, prefix: tuple[str, ...],
                   level: int) -> None:
        """Flatten ``arr`` (aligned with ``rows``) into columns of ``rows``; lists -> children.

        Depth first, in field order, without recursion (values may nest thousands of levels
        when no limit applies): a stack of steps taken in the order recursion would take them,
        so columns, child tables and ids come out in discovery order.
        """
        todo: list[_Step] = [_Step("struct", rows, arr, prefix, level)]
        while todo:
            step = todo.pop()
            if step.kind == "struct":
                children = step.arr.flatten()
                names = step.arr.type
                todo.extend(_Step("field", step.rows, child, (*step.path, names.field(i).name),
                                  step.level) for i, child in reversed(list(enumerate(children))))
            elif step.kind == "field":
                self._field(todo, step)
            else:
                self._list(todo, step)

    def _field(self, todo: list[_Step], step: _Step) -> None:
        """One field of a struct row: a column, a nested struct or a child table to come."""
        rows, child, path, level = step.rows, step.arr, step.path, step.level
        child_type = child.type
        if pa.types.is_null(child_type):
            return
        if pa.types.is_struct(child_type) or _is_list(child_type):
            if self._keep_json(rows, path, level):
                rows.columns.append((path, encode_json(child)))
            else:
                kind = "struct" if pa.types.is_struct(child_type) else "list"
                todo.append(_Step(kind, rows, child, path, level + 1))
            return
        if self._cut_paths and pa.types.is_string(child_type) and \
                (*rows.path, *path) in self._cut_paths:  # JSON text of a cut value
            child = pa.ExtensionArray.from_storage(JSON_TYPE, child)
        rows.columns.append((path, child))

    def _list(self, todo: list[_Step], step: _Step) -> None:
        """Explode a list column of ``step.rows`` into a child table (rows at its level)."""
        parent, arr, path, level = step.rows, step.arr, step.path, step.level
        values = pc.list_flatten(arr)
        count = len(values)
        if count == 0:
            return
        parent_idx = pc.list_parent_indices(arr)
        lengths = pc.fill_null(pc.list_value_length(arr), 0)
        starts = pc.subtract(pc.cumulative_sum(lengths), lengths)
        list_idx = pc.subtract(self._ids.arange(count), pc.take(starts, parent_idx))
        table_path = (*parent.path, *path)
        rows = TableRows(
            name=self._table_name(table_path),
            parent=parent.name,
            path=table_path,
            ids=self._ids.ids(count),
            root_ids=pc.take(parent.root_ids, parent_idx),
            parent_ids=pc.take(parent.ids, parent_idx),
            list_idx=list_idx,
        )
        self.tables.append(rows)
        value_type = values.type
        if pa.types.is_struct(value_type):
            todo.append(_Step("struct", rows, values, (), level))
        elif _is_list(value_type):  # list of lists: dlt's intermediary rows with a `list` child
            if self._deep_json(rows, ("list",), level):
                rows.columns.append((("list",), encode_json(values)))
            else:
                todo.append(_Step("list", rows, values, ("list",), level + 1))
        elif not pa.types.is_null(value_type):
            rows.columns.append((("value",), values))


@dataclass(frozen=True)
class _Step:
    """One step of :meth:`Flattener.add_struct`: flatten a struct, place a field, or explode
    a list, with the rows it belongs to, its path relative to them and its nesting level."""

    kind: str
    rows: TableRows
    arr: pa.Array
    path: tuple[str, ...]
    level: int


def effective_nesting(max_nesting: int | None, depth_limit: int | None) -> int | None:
    """The level from which objects and lists are JSON: the smaller of the two limits."""
    limits = [n for n in (max_nesting, depth_limit) if n is not None]
    return min(limits) if limits else None


def _is_list(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
                or pa.types.is_fixed_size_list(arrow_type))
