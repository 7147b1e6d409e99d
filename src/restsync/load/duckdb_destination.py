"""DuckDB destination: bulk Arrow staging, dispositions and state in one transaction.

Layout in the DuckDB file:

* ``"<dataset>"``: the data tables (dlt layout) plus ``_restsync_state`` and
  ``_restsync_loads``;
* ``"<dataset>_staging"``: one table per (load, table) while a resource loads, named
  ``<load_id>_<n>__<table>``. Nothing in the dataset changes before ``commit``; a crashed run
  leaves only staging tables, which the next :func:`open_destination` drops (DuckDB lets one
  process write a file at a time, so no live load can own them).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb
import orjson
import pyarrow as pa

from restsync import faultpoints
from restsync.errors import DestinationError
from restsync.load.dispositions import apply_disposition
from restsync.load.report import LoadReport
from restsync.load.schema_store import SCHEMA_TABLE, DuckDBSchemaStore, final_schema
from restsync.load.sql import qualified, quote, safe_message, widen_type
from restsync.load.state_table import STATE_TABLE, StateTableMixin
from restsync.normalize import TableBatch, TableSchema

LOADS_TABLE = "_restsync_loads"
SEQ_COLUMN = "_restsync_seq"
WriteDisposition = Literal["append", "replace", "merge"]
_view_numbers = itertools.count(1)
_load_numbers = itertools.count(1)
FLUSH_ROWS = 20_000  # rows per table buffered in Arrow before a bulk insert into staging


@dataclass
class StagedTable:
    """One staged table of a load: where it lives and its columns (name -> DuckDB type)."""

    table: str
    staging_name: str
    parent: str | None
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    arrow_schema: pa.Schema | None = None  # of the last chunk staged: same one, no DESCRIBE


class DuckDBDestination(StateTableMixin):
    """A dataset (schema) in a DuckDB database.

    Args:
        connection: An open DuckDB connection (owned by this object from now on).
        dataset: The schema name holding the tables.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, dataset: str) -> None:
        if not dataset:
            raise DestinationError("dataset name is empty", location="destination")
        self.con = connection
        self.dataset = dataset
        self.staging = f"{dataset}_staging"
        self.catalog: str = self.sql("SELECT current_database()")[0][0]
        self.schema_store = DuckDBSchemaStore(self.sql, self.ref, dataset)
        self._drop_stale_staging()

    def stored_schema(self, root_table: str | None = None) -> dict[str, TableSchema]:
        """Latest stored schema of every table (of one resource's tables with ``root_table``).

        A data table that exists without a stored schema (loaded before schemas were stored)
        is described from its actual columns, with version 0.
        """
        tables = self.schema_tables(self.dataset)
        out = self.schema_store.latest(root_table, exists=SCHEMA_TABLE in tables)
        for table in tables:
            if table.startswith("_restsync_") or table in out:
                continue
            if root_table is not None and not (
                    table == root_table or table.startswith(root_table + "__")):
                continue
            actual = self.columns(self.dataset, table)
            parent = None if root_table is None or table == root_table else \
                table.rsplit("__", 1)[0]
            out[table] = final_schema(table, actual, None, None, parent=parent,
                                      resource=root_table or table)
        return out

    def begin(self, resource: str, *, load_id: str, write_disposition: WriteDisposition,
              primary_key: Sequence[str] | None, root_table: str) -> ResourceLoad:
        """Start loading one resource; nothing is visible before :meth:`ResourceLoad.commit`.

        Args:
            resource: Resource name (for state, load records and messages).
            load_id: The run's load id.
            write_disposition: ``append``, ``replace`` or ``merge``.
            primary_key: Column names of the root table's key (needed for ``merge``); raw
                JSON keys are normalized the same way the normalizer does.
            root_table: The resource's root table name (children are ``<root>__...``).
        """
        if write_disposition not in ("append", "replace", "merge"):
            raise DestinationError(f"unknown write disposition {write_disposition!r}",
                                   location=f"resource '{resource}'")
        load = ResourceLoad(self, resource, load_id=load_id,
                            write_disposition=write_disposition,
                            primary_key=tuple(primary_key or ()), root_table=root_table)
        try:
            load.stored_schema = self.stored_schema(root_table)
        except duckdb.Error as exc:
            raise DestinationError(f"cannot read the stored schema: {safe_message(exc)}",
                                   location=f"resource '{resource}'") from exc
        return load

    def tables(self) -> list[str]:
        """Data tables in the dataset, sorted (restsync's own ``_restsync_*`` tables excluded)."""
        return [t for t in self.schema_tables(self.dataset) if not t.startswith("_restsync_")]

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement and fetch its whole result (DuckDB wants results consumed)."""
        return self.con.execute(query, params).fetchall()

    def ref(self, schema: str, table: str | None = None) -> str:
        """Fully qualified, quoted name (the catalog too: a dataset may share its name)."""
        return qualified(self.catalog, schema) if table is None else \
            qualified(self.catalog, schema, table)

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    # -- helpers used by ResourceLoad ---------------------------------------------------------

    def schema_tables(self, schema: str) -> list[str]:
        """All base tables of a schema, sorted."""
        rows = self.sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = ? AND table_type = 'BASE TABLE' "
            "ORDER BY table_name", [self.catalog, schema])
        return [r[0] for r in rows]

    def table_exists(self, schema: str, table: str) -> bool:
        """Whether ``schema.table`` exists."""
        return table in self.schema_tables(schema)

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> DuckDB type of an existing table."""
        rows = self.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position", [self.catalog, schema, table])
        return {r[0]: r[1] for r in rows}

    def reconcile(self, schema: str, table: str, existing: dict[str, str],
                  incoming: Mapping[str, str]) -> None:
        """Add missing columns and widen types of ``schema.table`` (``existing`` is updated)."""
        target = self.ref(schema, table)
        for name, new_type in incoming.items():
            old_type = existing.get(name)
            if old_type is None:
                self.sql(f"ALTER TABLE {target} ADD COLUMN {quote(name)} {new_type}")
                existing[name] = new_type
                continue
            wide = widen_type(old_type, new_type)
            if wide != old_type:
                self.sql(
                    f"ALTER TABLE {target} ALTER COLUMN {quote(name)} SET DATA TYPE {wide}")
                existing[name] = wide

    def _drop_stale_staging(self) -> None:
        try:
            for table in self.schema_tables(self.staging):
                self.sql(f"DROP TABLE IF EXISTS {self.ref(self.staging, table)}")
        except duckdb.Error as exc:
            raise DestinationError(f"cannot clean staging schema: {safe_message(exc)}",
                                   location=f"dataset '{self.dataset}'") from exc


class ResourceLoad:
    """Staged data of one resource for one load; see :meth:`DuckDBDestination.begin`."""

    def __init__(self, dest: DuckDBDestination, resource: str, *, load_id: str,
                 write_disposition: WriteDisposition, primary_key: tuple[str, ...],
                 root_table: str) -> None:
        self._dest = dest
        self.resource = resource
        self.load_id = load_id
        self.write_disposition = write_disposition
        self.primary_key = primary_key
        self.root_table = root_table
        self._tag = f"{load_id}_{next(_load_numbers)}"
        self._staged: dict[str, StagedTable] = {}
        self._started_at = datetime.now(UTC)
        self._closed = False
        self._root_rows = 0
        self._buffers: dict[str, tuple[str | None, list[pa.Table]]] = {}
        self._buffered: dict[str, int] = {}
        self._schemas: dict[str, TableSchema] = {}
        self.stored_schema: dict[str, TableSchema] = {}
        """The schema stored for this resource's tables when the load began (pass it to
        ``Normalizer(stored=...)`` so names, types and contracts follow it)."""

    def write(self, batch: TableBatch) -> None:
        """Stage one batch; the dataset does not change yet.

        Batches are buffered per table (at most ``FLUSH_ROWS`` rows) and bulk-inserted into a
        staging table in DuckDB (which spills to disk), so memory stays bounded.

        Raises:
            DestinationError: The load was already committed/aborted, or DuckDB refused.
        """
        if self._closed:
            raise DestinationError("load already committed or aborted", location=self._where())
        arrow = batch.arrow
        if batch.schema is not None:
            self._schemas[batch.table] = batch.schema
        if arrow.num_rows == 0:
            return
        if batch.table == self.root_table:
            seq = pa.array(range(self._root_rows, self._root_rows + arrow.num_rows), pa.int64())
            arrow = arrow.append_column(SEQ_COLUMN, seq)
            self._root_rows += arrow.num_rows
        buffer = self._buffers.setdefault(batch.table, (batch.parent_table, []))
        buffer[1].append(arrow)
        self._buffered[batch.table] = self._buffered.get(batch.table, 0) + arrow.num_rows
        if self._buffered[batch.table] >= FLUSH_ROWS:
            self._flush(batch.table)

    def _flush(self, table: str) -> None:
        """Move a table's buffered Arrow batches into its staging table in one bulk insert."""
        parent, tables = self._buffers.pop(table, (None, []))
        self._buffered.pop(table, None)
        if not tables:
            return
        try:
            chunks = [pa.concat_tables(tables, promote_options="permissive")]
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # kinds changed between pages
            chunks = tables
        con = self._dest.con
        for chunk in chunks:
            view = f"_restsync_arrow_{next(_view_numbers)}"
            try:
                con.register(view, chunk)
                try:
                    self._stage(table, parent, chunk.num_rows, view, chunk.schema)
                finally:
                    con.unregister(view)
            except duckdb.Error as exc:
                raise DestinationError(f"staging failed: {safe_message(exc)}",
                                       location=self._where(table)) from exc

    def _stage(self, table: str, parent: str | None, rows: int, view: str,
               arrow_schema: pa.Schema) -> None:
        staged = self._staged.get(table)
        if staged is not None and staged.arrow_schema is not None \
                and staged.arrow_schema.equals(arrow_schema):
            # same columns and types as the last chunk: nothing to reconcile
            self._dest.sql(f"INSERT INTO {self._dest.ref(self._dest.staging, staged.staging_name)} "
                           f"BY NAME SELECT * FROM {quote(view)}")
            staged.rows += rows
            return
        incoming = {r[0]: r[1] for r in self._dest.sql(f"DESCRIBE SELECT * FROM {quote(view)}")}
        if staged is None:
            staged = StagedTable(table, f"{self._tag}__{table}", parent)
            self._dest.sql(f"CREATE SCHEMA IF NOT EXISTS {self._dest.ref(self._dest.staging)}")
            self._dest.sql(f"CREATE TABLE {self._dest.ref(self._dest.staging, staged.staging_name)} AS "
                        f"SELECT * FROM {quote(view)}")
            staged.columns = dict(incoming)
            self._staged[table] = staged
        else:
            self._dest.reconcile(self._dest.staging, staged.staging_name, staged.columns,
                                 incoming)
            self._dest.sql(f"INSERT INTO {self._dest.ref(self._dest.staging, staged.staging_name)} "
                        f"BY NAME SELECT * FROM {quote(view)}")
        staged.arrow_schema = arrow_schema
        staged.rows += rows

    def commit(self, state: Mapping[str, Any] | None) -> LoadReport:
        """Apply the write disposition, store ``state`` and a load record in ONE transaction.

        Args:
            state: The resource's new state (JSON-serializable), or None to leave it as is.

        Returns:
            A :class:`~restsync.load.LoadReport`.

        Raises:
            DestinationError: Nothing was committed (e.g. a merge where some records lack the
                primary key); staged data is dropped.
        """
        if self._closed:
            raise DestinationError("load already committed or aborted", location=self._where())
        try:
            state_json = None if state is None else orjson.dumps(dict(state)).decode()
        except TypeError as exc:
            raise DestinationError(f"state is not JSON-serializable: {exc}",
                                   location=self._where()) from exc
        for table in list(self._buffers):
            self._flush(table)
        self._dest.sql("BEGIN TRANSACTION")
        try:
            report = apply_disposition(self._dest, self)
            faultpoints.reach("load.commit.data")
            self._record_schema(report)
            self._write_meta(state_json, sum(report.rows.values()))
            faultpoints.reach("load.commit.state")
            self._drop_staging()
            self._dest.sql("COMMIT")
        except BaseException as exc:
            self._dest.sql("ROLLBACK")
            self.abort()
            if isinstance(exc, DestinationError):
                raise
            if isinstance(exc, duckdb.Error):
                raise DestinationError(f"commit failed: {safe_message(exc)}",
                                       location=self._where()) from exc
            raise
        self._closed = True
        return report

    def _record_schema(self, report: LoadReport) -> None:
        """Store the new schema version of every loaded table and its comments (same tx)."""
        self._dest.schema_store.record_load(
            {table: staged.parent for table, staged in self._staged.items()},
            lambda table: self._dest.columns(self._dest.dataset, table),
            self._schemas, self.stored_schema, load_id=self.load_id, resource=self.resource,
            report=report)

    def abort(self) -> None:
        """Drop staged data; the dataset stays as it was. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._buffers.clear()
        with contextlib.suppress(duckdb.Error):  # best effort: next open cleans up anyway
            self._drop_staging()

    @property
    def staged(self) -> dict[str, StagedTable]:
        """Table -> staged table (for the disposition code)."""
        return self._staged

    def _where(self, table: str | None = None) -> str:
        where = f"resource '{self.resource}'"
        return f"{where}, table '{table}'" if table else where

    def _drop_staging(self) -> None:
        for staged in self._staged.values():
            self._dest.sql(
                f"DROP TABLE IF EXISTS {self._dest.ref(self._dest.staging, staged.staging_name)}")

    def _write_meta(self, state_json: str | None, rows: int) -> None:
        ds = self._dest.dataset
        self._dest.sql(f"CREATE TABLE IF NOT EXISTS {self._dest.ref(ds, STATE_TABLE)} "
                    "(resource VARCHAR, state JSON, load_id VARCHAR, updated_at TIMESTAMPTZ)")
        self._dest.sql(f"CREATE TABLE IF NOT EXISTS {self._dest.ref(ds, LOADS_TABLE)} "
                    "(load_id VARCHAR, resource VARCHAR, status VARCHAR, rows BIGINT, "
                    "started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ)")
        now = datetime.now(UTC).isoformat()
        started = self._started_at.isoformat()
        if state_json is not None:
            self._dest.sql(f"DELETE FROM {self._dest.ref(ds, STATE_TABLE)} WHERE resource = ?",
                        [self.resource])
            self._dest.sql(f"INSERT INTO {self._dest.ref(ds, STATE_TABLE)} VALUES (?, ?, ?, CAST(? AS TIMESTAMPTZ))",
                        [self.resource, state_json, self.load_id, now])
        self._dest.sql(f"INSERT INTO {self._dest.ref(ds, LOADS_TABLE)} "
                    "VALUES (?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ))",
                    [self.load_id, self.resource, "committed", rows, started, now])
