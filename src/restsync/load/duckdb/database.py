"""A DuckDB dataset's SQL: statements, names, columns, evolution, stale staging."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from restsync.errors import DestinationError
from restsync.load.duckdb.memory import MemoryBudget
from restsync.load.duckdb.types import widen_type
from restsync.load.sql.history_table import create_loads_sql
from restsync.load.sql.names import qualified, quote, safe_message
from restsync.load.sql.schema_store import SchemaStore
from restsync.load.sql.state_table import STATE_TABLE

LOADS_TABLE = "_restsync_loads"


class DuckDBDatabase:
    """A dataset (schema) in a DuckDB database: the SQL the destination and its loads use.

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
        self.schema_store = SchemaStore(self.sql, self.ref, dataset)
        self._prepared: set[str] = set()
        self.memory: MemoryBudget | None = None
        """Sizes the memory limit to the open loads' columns (set by ``open_destination``)."""
        self._drop_stale_staging()

    def on(self, connection: duckdb.DuckDBPyConnection) -> DuckDBDatabase:
        """The same dataset seen through another connection (a cursor with its own
        transaction); nothing is cleaned up or created."""
        view = copy.copy(self)  # shares dataset, catalog and what was prepared
        view.con = connection
        view.schema_store = SchemaStore(view.sql, view.ref, self.dataset)
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
        for statement in create_loads_sql(self.ref(ds, LOADS_TABLE), "JSON"):
            self.sql(statement)

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
