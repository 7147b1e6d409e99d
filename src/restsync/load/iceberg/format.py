"""Iceberg tables (``pyiceberg``): a namespace per dataset in a SQL catalog.

By default the catalog is a SQLite file under the destination's PATH (``catalog.db``) and the
data lives under ``PATH`` too, so nothing external is needed; ``?catalog_uri=`` names another
SQL catalog (any SQLAlchemy URL, e.g. PostgreSQL). Each step is one catalog transaction (schema
change, deletes and the new data files together) whose snapshots carry the step's mark in their
summary (``restsync.mark``): :meth:`IcebergFormat.applied` looks for it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce
from typing import Any, cast

import pyarrow as pa
from pyiceberg.catalog import Catalog
from pyiceberg.exceptions import NoSuchTableError
from pyiceberg.expressions import And, BooleanExpression, EqualTo, In, Or
from pyiceberg.io.pyarrow import schema_to_pyarrow
from pyiceberg.table import Table, Transaction

from restsync.load.lake.columns import TableColumns
from restsync.load.lake.journal import CommitMark
from restsync.load.lake.table_format import Rows

MARK = "restsync.mark"


class IcebergFormat:
    """Iceberg tables of one dataset (one catalog namespace).

    Args:
        catalog: The catalog.
        namespace: The dataset.
    """

    name = "Iceberg"
    table_formats: frozenset[str] = frozenset({"iceberg"})
    supports_upsert = True

    def __init__(self, catalog: Catalog, namespace: str) -> None:
        self.catalog = catalog
        self.namespace = namespace
        catalog.create_namespace_if_not_exists(namespace)

    def _id(self, table: str) -> tuple[str, str]:
        return (self.namespace, table)

    def _table(self, table: str) -> Table | None:
        try:
            return self.catalog.load_table(self._id(table))
        except NoSuchTableError:
            return None

    def tables(self) -> list[str]:
        return sorted(ident[-1] for ident in self.catalog.list_tables(self.namespace))

    def schema(self, table: str) -> pa.Schema | None:
        tbl = self._table(table)
        return None if tbl is None else schema_to_pyarrow(tbl.schema(), include_field_ids=False)

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        tbl = self._table(table)
        if tbl is None:
            return pa.table({})
        scan = tbl.scan(selected_fields=tuple(columns)) if columns else tbl.scan()
        return scan.to_arrow()

    def last_version(self, table: str) -> int:
        return 0

    def applied(self, table: str, mark: CommitMark) -> bool:
        tbl = self._table(table)
        return tbl is not None and any(
            s.summary is not None and s.summary.get(MARK) == mark.text for s in tbl.snapshots())

    def _open(self, table: str, schema: pa.Schema) -> Table:
        tbl = self._table(table)
        if tbl is None:  # an empty table: a repeated step finds it and adds the rows
            tbl = self.catalog.create_table(self._id(table), schema=schema)
        return tbl

    @staticmethod
    def _evolve(tx: Transaction, schema: pa.Schema) -> None:
        with tx.update_schema() as update:
            update.union_by_name(schema)

    @staticmethod
    def _props(mark: CommitMark) -> dict[str, str]:
        return {MARK: mark.text}

    @staticmethod
    def _data(rows: Rows, schema: pa.Schema) -> pa.Table:
        chunks = list(rows)
        return pa.concat_tables(chunks) if chunks else schema.empty_table()

    def append(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        tbl = self._open(table, schema)
        with tbl.transaction() as tx:
            self._evolve(tx, schema)
            tx.append(self._data(rows, schema), snapshot_properties=self._props(mark))

    def replace(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        tbl = self._open(table, schema)
        current = TableColumns(schema_to_pyarrow(tbl.schema(), include_field_ids=False)).types
        changed = [f.name for f in schema if f.name in current and current[f.name] != f.type]
        with _quiet(), tbl.transaction() as tx:
            if changed:  # a widened type: the column is dropped and added with its new type
                with tx.update_schema(allow_incompatible_changes=True) as update:
                    for name in changed:
                        update.delete_column(name)
            self._evolve(tx, schema)
            tx.overwrite(self._data(rows, schema), snapshot_properties=self._props(mark))

    def upsert(self, table: str, rows: Rows, schema: pa.Schema, keys: list[str],
               mark: CommitMark) -> None:
        tbl = self._open(table, schema)
        data = self._data(rows, schema)
        with _quiet(), tbl.transaction() as tx:
            self._evolve(tx, schema)
            if data.num_rows:
                tx.delete(_matching(data, keys), snapshot_properties=self._props(mark))
            tx.append(data, snapshot_properties=self._props(mark))

    def replace_rows(self, table: str, rows: Rows, schema: pa.Schema, column: str,
                     ids: pa.Array, mark: CommitMark) -> None:
        tbl = self._open(table, schema)
        with _quiet(), tbl.transaction() as tx:
            self._evolve(tx, schema)
            if len(ids):
                tx.delete(_in(column, ids.to_pylist()), snapshot_properties=self._props(mark))
            tx.append(self._data(rows, schema), snapshot_properties=self._props(mark))

    def close(self) -> None:
        engine: Any = getattr(self.catalog, "engine", None)
        if engine is not None:
            engine.dispose()


@contextmanager
def _quiet() -> Iterator[None]:
    """No warning when a delete matches nothing (the first merge into a table, new roots)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Delete operation did not match any records")
        yield


# pyiceberg's expressions take their arguments positionally at run time; its type stubs
# describe pydantic fields instead, hence the casts.
_In: Any = In
_EqualTo: Any = EqualTo
_And: Any = And
_Or: Any = Or


def _in(column: str, values: list[Any]) -> BooleanExpression:
    return cast(BooleanExpression, _In(column, values))


def _matching(data: pa.Table, keys: list[str]) -> BooleanExpression:
    """Rows whose key equals one of ``data``'s keys."""
    if len(keys) == 1:
        return _in(keys[0], data.column(keys[0]).to_pylist())
    rows = data.select(keys).to_pylist()
    return cast(BooleanExpression, reduce(
        _Or, (reduce(_And, (_EqualTo(k, r[k]) for k in keys)) for r in rows)))
