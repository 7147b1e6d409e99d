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

from collections.abc import Sequence

import duckdb

from restsync.errors import DestinationError
from restsync.load.duckdb.database import DuckDBDatabase
from restsync.load.duckdb.load import ResourceLoad
from restsync.load.protocol import WRITE_DISPOSITIONS, WriteDisposition
from restsync.load.schema_diff import with_unrecorded
from restsync.load.sql.history_table import HistoryTableMixin
from restsync.load.sql.names import safe_message
from restsync.load.sql.schema_store import SCHEMA_TABLE
from restsync.load.sql.state_table import StateTableMixin
from restsync.normalize import TableSchema


class DuckDBDestination(DuckDBDatabase, StateTableMixin, HistoryTableMixin):
    """A dataset (schema) in a DuckDB database: a :class:`restsync.load.Destination`.

    Args:
        connection: An open DuckDB connection (owned by this object from now on).
        dataset: The schema name holding the tables.
    """

    table_formats: frozenset[str] = frozenset()  # tables are DuckDB's own

    def stored_schema(self, root_table: str | None = None) -> dict[str, TableSchema]:
        """Latest stored schema of every table (of one resource's tables with ``root_table``).

        A data table that exists without a stored schema (loaded before schemas were stored)
        is described from its actual columns, with version 0.
        """
        tables = self.schema_tables(self.dataset)
        out = self.schema_store.latest(root_table, exists=SCHEMA_TABLE in tables)
        return with_unrecorded(out, tables, root_table, lambda t: self.columns(self.dataset, t))

    def begin(self, resource: str, *, load_id: str, write_disposition: WriteDisposition,
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True, merge_key: Sequence[str] | None = None) -> ResourceLoad:
        """Start loading one resource (see :meth:`restsync.load.protocol.Destination.begin`);
        nothing is visible before the load's ``commit``."""
        if write_disposition not in WRITE_DISPOSITIONS:
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
                                exclusive=exclusive, merge_key=tuple(merge_key or ()))
        except duckdb.Error as exc:
            raise DestinationError(f"cannot start the load: {safe_message(exc)}",
                                   location=f"resource '{resource}'") from exc
        load.stored_schema = stored
        return load

    def tables(self) -> list[str]:
        """Data tables in the dataset, sorted (restsync's own ``_restsync_*`` tables excluded)."""
        return [t for t in self.schema_tables(self.dataset) if not t.startswith("_restsync_")]

