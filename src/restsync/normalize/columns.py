"""Merging the parts of one column of one batch: inference, declared types, contracts."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from restsync.normalize import contract, fitting, kinds
from restsync.normalize.flatten import IdFactory, TableRows
from restsync.normalize.schema import ColumnSchema, SchemaContract, TableSchema


@dataclass(frozen=True)
class MergeRules:
    """What merging needs to know of the resource (the normalizer's settings).

    Attributes:
        contract: The resource's schema contract.
        primary_key_columns: Normalized primary-key column names of the root table.
        infer_epoch: Whether epoch numbers in ``*_at``-like columns become timestamps.
        discarded_values: ``table.column`` -> values dropped by ``discard_value`` so far
            (shared with the normalizer, updated in place).
    """

    contract: SchemaContract
    primary_key_columns: tuple[str, ...]
    infer_epoch: bool
    discarded_values: dict[str, int]


def row_locator(rows: TableRows, root_ids: pa.Array | None, ids: IdFactory
                ) -> contract.RowLocator:
    """Where each row of ``rows`` sits in the page (``root_ids``: the page's root row ids)."""
    if rows.parent is None or root_ids is None:
        return contract.RowLocator(ids.arange(len(rows.ids)))
    return contract.RowLocator(pc.index_in(rows.root_ids, root_ids), rows.path, rows.list_idx)


class ColumnMerger:
    """Merges one table's column parts for one batch, applying declared types and contracts.

    Args:
        rules: The resource's merge settings.
        rows: The table's rows of this batch.
        root_ids: ``_dlt_id`` of the page's root rows (to locate a row in messages).
        ids: The run's id factory.
        drops: Rows to drop, extended by ``discard_row`` contracts.
        guarded: Whether the table's schema is fixed (stored or declared), so contracts apply.
    """

    def __init__(self, rules: MergeRules, rows: TableRows, root_ids: pa.Array, ids: IdFactory,
                 drops: contract.RowDrops, guarded: bool) -> None:
        self.rules = rules
        self.rows = rows
        self.root_ids = root_ids
        self.ids = ids
        self.drops = drops
        self.guarded = guarded
        self.contract = rules.contract

    def _fail(self, kind: str, name: str, path: tuple[str, ...], arr: pa.Array,
              mask: pa.Array | None, detail: str) -> Exception:
        return contract.violation(kind, table=self.rows.name, column=name, path=path, arr=arr,
                                  locator=row_locator(self.rows, self.root_ids, self.ids),
                                  mask=mask, detail=detail)

    def column(self, schema: TableSchema, name: str, path: tuple[str, ...],
               parts: list[pa.Array]) -> pa.Array | None:
        """One converted array for column ``name`` (None: left out of this batch)."""
        col = schema.columns.get(name)
        if col is None or col.data_type is None:
            if all(pa.types.is_null(p.type) or p.null_count == len(p) for p in parts):
                return None  # null-only so far: left out until a value appears
            if col is None and self.guarded and self.contract.columns != "evolve":
                self._new_column(name, path, parts)
                return None
        if col is None:
            col = ColumnSchema(name, None, path, primary_key=(
                self.rows.parent is None and name in self.rules.primary_key_columns))
            schema.columns[name] = col
        elif path and not col.json_path:
            col.json_path = path
        fixed = col.declared or col.timestamp_unit is not None or (
            self.guarded and col.data_type is not None and self.contract.data_type != "evolve")
        if fixed:
            return self._fit(col, path, parts)
        return self._infer(col, parts)

    def _new_column(self, name: str, path: tuple[str, ...], parts: list[pa.Array]) -> None:
        mode = self.contract.columns
        valid = pc.is_valid(parts[0])
        for part in parts[1:]:
            valid = pc.or_(valid, pc.is_valid(part))
        if mode == "freeze":
            raise self._fail("columns", name, path, parts[0], valid, "new column")
        if mode == "discard_row":
            self.drops.add(valid, f"new column {name}")
        else:
            key = f"{self.rows.name}.{name}"
            count = int(pc.sum(pc.cast(valid, pa.int64())).as_py())
            self._count_discarded(key, count)

    def _count_discarded(self, key: str, count: int) -> None:
        discarded = self.rules.discarded_values
        discarded[key] = discarded.get(key, 0) + count

    def _fit(self, col: ColumnSchema, path: tuple[str, ...], parts: list[pa.Array]
             ) -> pa.Array | None:
        converted: list[pa.Array] = []
        for part in parts:
            arr, misfits = fitting.fit(part, col)
            if misfits is not None and pc.any(misfits).as_py():
                mode = self.contract.data_type if self.guarded or col.declared else "evolve"
                if mode == "evolve":
                    col.data_type, col.declared, col.timestamp_unit = kinds.TEXT, False, None
                    col.precision = col.scale = None
                    return self._infer(col, parts)
                if mode == "freeze":
                    raise self._fail("data_type", col.name, path, part, misfits,
                                     f"value does not fit {col.type_text()}")
                if mode == "discard_row":
                    self.drops.add(misfits, f"value does not fit {col.name}")
                else:
                    key = f"{self.rows.name}.{col.name}"
                    count = int(pc.sum(pc.cast(misfits, pa.int64())).as_py())
                    self._count_discarded(key, count)
            converted.append(arr)
        return _coalesce(converted)

    def _infer(self, col: ColumnSchema, parts: list[pa.Array]) -> pa.Array | None:
        """Widen the column's kind with this batch's parts and return one converted array."""
        kind = col.data_type
        if kind is None and self.rules.infer_epoch and fitting.is_epoch_name(col.name):
            units = {fitting.epoch_unit(p) for p in parts if p.null_count < len(p)}
            if len(units) == 1 and None not in units:
                col.data_type, col.timestamp_unit = kinds.TIMESTAMP, units.pop()
                return self._fit(col, col.json_path, parts)
        for part in parts:
            if kind == kinds.TEXT:
                break  # widest already; skips the timestamp check on text columns
            kind = kinds.widen(kind, kinds.candidate_kind(part))
        if kind is None:
            return None  # null-only so far: left out until a value appears
        if kind in (kinds.DECIMAL, kinds.DATE) or (
                col.data_type in (kinds.DECIMAL, kinds.DATE) and kind != col.data_type):
            kind = kinds.TEXT if kind != col.data_type else kind
        for part in parts:
            kind = kinds.required_kind(part, kind)
        col.data_type = kind
        converted = [kinds.convert(part, kind) for part in parts]
        return _coalesce(converted)


def _coalesce(converted: list[pa.Array]) -> pa.Array:
    if len(converted) == 1:
        return converted[0]
    if kinds.is_json_type(converted[0].type):
        storage = pc.coalesce(*(c.storage for c in converted))
        return pa.ExtensionArray.from_storage(kinds.JSON_TYPE, storage)
    return pc.coalesce(*converted)
