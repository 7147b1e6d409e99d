"""Delta Lake tables (the ``deltalake`` package): one table per folder, one commit per step.

Every commit carries an application transaction (``appId`` ``restsync``, version = the step's
mark version, which grows with every step of the dataset) and the mark in its commit info
(``restsync.mark``): :meth:`DeltaFormat.applied` compares the table's transaction version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import TableNotFoundError
from deltalake.schema import Schema as DeltaSchema

from restsync.load.lake.journal import CommitMark
from restsync.load.lake.table_format import Rows

APP_ID = "restsync"
_DELETE_ID = "_restsync_delete_id"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _reader(rows: Rows, schema: pa.Schema) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(
        schema, (batch for chunk in rows for batch in chunk.to_batches()))


class DeltaFormat:
    """Delta tables of one dataset under ``<PATH>/<dataset>/<table>``."""

    name = "Delta"
    table_formats: frozenset[str] = frozenset({"delta"})
    supports_upsert = True

    def __init__(self, root: Path) -> None:
        self.root = root

    def _uri(self, table: str) -> str:
        return str(self.root / table)

    def _table(self, table: str) -> DeltaTable | None:
        if not (self.root / table / "_delta_log").exists():
            return None
        try:
            return DeltaTable(self._uri(table))
        except TableNotFoundError:
            return None

    def tables(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "_delta_log").is_dir())

    def schema(self, table: str) -> pa.Schema | None:
        dt = self._table(table)
        return None if dt is None else pa.schema(dt.schema().to_arrow())

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        dt = self._table(table)
        if dt is None:
            return pa.table({})
        return dt.to_pyarrow_dataset().to_table(columns=columns)

    def last_version(self, table: str) -> int:
        dt = self._table(table)
        return (dt.transaction_version(APP_ID) or 0) if dt is not None else 0

    def applied(self, table: str, mark: CommitMark) -> bool:
        return self.last_version(table) >= mark.version

    @staticmethod
    def _props(mark: CommitMark) -> CommitProperties:
        return CommitProperties(custom_metadata={"restsync.mark": mark.text},
                                app_transactions=[Transaction(app_id=APP_ID,
                                                              version=mark.version)])

    def append(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        write_deltalake(self._uri(table), _reader(rows, schema), mode="append",
                        schema_mode="merge", commit_properties=self._props(mark))

    def replace(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        write_deltalake(self._uri(table), _reader(rows, schema), mode="overwrite",
                        schema_mode="overwrite", commit_properties=self._props(mark))

    def _with_columns(self, table: str, dt: DeltaTable, schema: pa.Schema) -> DeltaTable:
        """Add the columns ``schema`` has and the table lacks (a schema-only commit that a
        repeated step finds done)."""
        have = set(pa.schema(dt.schema().to_arrow()).names)
        missing = [f for f in schema if f.name not in have]
        if not missing:
            return dt
        dt.alter.add_columns(list(DeltaSchema.from_arrow(pa.schema(missing)).fields))
        return DeltaTable(self._uri(table))

    def upsert(self, table: str, rows: Rows, schema: pa.Schema, keys: list[str],
               mark: CommitMark) -> None:
        dt = self._table(table)
        if dt is None:
            self.append(table, rows, schema, mark)
            return
        dt = self._with_columns(table, dt, schema)
        predicate = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in keys)
        (dt.merge(_reader(rows, schema), predicate, source_alias="s", target_alias="t",
                  commit_properties=self._props(mark))
         .when_matched_update_all().when_not_matched_insert_all().execute())

    def replace_rows(self, table: str, rows: Rows, schema: pa.Schema, column: str,
                     ids: pa.Array, mark: CommitMark) -> None:
        dt = self._table(table)
        if dt is None or len(ids) == 0:
            self.append(table, rows, schema, mark)
            return
        dt = self._with_columns(table, dt, schema)
        source_schema = schema.append(pa.field(_DELETE_ID, pa.string()))
        markers = pa.Table.from_arrays(
            [pa.nulls(len(ids), f.type) for f in schema] + [ids.cast(pa.string())],
            schema=source_schema)

        def source() -> Any:
            yield markers
            for chunk in rows:
                yield chunk.append_column(_DELETE_ID, pa.nulls(chunk.num_rows, pa.string()))

        # one commit: the marker rows match (and delete) the rows to go, the new rows match
        # nothing (their marker is null) and are inserted
        (dt.merge(_reader(source(), source_schema),
                  f"t.{_quote(column)} = s.{_quote(_DELETE_ID)}", source_alias="s",
                  target_alias="t", commit_properties=self._props(mark))
         .when_matched_delete()
         .when_not_matched_insert({c: f"s.{_quote(c)}" for c in schema.names},
                                  predicate=f"s.{_quote(_DELETE_ID)} IS NULL")
         .execute())

    def close(self) -> None:
        pass

