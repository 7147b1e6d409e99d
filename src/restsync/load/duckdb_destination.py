"""DuckDB destination: bulk Arrow loads, dispositions and state in one transaction.

Layout in the DuckDB file:

* ``"<dataset>"``: the data tables (dlt layout) plus ``_restsync_state``,
  ``_restsync_loads`` and the schema tables;
* ``"<dataset>_staging"``: staging tables (one per load and table, named
  ``<load_id>_<n>__<table>``) of ``merge``/``replace`` loads, inside their own uncommitted
  transaction, or of loads that share a table with another resource (see
  :mod:`restsync.load.duckdb_load`). Nothing in the dataset changes before a load commits;
  shared staging tables of a crashed run are dropped by the next :func:`open_destination`
  (DuckDB lets one process write a file at a time, so no live load can own them).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from restsync.errors import DestinationError
from restsync.load.duckdb_load import LOADS_TABLE, ResourceLoad, WriteDisposition
from restsync.load.duckdb_memory import MemoryBudget
from restsync.load.schema_store import SCHEMA_TABLE, DuckDBSchemaStore, final_schema
from restsync.load.sql import qualified, quote, safe_message, widen_type
from restsync.load.state_table import STATE_TABLE, StateTableMixin
from restsync.normalize import TableSchema

__all__ = ["LOADS_TABLE", "STATE_TABLE", "DuckDBDestination", "ResourceLoad",
           "WriteDisposition"]


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
        self._prepared: set[str] = set()
        self.memory: MemoryBudget | None = None
        """Sizes the memory limit to the open loads' columns (set by ``open_destination``)."""
        self._drop_stale_staging()

    def on(self, connection: duckdb.DuckDBPyConnection) -> DuckDBDestination:
        """The same dataset seen through another connection (a cursor with its own
        transaction); nothing is cleaned up or created."""
        view = copy.copy(self)  # shares dataset, catalog and what was prepared
        view.con = connection
        view.schema_store = DuckDBSchemaStore(view.sql, view.ref, self.dataset)
        return view

    def prepare(self, *, staging: bool) -> None:
        """Create the dataset schema, restsync's own tables (and the staging schema) now.

        Loads in their own transactions only find them then: two open transactions that
        both create the same table or schema conflict at commit.
        """
        wanted = {"dataset"} | ({"staging"} if staging else set())
        if wanted <= self._prepared:
            return
        try:
            self.sql(f"CREATE SCHEMA IF NOT EXISTS {self.ref(self.dataset)}")
            self.ensure_meta_tables()
            self.schema_store.ensure_tables()
            if staging:
                self.sql(f"CREATE SCHEMA IF NOT EXISTS {self.ref(self.staging)}")
        except duckdb.Error as exc:
            raise DestinationError(f"cannot prepare the dataset: {safe_message(exc)}",
                                   location=f"dataset '{self.dataset}'") from exc
        self._prepared |= wanted

    def ensure_meta_tables(self) -> None:
        """Create ``_restsync_state`` and ``_restsync_loads`` when missing."""
        ds = self.dataset
        self.sql(f"CREATE TABLE IF NOT EXISTS {self.ref(ds, STATE_TABLE)} "
                 "(resource VARCHAR, state JSON, load_id VARCHAR, updated_at TIMESTAMPTZ)")
        self.sql(f"CREATE TABLE IF NOT EXISTS {self.ref(ds, LOADS_TABLE)} "
                 "(load_id VARCHAR, resource VARCHAR, status VARCHAR, rows BIGINT, "
                 "started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ)")

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
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True) -> ResourceLoad:
        """Start loading one resource; nothing is visible before :meth:`ResourceLoad.commit`.

        Args:
            resource: Resource name (for state, load records and messages).
            load_id: The run's load id.
            write_disposition: ``append``, ``replace`` or ``merge``.
            primary_key: Column names of the root table's key (needed for ``merge``); raw
                JSON keys are normalized the same way the normalizer does.
            root_table: The resource's root table name (children are ``<root>__...``).
            exclusive: No other load of this run writes the resource's tables: the load gets
                its own transaction (faster; see :mod:`restsync.load.duckdb_load`). Pass
                False when another resource writes the same root table.
        """
        if write_disposition not in ("append", "replace", "merge"):
            raise DestinationError(f"unknown write disposition {write_disposition!r}",
                                   location=f"resource '{resource}'")
        try:
            stored = self.stored_schema(root_table)
        except duckdb.Error as exc:
            raise DestinationError(f"cannot read the stored schema: {safe_message(exc)}",
                                   location=f"resource '{resource}'") from exc
        try:
            load = ResourceLoad(self, resource, load_id=load_id,
                                write_disposition=write_disposition,
                                primary_key=tuple(primary_key or ()), root_table=root_table,
                                exclusive=exclusive)
        except duckdb.Error as exc:
            raise DestinationError(f"cannot start the load: {safe_message(exc)}",
                                   location=f"resource '{resource}'") from exc
        load.stored_schema = stored
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

    def create_table(self, schema: str, table: str, columns: Mapping[str, str]) -> None:
        """``CREATE TABLE schema.table`` with ``columns`` (name -> DuckDB type), in order."""
        spec = ", ".join(f"{quote(name)} {typ}" for name, typ in columns.items())
        self.sql(f"CREATE TABLE {self.ref(schema, table)} ({spec})")

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
