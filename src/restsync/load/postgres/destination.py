"""PostgreSQL destination: COPY staging, dispositions and state in one transaction.

Layout in the database (same tables and columns as the DuckDB destination):

* schema ``"<dataset>"``: the data tables (dlt layout) plus ``_restsync_state`` and
  ``_restsync_loads``;
* schema ``"<dataset>_staging"``: one UNLOGGED table per (load, table) while a resource loads.
  Nothing in the dataset changes before ``commit``.

The dataset lock and what a lost connection does: :mod:`restsync.load.postgres.database`.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from restsync.errors import DestinationError
from restsync.load.postgres.database import PostgresDatabase
from restsync.load.postgres.load import PostgresResourceLoad
from restsync.load.postgres.types import pg_identifier
from restsync.load.protocol import WRITE_DISPOSITIONS, WriteDisposition
from restsync.load.schema_diff import with_unrecorded
from restsync.load.sql.history_table import HistoryTableMixin
from restsync.load.sql.names import safe_message
from restsync.load.sql.schema_store import SCHEMA_TABLE
from restsync.load.sql.state_table import StateTableMixin
from restsync.normalize import TableSchema


class PostgresDestination(PostgresDatabase, StateTableMixin, HistoryTableMixin):
    """A dataset (schema) in a PostgreSQL database: a :class:`restsync.load.Destination`
    (arguments: :class:`PostgresDatabase`)."""

    PARAM = "%s"
    JSON_TYPE = "jsonb"
    TEXT_TYPE = "text"
    table_formats: frozenset[str] = frozenset()  # tables are PostgreSQL's own
    STATE_AS_TEXT = "state::text"

    def begin(self, resource: str, *, load_id: str, write_disposition: WriteDisposition,
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True,
              merge_key: Sequence[str] | None = None) -> PostgresResourceLoad:
        """Start loading one resource (see :meth:`restsync.load.protocol.Destination.begin`);
        nothing is visible before the load's ``commit``."""
        del exclusive
        if write_disposition not in WRITE_DISPOSITIONS:
            raise DestinationError(f"unknown write disposition {write_disposition!r}",
                                   location=f"resource '{resource}'")
        load = PostgresResourceLoad(self, resource, load_id=load_id,
                                    write_disposition=write_disposition,
                                    primary_key=tuple(primary_key or ()),
                                    root_table=pg_identifier(root_table),
                                    merge_key=tuple(merge_key or ()))
        try:
            load.stored_schema = self.stored_schema(load.root_table)
        except psycopg.Error as exc:
            raise DestinationError(f"cannot read the stored schema: {safe_message(exc)}",
                                   location=f"resource '{resource}'") from exc
        return load

    def stored_schema(self, root_table: str | None = None) -> dict[str, TableSchema]:
        """Latest stored schema of every table (of one resource's tables with ``root_table``).

        A data table that exists without a stored schema (loaded before schemas were stored)
        is described from its actual columns, with version 0.
        """
        tables = self.schema_tables(self.dataset)
        out = self.schema_store.latest(root_table, exists=SCHEMA_TABLE in tables)
        return with_unrecorded(out, tables, root_table, lambda t: self.column_types(self.dataset, t))

    def tables(self) -> list[str]:
        """Data tables in the dataset, sorted (restsync's own ``_restsync_*`` tables excluded)."""
        return [t for t in self.schema_tables(self.dataset) if not t.startswith("_restsync_")]

