"""The :class:`Normalizer`: pages of records -> Arrow tables in dlt's relational layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from restsync.normalize import kinds
from restsync.normalize.arrowize import records_to_struct
from restsync.normalize.flatten import Flattener, IdFactory, TableRows
from restsync.normalize.naming import NameRegistry, normalize_identifier, render_path

DLT_ID = "_dlt_id"
DLT_LOAD_ID = "_dlt_load_id"
DLT_PARENT_ID = "_dlt_parent_id"
DLT_LIST_IDX = "_dlt_list_idx"
DLT_ROOT_ID = "_dlt_root_id"
ROOT_SYSTEM_COLUMNS = (DLT_LOAD_ID, DLT_ID)
CHILD_SYSTEM_COLUMNS = (DLT_PARENT_ID, DLT_LIST_IDX, DLT_ID, DLT_ROOT_ID)

ConstantColumns = Mapping[str, Any] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class TableBatch:
    """Rows for one table produced from one page.

    Attributes:
        table: Final table name (``email_events`` or ``email_events__tags``).
        parent_table: The parent table's name for child tables, None for the root table.
        arrow: The rows; column types are int64, float64, bool, string,
            ``timestamp[us, UTC]`` or the ``arrow.json`` extension type (JSON text).
    """

    table: str
    parent_table: str | None
    arrow: pa.Table


class Normalizer:
    """Turns pages of records of one resource into dlt-layout Arrow tables.

    One instance per resource per run: it remembers the names and column kinds it has seen, so
    names stay stable and a column whose kind widens (bigint -> double -> text) is emitted with
    the widened type from then on (the loader alters the destination column).

    Null-only columns are left out until a value appears (as dlt does); empty lists create no
    child rows.

    Args:
        table_name: Root table name (normalized with dlt's snake_case rules).
        primary_key: The resource's primary key as JSON keys (exposed normalized as
            :attr:`primary_key_columns`).
        load_id: Written to ``_dlt_load_id`` of every root row.
        max_nesting: dlt's ``max_table_nesting``; None = unlimited. Dicts and lists nested
            deeper are stored as JSON columns.
    """

    def __init__(self, *, table_name: str, primary_key: Sequence[str] | None, load_id: str,
                 max_nesting: int | None = None) -> None:
        if max_nesting is not None and max_nesting < 0:
            raise ValueError("max_nesting must be >= 0 or None")
        self.table_name = normalize_identifier(table_name)
        self.load_id = load_id
        self.max_nesting = max_nesting
        self._tables = NameRegistry(prefix=self.table_name)
        self._columns: dict[str, NameRegistry] = {}
        self._kinds: dict[str, dict[str, str]] = {}
        self._parents: dict[str, str | None] = {self.table_name: None}
        self._ids = IdFactory()
        self.primary_key_columns: tuple[str, ...] = tuple(
            self._registry(self.table_name).resolve((key,)) for key in (primary_key or ()))

    # -- public introspection -------------------------------------------------------------

    @property
    def schema(self) -> dict[str, dict[str, str]]:
        """Table -> column -> kind, for every table and non-system column seen so far."""
        return {table: dict(cols) for table, cols in self._kinds.items()}

    @property
    def parents(self) -> dict[str, str | None]:
        """Table -> parent table (None for the root)."""
        return dict(self._parents)

    def column_paths(self) -> dict[str, dict[str, str]]:
        """Table -> normalized column name -> original JSON path (``delivery-status.code``)."""
        return {table: {name: render_path(path) for name, path in reg.paths().items()}
                for table, reg in self._columns.items()}

    def table_paths(self) -> dict[str, str]:
        """Child table name -> original JSON path of its list from the root record."""
        return {name: render_path(path) for name, path in self._tables.paths().items()}

    # -- normalize ------------------------------------------------------------------------

    def normalize(self, records: list[dict[str, Any]],
                  constant_columns: ConstantColumns | None = None) -> list[TableBatch]:
        """Normalize one page of records.

        Args:
            records: The page's records (dicts parsed from JSON).
            constant_columns: Extra root columns with final names (e.g. ``{"_labels_id": "L1"}``
                for a child resource). Either one mapping applied to every row, or a sequence
                of mappings aligned with ``records`` (one per record; a key missing in one
                mapping is null for that row), so pages of several parents can be batched.

        Returns:
            One :class:`TableBatch` per table with rows, the root table first, each child after
            its parent. Empty list for an empty page.

        Raises:
            ValueError: ``constant_columns`` is a sequence of a different length than records.
        """
        if not records:
            return []
        self._ids.new_batch()
        n = len(records)
        struct = records_to_struct(records, self.max_nesting)
        root_ids = self._ids.ids(n)
        root = TableRows(name=self.table_name, parent=None, path=(), ids=root_ids,
                         root_ids=root_ids)
        constants = self._constant_arrays(constant_columns, n)
        flattener = Flattener(self._child_table_name, self._ids, self.max_nesting)
        flattener.add_struct(root, struct, (), 0)
        batches = [self._assemble(root, constants)]
        batches.extend(self._assemble(rows, {}) for rows in flattener.tables)
        return batches

    def _registry(self, table: str) -> NameRegistry:
        reg = self._columns.get(table)
        if reg is None:
            reg = NameRegistry()
            system = ROOT_SYSTEM_COLUMNS if table == self.table_name else CHILD_SYSTEM_COLUMNS
            for name in system:
                reg.reserve(name)
            self._columns[table] = reg
        return reg

    def _child_table_name(self, path: tuple[str, ...]) -> str:
        return self._tables.resolve(path)

    def _constant_arrays(self, constant_columns: ConstantColumns | None, n: int
                         ) -> dict[str, pa.Array]:
        if not constant_columns:
            return {}
        if isinstance(constant_columns, Mapping):
            return {name: pa.repeat(pa.scalar(value) if value is not None else pa.scalar(None),
                                    n)
                    for name, value in constant_columns.items()}
        if len(constant_columns) != n:
            raise ValueError(f"constant_columns has {len(constant_columns)} entries for "
                             f"{n} records")
        names: dict[str, None] = {}
        for mapping in constant_columns:
            names.update(dict.fromkeys(mapping))
        return {name: records_to_struct([{"v": m.get(name)} for m in constant_columns]).field(0)
                for name in names}

    def _assemble(self, rows: TableRows, constants: Mapping[str, pa.Array]) -> TableBatch:
        table = rows.name
        self._parents.setdefault(table, rows.parent)
        reg = self._registry(table)
        known = self._kinds.setdefault(table, {})
        grouped: dict[str, list[pa.Array]] = {}
        for path, arr in rows.columns:
            grouped.setdefault(reg.resolve(path), []).append(arr)
        for name, arr in constants.items():
            grouped.setdefault(reg.reserve(name), []).append(arr)
        names: list[str] = []
        arrays: list[pa.Array] = []
        for name, parts in grouped.items():
            merged = self._merge_parts(known, name, parts)
            if merged is not None:
                names.append(name)
                arrays.append(merged)
        if rows.parent is None:
            names += [DLT_LOAD_ID, DLT_ID]
            arrays += [pa.repeat(pa.scalar(self.load_id, pa.string()), len(rows.ids)), rows.ids]
        else:
            assert rows.parent_ids is not None and rows.list_idx is not None
            names += list(CHILD_SYSTEM_COLUMNS)
            arrays += [rows.parent_ids, rows.list_idx, rows.ids, rows.root_ids]
        return TableBatch(table=table, parent_table=rows.parent,
                          arrow=pa.Table.from_arrays(arrays, names=names))

    @staticmethod
    def _merge_parts(known: dict[str, str], name: str, parts: list[pa.Array]
                     ) -> pa.Array | None:
        """Widen the column's kind with this page's parts and return one converted array."""
        kind = known.get(name)
        for part in parts:
            if kind == kinds.TEXT:
                break  # widest already; skips the timestamp check on text columns
            kind = kinds.widen(kind, kinds.candidate_kind(part))
        if kind is None:
            return None  # null-only so far: left out until a value appears
        for part in parts:
            kind = kinds.required_kind(part, kind)
        known[name] = kind
        converted = [kinds.convert(part, kind) for part in parts]
        if len(converted) == 1:
            return converted[0]
        if kind == kinds.JSON:
            storage = pc.coalesce(*(c.storage for c in converted))
            return pa.ExtensionArray.from_storage(kinds.JSON_TYPE, storage)
        return pc.coalesce(*converted)
