"""One resource's load into PostgreSQL: Arrow batches -> COPY into UNLOGGED staging tables.

Batches are buffered per table (at most ``FLUSH_ROWS`` rows), encoded as CSV by Arrow (in C++)
and streamed with ``COPY ... FROM STDIN (FORMAT csv)``; there are no row-by-row INSERTs. The
commit applies the write disposition, the resource's state and a load record in ONE transaction.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg
import pyarrow as pa

from restsync import faultpoints
from restsync.errors import DestinationError
from restsync.load.buffers import BufferedLoad
from restsync.load.history import details_json
from restsync.load.postgres.database import PostgresDatabase
from restsync.load.postgres.dispositions import StagedTable, apply_disposition
from restsync.load.postgres.types import (
    JSONB,
    column_list,
    pg_identifier,
    pg_type,
    strip_nul,
    to_csv,
    without_nul,
)
from restsync.load.protocol import WriteDisposition
from restsync.load.report import LoadReport
from restsync.load.sql.history_table import create_loads_sql, insert_load_sql
from restsync.load.sql.names import quote, safe_message
from restsync.normalize import TableBatch, TableSchema, kinds

FLUSH_ROWS = 50_000  # rows per table buffered in Arrow before one COPY into staging
COPY_CHUNK_BYTES = 1 << 20
_load_numbers = itertools.count(1)


class PostgresResourceLoad(BufferedLoad):
    """Staged data of one resource for one load; see ``PostgresDestination.begin``."""

    def __init__(self, dest: PostgresDatabase, resource: str, *, load_id: str,
                 write_disposition: WriteDisposition, primary_key: tuple[str, ...],
                 root_table: str, merge_key: tuple[str, ...] = ()) -> None:
        self._dest = dest
        self._init_load(resource, load_id=load_id, write_disposition=write_disposition,
                        primary_key=primary_key, root_table=root_table, merge_key=merge_key)
        self._number = next(_load_numbers)
        self._staged: dict[str, StagedTable] = {}
        self._started_at = datetime.now(UTC)
        self._nul_values = 0
        self.stored_schema: dict[str, TableSchema] = {}
        """The schema stored for this resource's tables when the load began (pass it to
        ``Normalizer(stored=...)`` so names, types and contracts follow it)."""

    @property
    def staged(self) -> dict[str, StagedTable]:
        """Table -> staged table (for the disposition code)."""
        return self._staged

    def write(self, batch: TableBatch) -> None:
        """Stage one batch; the dataset does not change yet.

        Raises:
            DestinationError: The load was already committed/aborted, or PostgreSQL refused.
        """
        table = pg_identifier(batch.table)
        parent = pg_identifier(batch.parent_table) if batch.parent_table else None
        if self._buffer(batch, table=table, parent=parent,
                        schema=_pg_names(batch.schema) if batch.schema is not None else None,
                        number=table == self.root_table, flush_rows=FLUSH_ROWS):
            self._flush(table)

    def commit(self, state: Mapping[str, Any] | None,
               history: Mapping[str, Any] | None = None) -> LoadReport:
        """Apply the write disposition, store ``state`` and a load record in ONE transaction.

        Args:
            state: The resource's new state (JSON-serializable), or None to leave it as is.
            history: The run's record of the resource (the load record's ``details``).

        Raises:
            DestinationError: Nothing was committed; staged data is dropped.
        """
        self._check_open()
        state_json = self._state_json(state)
        state_json = without_nul(state_json) if state_json is not None else None
        try:
            for table in self._buffers.tables():
                self._flush(table)
            with self._dest.con.transaction():
                self._dest.check_lock(self._where())
                report = apply_disposition(self._dest, self, self.primary_key, self.merge_key)
                if self._nul_values:
                    report.notes.append(
                        f"{self._nul_values} text value(s) held NUL characters (U+0000), which "
                        "PostgreSQL cannot store: they were removed, the rest of each value kept")
                faultpoints.reach("load.commit.data")
                self._dest.schema_store.record_load(
                    {t: s.parent for t, s in self._staged.items()},
                    lambda t: self._dest.column_types(self._dest.dataset, t), self._schemas,
                    self.stored_schema, load_id=self.load_id, resource=self.resource,
                    report=report)
                self._write_meta(state_json, sum(report.rows.values()),
                                 without_nul(details_json(history, report)))
                faultpoints.reach("load.commit.state")
                self._drop_staging()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, psycopg.Error):
                self._dest.raise_if_lost(exc, self._where())
                raise DestinationError(f"commit failed: {safe_message(exc)}",
                                       location=self._where()) from exc
            raise
        self._closed = True
        return report

    def abort(self) -> None:
        """Drop staged data; the dataset stays as it was. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._buffers.clear()
        # best effort: the next open cleans up anyway (also after a lost connection)
        with contextlib.suppress(psycopg.Error, DestinationError):
            self._drop_staging()

    # -- staging ------------------------------------------------------------------------------

    def _flush(self, table: str) -> None:
        parent, chunks = self._buffers.take(table)
        for chunk in chunks:
            try:
                self._copy(table, parent, chunk)
            except psycopg.Error as exc:
                self._dest.raise_if_lost(exc, self._where(table))
                raise DestinationError(f"staging failed: {safe_message(exc)}",
                                       location=self._where(table)) from exc

    def _copy(self, table: str, parent: str | None, chunk: pa.Table) -> None:
        names = [pg_identifier(n) for n in chunk.column_names]
        chunk = chunk.rename_columns(names)
        incoming = {n: pg_type(t) for n, t in zip(names, chunk.schema.types, strict=True)}
        dest = self._dest
        staged = self._staged.get(table)
        if staged is None:
            staged = StagedTable(table, pg_identifier(f"{self._number}__{table}"), parent)
            dest.sql(f"CREATE SCHEMA IF NOT EXISTS {dest.ref(dest.staging)}")
            columns = ", ".join(f"{quote(n)} {t}" for n, t in incoming.items())
            dest.sql(f"CREATE UNLOGGED TABLE {dest.ref(dest.staging, staged.staging_name)} "
                     f"({columns})")
            staged.columns = dict(incoming)
            self._staged[table] = staged
        else:
            dest.reconcile(dest.staging, staged.staging_name, staged.columns, incoming)
        for name, kind in incoming.items():  # CSV text suits any other column type
            if staged.columns[name] == JSONB and kind != JSONB:
                values = kinds.encode_json(chunk.column(name).combine_chunks())
                chunk = chunk.set_column(names.index(name), name, values)
        chunk, with_nul = strip_nul(chunk)
        self._nul_values += with_nul
        copy_sql = (f"COPY {dest.ref(dest.staging, staged.staging_name)} "
                    f"({column_list(names)}) FROM STDIN (FORMAT csv)")
        data = memoryview(to_csv(chunk))
        with dest.con.cursor() as cur, cur.copy(copy_sql) as copy:
            for start in range(0, len(data), COPY_CHUNK_BYTES):
                copy.write(data[start:start + COPY_CHUNK_BYTES])
        staged.rows += chunk.num_rows

    def _drop_staging(self) -> None:
        for staged in self._staged.values():
            self._dest.sql(
                f"DROP TABLE IF EXISTS {self._dest.ref(self._dest.staging, staged.staging_name)}")


    def _write_meta(self, state_json: str | None, rows: int, details: str) -> None:
        dest = self._dest
        state_table = dest.ref(dest.dataset, "_restsync_state")
        loads_table = dest.ref(dest.dataset, "_restsync_loads")
        dest.sql(f"CREATE TABLE IF NOT EXISTS {state_table} "
                 "(resource text, state jsonb, load_id text, updated_at timestamptz)")
        for statement in create_loads_sql(loads_table, "jsonb", "text"):
            dest.sql(statement)
        now = datetime.now(UTC)
        if state_json is not None:
            dest.sql(f"DELETE FROM {state_table} WHERE resource = %s", [self.resource])
            dest.sql(f"INSERT INTO {state_table} VALUES (%s, %s::jsonb, %s, %s)",
                     [self.resource, state_json, self.load_id, now])
        dest.sql(insert_load_sql(loads_table, "%s", "jsonb"),
                 [self.load_id, self.resource, "committed", rows, self._started_at, now,
                  details])


def _pg_names(schema: TableSchema) -> TableSchema:
    """``schema`` with table and column names as PostgreSQL holds them (long ones shortened)."""
    columns = {pg_identifier(n): replace(c, name=pg_identifier(n))
               for n, c in schema.columns.items()}
    parent = pg_identifier(schema.parent) if schema.parent else None
    return replace(schema, name=pg_identifier(schema.name), parent=parent, columns=columns)
