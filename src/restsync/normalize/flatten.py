"""Columnar flattening of a struct array into dlt-layout tables.

Nested structs become ``parent__child`` columns; lists become child tables linked by
``_dlt_parent_id`` / ``_dlt_list_idx`` / ``_dlt_root_id``. Everything here works on whole
Arrow arrays (``StructArray.flatten``, ``list_flatten``, ``list_parent_indices``, ``take``);
no per-row Python.

Fields named in ``json_names`` (normalized paths from the root record, ``payload`` or
``campaigns__meta``) are kept whole as JSON columns instead of being flattened.

Nesting levels follow dlt's ``max_table_nesting``: the root row is level 0, every dict or list
descended adds one; a dict or list met at a level ``>= max_nesting`` is kept whole as a JSON
column instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from restsync.normalize.kinds import encode_json
from restsync.normalize.naming import normalize_path

_ARANGE_CHUNK = 1 << 16


class IdFactory:
    """Unique ``_dlt_id`` strings, built columnarly: a random per-batch prefix + a counter."""

    def __init__(self) -> None:
        self._arange = pa.array([], pa.int64())  # grown on first use (off the event loop)
        self._prefix = ""
        self._next = 0
        self.new_batch()

    def new_batch(self) -> None:
        """Start a new batch: fresh random prefix, counter back to 0."""
        self._prefix = secrets.token_hex(6) + "_"
        self._next = 0

    def arange(self, n: int) -> pa.Array:
        """``0 .. n-1`` as int64 (zero-copy slice of a cached array)."""
        if n > len(self._arange):
            size = max(n, 2 * len(self._arange), _ARANGE_CHUNK)
            self._arange = pa.array(range(size), pa.int64())
        return self._arange.slice(0, n)

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
    """

    def __init__(self, table_name: Callable[[tuple[str, ...]], str], ids: IdFactory,
                 max_nesting: int | None,
                 json_names: frozenset[str] = frozenset()) -> None:
        self._table_name = table_name
        self._ids = ids
        self._max = max_nesting
        self._json_names = json_names
        self.tables: list[TableRows] = []

    def _too_deep(self, level: int) -> bool:
        return self._max is not None and level >= self._max

    def _keep_json(self, rows: TableRows, path: tuple[str, ...], level: int) -> bool:
        """Nested beyond max_nesting, or a field declared as a JSON column."""
        if self._too_deep(level):
            return True
        return bool(self._json_names) and \
            normalize_path((*rows.path, *path)) in self._json_names

    def add_struct(self, rows: TableRows, arr: pa.StructArray, prefix: tuple[str, ...],
                   level: int) -> None:
        """Flatten ``arr`` (aligned with ``rows``) into columns of ``rows``; lists -> children."""
        children = arr.flatten()
        for i, child in enumerate(children):
            path = (*prefix, arr.type.field(i).name)
            child_type = child.type
            if pa.types.is_null(child_type):
                continue
            if pa.types.is_struct(child_type):
                if self._keep_json(rows, path, level):
                    rows.columns.append((path, encode_json(child)))
                else:
                    self.add_struct(rows, child, path, level + 1)
            elif _is_list(child_type):
                if self._keep_json(rows, path, level):
                    rows.columns.append((path, encode_json(child)))
                else:
                    self.add_list(rows, child, path, level + 1)
            else:
                rows.columns.append((path, child))

    def add_list(self, parent: TableRows, arr: pa.Array, path: tuple[str, ...],
                 level: int) -> None:
        """Explode a list column of ``parent`` into a child table (rows at ``level``)."""
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
            self.add_struct(rows, values, (), level)
        elif _is_list(value_type):  # list of lists: dlt's intermediary rows with a `list` child
            if self._too_deep(level):
                rows.columns.append((("list",), encode_json(values)))
            else:
                self.add_list(rows, values, ("list",), level + 1)
        elif not pa.types.is_null(value_type):
            rows.columns.append((("value",), values))


def _is_list(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)
                or pa.types.is_fixed_size_list(arrow_type))
