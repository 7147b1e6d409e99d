"""The :class:`Normalizer`: pages of records -> Arrow tables in dlt's relational layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from restsync.errors import ConfigError
from restsync.normalize import contract, kinds
from restsync.normalize.arrow_pages import PageBody, PageReader
from restsync.normalize.arrowize import RecordsType, infer_struct_type, records_to_struct
from restsync.normalize.batch import (
    CHILD_SYSTEM_COLUMNS,
    DLT_ID,
    DLT_LOAD_ID,
    ROOT_SYSTEM_COLUMNS,
    ConstantColumns,
    TableBatch,
    constant_arrays,
)
from restsync.normalize.bounds import COLUMNS_LIMIT, DEPTH_LIMIT, ShapeGuard
from restsync.normalize.columns import ColumnMerger, MergeRules, row_locator
from restsync.normalize.flatten import Flattener, IdFactory, TableRows, effective_nesting
from restsync.normalize.naming import (
    NameRegistry,
    normalize_identifier,
    normalize_path,
    render_path,
)
from restsync.normalize.schema import (
    ColumnHint,
    SchemaContract,
    TableSchema,
    column_from_hint,
)
from restsync.normalize.shape import ShapeLimits


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
        columns: Declared columns of the root table: JSON key (``a.b`` for a nested field, or
            a normalized name ``a__b``) -> :class:`ColumnHint` or a mapping in dlt's style
            (``{"data_type": "bigint", "nullable": False, "description": "..."}``). A declared
            type wins over inference; values that do not fit follow ``contract.data_type``.
        json_columns: Fields (JSON paths from the root record, ``payload`` or
            ``campaigns.meta``) kept as JSON columns instead of being flattened.
        contract: dlt's ``schema_contract``: a mode string or ``{"tables", "columns",
            "data_type"}`` mapping (default: evolve everything).
        stored: The schema the destination holds for this resource's tables (table name ->
            :class:`TableSchema`); names, kinds and contracts are checked against it.
        resource: Resource name (recorded in the table schemas).
        infer_epoch: Numbers in columns named ``*_at``/``*_ts``/``*_timestamp``/``timestamp``
            whose values are all plausible epoch seconds or milliseconds become timestamps.
        limits: ``max_columns`` and ``max_nesting_depth`` (:class:`ShapeLimits`; default
            none): a map that would make a table too wide becomes one JSON column, values
            nested too deep are kept as JSON; :attr:`limit_notes` says where.
    """

    def __init__(self, *, table_name: str, primary_key: Sequence[str] | None, load_id: str,
                 max_nesting: int | None = None,
                 columns: Mapping[str, ColumnHint | Mapping[str, Any]] | None = None,
                 json_columns: Sequence[str] = (),
                 contract: SchemaContract | str | Mapping[str, Any] | None = None,
                 stored: Mapping[str, TableSchema] | None = None,
                 resource: str | None = None, infer_epoch: bool = True,
                 limits: ShapeLimits | None = None) -> None:
        if max_nesting is not None and max_nesting < 0:
            raise ConfigError(f"max_nesting must be >= 0 or None, got {max_nesting}",
                              location="max_table_nesting")
        self.table_name = normalize_identifier(table_name)
        self.load_id = load_id
        self.max_nesting = max_nesting
        self.resource = resource or table_name
        self.contract = SchemaContract.from_value(contract)
        self.infer_epoch = infer_epoch
        self._tables = NameRegistry(prefix=self.table_name)
        self._columns: dict[str, NameRegistry] = {}
        self._kinds: dict[str, dict[str, str]] = {}
        self._parents: dict[str, str | None] = {self.table_name: None}
        self._ids = IdFactory()
        self._stored: dict[str, TableSchema] = {k: v.copy() for k, v in (stored or {}).items()}
        self._schemas: dict[str, TableSchema] = {k: v.copy() for k, v in self._stored.items()}
        self._discarded_tables: set[str] = set()
        self.dropped_rows: dict[str, int] = {}
        """Table -> rows dropped by ``discard_row`` contracts in this run."""
        self.discarded_values: dict[str, int] = {}
        """``table.column`` -> values dropped by ``discard_value`` contracts in this run."""
        for table in self._stored.values():
            reg = self._registry(table.name)
            for col in table.columns.values():
                if col.json_path:
                    reg.assign(col.json_path, col.name)
            if table.parent is not None and table.json_path:
                self._tables.assign(table.json_path, table.name)
                self._parents[table.name] = table.parent
        self.primary_key_columns: tuple[str, ...] = tuple(
            self._registry(self.table_name).resolve((key,)) for key in (primary_key or ()))
        self._merge_rules = MergeRules(self.contract, self.primary_key_columns, infer_epoch,
                                       self.discarded_values)
        self._declare(columns or {}, json_columns)
        self._json_names = frozenset(
            normalize_path(c.json_path) for t in self._schemas.values()
            for c in t.columns.values() if c.declared and c.data_type == kinds.JSON
            and c.json_path)
        self.limits = limits or ShapeLimits()
        self._nesting = effective_nesting(max_nesting, self.limits.max_depth)
        self._guard = ShapeGuard(
            self.limits, nesting=self._nesting, resource=self.resource,
            is_declared_json=lambda p: bool(self._json_names) and
            normalize_path(p) in self._json_names,
            cuts=[(*t.json_path, *c.json_path) for t in self._stored.values()
                  for c in t.columns.values() if c.limit == COLUMNS_LIMIT and c.json_path])
        self._pages = PageReader(self.limits.max_depth, lambda arrow_type: self._guard.fits(
            arrow_type, known_columns=self._known_columns))

    @property
    def limit_notes(self) -> list[str]:
        """What the limits changed in this run, one line each (maps kept as JSON columns
        because of ``max_columns``, values kept as JSON because of ``max_nesting_depth``)."""
        return list(self._guard.notes)

    def _declare(self, columns: Mapping[str, ColumnHint | Mapping[str, Any]],
                 json_columns: Sequence[str]) -> None:
        root = self._root_schema()
        self._declared_root = bool(columns) or bool(json_columns)
        hints: dict[str, ColumnHint] = {k: ColumnHint.from_value(v) for k, v in columns.items()}
        for field_path in json_columns:
            hints[field_path] = ColumnHint(data_type=kinds.JSON, description=(
                hints[field_path].description if field_path in hints else None))
        reg = self._registry(self.table_name)
        for key, hint in hints.items():
            path: tuple[str, ...] = tuple(key.split("__") if "__" in key else key.split("."))
            name = reg.resolve(path)
            existing = root.columns.get(name)
            if existing is None:
                root.columns[name] = column_from_hint(name, path, hint)
                continue
            if hint.description:
                existing.description = hint.description
            existing.nullable = hint.nullable
            existing.primary_key = existing.primary_key or hint.primary_key
            if hint.data_type is not None and existing.data_type in (None, hint.data_type):
                declared = column_from_hint(name, path, hint)
                existing.data_type, existing.declared = declared.data_type, True
                existing.precision, existing.scale = declared.precision, declared.scale
        for name in self.primary_key_columns:
            if name in root.columns:
                root.columns[name].primary_key = True

    def _root_schema(self) -> TableSchema:
        root = self._schemas.get(self.table_name)
        if root is None:
            root = TableSchema(self.table_name, None, self.resource)
            self._schemas[self.table_name] = root
        return root

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

    def table_schemas(self) -> dict[str, TableSchema]:
        """Copies of the schemas of the tables this run produced rows for (plus the root)."""
        names = [self.table_name, *(t for t in self._kinds if t != self.table_name)]
        return {t: self._schemas[t].copy() for t in names if t in self._schemas}

    # -- normalize ------------------------------------------------------------------------

    def normalize(self, records: list[dict[str, Any]],
                  constant_columns: ConstantColumns | None = None, *,
                  where: str | None = None, pages: Sequence[PageBody] | None = None,
                  records_type: RecordsType | None = None) -> list[TableBatch]:
        """Normalize one page of records.

        Args:
            records: The page's records (dicts parsed from JSON).
            constant_columns: Extra root columns with final names (e.g. ``{"_labels_id": "L1"}``
                for a child resource). Either one mapping applied to every row, or a sequence
                of mappings aligned with ``records`` (one per record; a key missing in one
                mapping is null for that row), so pages of several parents can be batched.
            where: Where the records come from (``pages 3-5``), for messages.
            pages: The bodies ``records`` are exactly the selected records of, in order
                (Arrow-native pages, :mod:`restsync.normalize.arrow_pages`): the records are
                then read from the bodies where that gives the same tables and stays within
                the limits, else built from the dicts. Ignored with ``constant_columns``.
            records_type: The records' inferred type when the caller took it already
                (:class:`~restsync.normalize.arrowize.RecordsType`, e.g. on another thread);
                the records must not have changed since. Ignored with ``constant_columns``.

        Returns:
            One :class:`TableBatch` per table with rows, the root table first, each child after
            its parent. Empty list for an empty page (or when a contract dropped every row).

        Raises:
            FatalError: ``constant_columns`` is a sequence of a different length than records.
            SchemaContractError: A record breaks a ``freeze`` contract (nothing is returned).
            LimitExceededError: The records' own keys are more than ``max_columns``.
        """
        if not records:
            return []
        inferred = None
        if records_type is not None and constant_columns is None:
            inferred = records_type.arrow_type
        if pages and constant_columns is None:
            if records_type is None:
                inferred = infer_struct_type(records)
            struct = self._pages.from_bodies(pages, inferred)
            if struct is not None:
                return self._normalize_struct(struct, None, where)
        bounded, arrow_type = self._guard.bound(records, known_columns=self._known_columns,
                                                table_name=self._table_name_of, where=where,
                                                inferred=inferred)
        struct = records_to_struct(bounded, self._nesting, arrow_type)
        return self._normalize_struct(struct, constant_columns, where)

    def normalize_raw(self, pages: Sequence[PageBody], where: str | None = None
                      ) -> list[TableBatch] | None:
        """Normalize a batch whose records were never parsed, from their JSON text
        (:attr:`PageBody.records_json`), read as the type of the last batch read from its
        bodies (:meth:`~restsync.normalize.arrow_pages.PageReader.from_text`).

        Returns:
            The batches, as :meth:`normalize` gives them; or None when there is no such type
            yet, it no longer passes the limits, or the records do not fit it (a new key, a
            changed type): then parse the records and call :meth:`normalize` with ``pages``.
            After :data:`~restsync.normalize.arrow_pages.MAX_RAW_REFUSALS` refusals it stops
            trying.
        """
        struct = self._pages.from_text(pages)
        return None if struct is None else self._normalize_struct(struct, None, where)

    def _normalize_struct(self, struct: pa.StructArray,
                          constant_columns: ConstantColumns | None, where: str | None
                          ) -> list[TableBatch]:
        self._ids.new_batch()
        n = len(struct)
        root_ids = self._ids.ids(n)
        root = TableRows(name=self.table_name, parent=None, path=(), ids=root_ids,
                         root_ids=root_ids)
        constants = constant_arrays(constant_columns, n, self.table_name)
        flattener = Flattener(self._child_table_name, self._ids, self.max_nesting,
                              self._json_names, frozenset(self._guard.cuts),
                              self.limits.max_depth)
        flattener.add_struct(root, struct, (), 0)
        for table, path in flattener.depth_cuts:
            self._guard.note_depth(table, path, where)
        limited = {path: DEPTH_LIMIT for _, path in flattener.depth_cuts}
        limited.update(dict.fromkeys(self._guard.cuts, COLUMNS_LIMIT))
        dropped: dict[str, pa.Array] = {}
        batches: list[TableBatch] = []
        for rows in (root, *flattener.tables):
            batch = self._assemble(rows, constants if rows is root else {}, root_ids, dropped,
                                   limited)
            if batch is not None and batch.arrow.num_rows:
                batches.append(batch)
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

    def _table_name_of(self, path: tuple[str, ...]) -> str:
        """The name a table path has or will have (without assigning one)."""
        if not path:
            return self.table_name
        for name, known in self._tables.paths().items():
            if known == path:
                return name
        return f"{self.table_name}__{normalize_path(path)}"

    def _known_columns(self, path: tuple[str, ...]) -> set[tuple[str, ...]]:
        """JSON paths of the columns a table (by its path) already has."""
        schema = self._schemas.get(self._table_name_of(path))
        if schema is None:
            return set()
        return {c.json_path for c in schema.columns.values() if c.json_path}

    def _table_schema(self, rows: TableRows, root_ids: pa.Array) -> TableSchema | None:
        """The table's schema; None when a ``tables`` contract discards this new table."""
        table = rows.name
        schema = self._schemas.get(table)
        if schema is not None:
            return schema
        if table in self._discarded_tables:
            return None
        mode = self.contract.tables
        if mode != "evolve":
            if mode == "freeze":
                raise contract.violation(
                    "tables", table=table, column=None, path=(), arr=None,
                    locator=row_locator(rows, root_ids, self._ids), detail="new table")
            self._discarded_tables.add(table)
            return None
        schema = TableSchema(table, rows.parent, self.resource, rows.path)
        self._schemas[table] = schema
        return schema

    def _assemble(self, rows: TableRows, constants: Mapping[str, pa.Array], root_ids: pa.Array,
                  dropped: dict[str, pa.Array],
                  limited: Mapping[tuple[str, ...], str]) -> TableBatch | None:
        table = rows.name
        schema = self._table_schema(rows, root_ids)
        if schema is None:
            dropped[table] = rows.ids
            return None
        self._parents.setdefault(table, rows.parent)
        reg = self._registry(table)
        seen = self._kinds.setdefault(table, {})
        grouped: dict[str, list[pa.Array]] = {}
        paths: dict[str, tuple[str, ...]] = {}
        for path, arr in rows.columns:
            name = reg.resolve(path)
            grouped.setdefault(name, []).append(arr)
            paths[name] = path
        for name, arr in constants.items():
            grouped.setdefault(reg.reserve(name), []).append(arr)
        drops = contract.RowDrops(len(rows.ids))
        if rows.parent_ids is not None and rows.parent in dropped:
            drops.add(pc.is_in(rows.parent_ids, dropped[rows.parent]), "parent row dropped")
        guarded = table in self._stored or (table == self.table_name and self._declared_root)
        ctx = ColumnMerger(self._merge_rules, rows, root_ids, self._ids, drops, guarded)
        names: list[str] = []
        arrays: list[pa.Array] = []
        for name, parts in grouped.items():
            merged = ctx.column(schema, name, paths.get(name, ()), parts)
            if merged is not None:
                names.append(name)
                arrays.append(merged)
                seen[name] = schema.columns[name].data_type or kinds.TEXT
                limit = limited.get((*rows.path, *paths.get(name, ()))) if limited else None
                if limit is not None:
                    schema.columns[name].limit = limit
        if rows.parent is None:
            names += [DLT_LOAD_ID, DLT_ID]
            arrays += [pa.repeat(pa.scalar(self.load_id, pa.string()), len(rows.ids)), rows.ids]
        else:
            assert rows.parent_ids is not None and rows.list_idx is not None
            names += list(CHILD_SYSTEM_COLUMNS)
            arrays += [rows.parent_ids, rows.list_idx, rows.ids, rows.root_ids]
        arrow = pa.Table.from_arrays(arrays, names=names)
        if drops.mask is not None:
            dropped[table] = pc.filter(rows.ids, drops.mask)
            self.dropped_rows[table] = self.dropped_rows.get(table, 0) + drops.count
            arrow = arrow.filter(pc.invert(drops.mask))
        return TableBatch(table=table, parent_table=rows.parent, arrow=arrow, schema=schema)
