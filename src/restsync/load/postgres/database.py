"""A PostgreSQL dataset's connection: the dataset lock, statements, names, evolution.

Layout in the database (same tables and columns as the DuckDB destination):

* schema ``"<dataset>"``: the data tables (dlt layout) plus ``_restsync_state`` and
  ``_restsync_loads``;
* schema ``"<dataset>_staging"``: one UNLOGGED table per (load, table) while a resource loads.
  Nothing in the dataset changes before ``commit``.

One destination holds a session-level advisory lock keyed on the dataset for its whole
lifetime: a second run on the same dataset is refused, and the lock goes away with the holder's
connection (also when its process dies). Holding the lock also means every staging table found
at open belongs to a dead run, so it is dropped.

A lost connection takes the lock with it, and a second run may start at once. So the lock
must be held at every commit: each commit transaction first checks, on its own connection,
that this session still holds it (:meth:`PostgresDestination.check_lock`), and a broken
connection is never reopened behind the run's back: every later call fails with one clear
:class:`DestinationError` (nothing more is committed; the next run redoes what did not commit).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import psycopg

from restsync.errors import DestinationError
from restsync.load.postgres.types import (
    BIGINT,
    DOUBLE,
    MAX_IDENTIFIER_BYTES,
    TEXT,
    cast_expr,
    widen_pg_type,
    without_nul,
)
from restsync.load.sql.names import qualified, quote, safe_message
from restsync.load.sql.schema_store import SchemaStore

LOADS_TABLE = "_restsync_loads"
STAGING_SUFFIX = "_staging"
MAX_EXACT_DOUBLE_INT = 2**53
LOCK_GRACE_SECONDS = 0.5  # a holder that just died may hold the lock for a few milliseconds
_LOCK_MATCH = ("l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
               "AND l.classid::bigint = %s AND l.objid::bigint = %s")


class PostgresSchemaStore(SchemaStore):
    """The schema tables in a PostgreSQL dataset (``%s`` parameters, ``jsonb`` schema column)."""

    param = "%s"
    json_type = "jsonb"
    row_order = "ctid"  # rows are only ever inserted: physical order is insertion order

    def text(self, value: str) -> str:
        """``value`` without NUL characters, also spelled ``\\u0000`` in JSON text."""
        return without_nul(value)


def dataset_lock_key(dataset: str) -> int:
    """The advisory lock key (signed 64-bit) of a dataset."""
    digest = hashlib.blake2b(f"restsync dataset {dataset}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresDatabase:
    """A dataset (schema) in a PostgreSQL database: the lock and the SQL its loads use.

    Args:
        connection: An open autocommit connection (owned by this object from now on).
        dataset: The schema holding the tables.
        where: How to name the database in messages (a URL without its password).

    Raises:
        DestinationError: Bad dataset name, or another run holds the dataset.
    """

    def __init__(self, connection: psycopg.Connection[Any], dataset: str, *,
                 where: str = "destination") -> None:
        if not dataset:
            raise DestinationError("dataset name is empty", location="destination")
        staging = f"{dataset}{STAGING_SUFFIX}"
        if len(staging.encode()) > MAX_IDENTIFIER_BYTES:
            raise DestinationError(
                f"dataset name is too long for PostgreSQL ({len(dataset.encode())} bytes; at "
                f"most {MAX_IDENTIFIER_BYTES - len(STAGING_SUFFIX)})", location="destination")
        self.con = connection
        self.dataset = dataset
        self.staging = staging
        self.where = where
        self._lock_key = dataset_lock_key(dataset)
        self.schema_store = PostgresSchemaStore(self.sql, self.ref, dataset)
        try:
            self.sql("SET TIME ZONE 'UTC'")
            self._take_lock()
            self._drop_stale_staging()
        except psycopg.Error as exc:
            self.con.close()
            raise DestinationError(f"cannot prepare dataset: {safe_message(exc)}",
                                   location=f"dataset '{dataset}'") from exc
        except DestinationError:
            self.con.close()
            raise

    def close(self) -> None:
        """Release the dataset lock and close the connection.

        The lock is released explicitly: a closed connection's server process exits (and
        drops its locks) asynchronously, so a run started right after would be refused.
        """
        if not self.con.closed:
            with contextlib.suppress(psycopg.Error):
                self.sql("SELECT pg_advisory_unlock(%s)", [self._lock_key])
        self.con.close()

    # -- helpers (also used by the load and the dispositions) ---------------------------------

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement (``%s`` placeholders); its rows, or ``[(rowcount,)]`` for DML.

        Raises:
            DestinationError: The connection is lost (see the module docstring).
            psycopg.Error: Any other database error.
        """
        self.raise_if_lost(None, self.where)
        try:
            with self.con.cursor() as cur:
                cur.execute(query, params)  # queries are built from quoted identifiers only
                if cur.description is None:
                    return [(cur.rowcount,)] if cur.rowcount >= 0 else []
                return cur.fetchall()
        except psycopg.OperationalError as exc:
            self.raise_if_lost(exc, self.where)
            raise

    def raise_if_lost(self, error: BaseException | None, where: str) -> None:
        """Raise the lost-connection error when the connection is broken or closed.

        Args:
            error: The database error that revealed it (its text goes in the message).
            where: Location for the message (``resource 'x'``).
        """
        if not (self.con.broken or self.con.closed):
            return
        reason = f" ({safe_message(error)})" if error is not None else ""
        raise DestinationError(
            f"the connection to PostgreSQL was lost{reason}; the lock that keeps a second run "
            f"out of dataset '{self.dataset}' went with it, so this run commits nothing more",
            location=where,
            hint="run again: every resource that did not commit is redone from its stored "
                 "state") from error

    def check_lock(self, where: str) -> None:
        """Fail unless this session still holds the dataset lock (run inside each commit).

        Raises:
            DestinationError: The lock is gone (released or lost with a reset session, e.g.
                behind a pooler); the caller's transaction must not commit.
        """
        held = self.sql(f"SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE {_LOCK_MATCH} "
                        "AND l.pid = pg_backend_pid())", self._lock_parts())[0][0]
        if not held:
            raise DestinationError(
                f"this run no longer holds the lock on dataset '{self.dataset}' (its session "
                "was reset or the lock released), so another run may be loading it; nothing of "
                "this resource was committed", location=where,
                hint="connect to PostgreSQL directly or through a session-mode pooler; "
                     "transaction-mode poolers cannot keep a session lock")

    def _lock_parts(self) -> list[int]:
        """The lock key as ``pg_locks`` shows it: (classid, objid)."""
        return [(self._lock_key >> 32) & 0xFFFFFFFF, self._lock_key & 0xFFFFFFFF]

    def ref(self, schema: str, table: str | None = None) -> str:
        """Quoted ``"schema"`` or ``"schema"."table"``."""
        return quote(schema) if table is None else qualified(schema, table)

    def schema_tables(self, schema: str) -> list[str]:
        """All base tables of a schema, sorted."""
        rows = self.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE \"C\"", [schema])
        return [r[0] for r in rows]

    def table_exists(self, schema: str, table: str) -> bool:
        """Whether ``schema.table`` exists."""
        return bool(self.sql("SELECT to_regclass(%s) IS NOT NULL",
                             [self.ref(schema, table)])[0][0])

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> PostgreSQL type of an existing table (``{}`` if there is none)."""
        rows = self.sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            [schema, table])
        return {r[0]: r[1] for r in rows}

    def column_types(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> full PostgreSQL type (``numeric(12,2)``, not ``numeric``)."""
        rows = self.sql(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum", [self.ref(schema, table)])
        return {r[0]: r[1] for r in rows}

    def reconcile(self, schema: str, table: str, existing: dict[str, str],
                  incoming: Mapping[str, str], *, source: str | None = None) -> None:
        """Add missing columns and widen types of ``schema.table`` (``existing`` is updated).

        Args:
            schema: Schema of the table to change.
            table: The table to change.
            existing: Its columns (name -> type); updated in place.
            incoming: Columns about to be inserted (name -> type).
            source: Quoted name of the table the incoming rows come from; lets a
                ``bigint``/``double precision`` mix go to ``text`` when an integer beyond
                2**53 would lose precision as a double.
        """
        target = self.ref(schema, table)
        for name, new_type in incoming.items():
            old_type = existing.get(name)
            if old_type is None:
                self.sql(f"ALTER TABLE {target} ADD COLUMN {quote(name)} {new_type}")
                existing[name] = new_type
                continue
            wide = widen_pg_type(old_type, new_type)
            if wide == DOUBLE and {old_type, new_type} == {BIGINT, DOUBLE}:
                holder = target if old_type == BIGINT else source
                if holder is not None and self._has_inexact_ints(holder, name):
                    wide = TEXT
            if wide != old_type:
                self.sql(f"ALTER TABLE {target} ALTER COLUMN {quote(name)} TYPE {wide} "
                         f"USING {cast_expr(quote(name), old_type, wide)}")
                existing[name] = wide

    def _has_inexact_ints(self, table: str, column: str) -> bool:
        row = self.sql(f"SELECT max(abs({quote(column)}::numeric)) > %s FROM {table}",
                       [MAX_EXACT_DOUBLE_INT])
        return bool(row and row[0][0])

    # -- lock and stale staging ---------------------------------------------------------------

    def _take_lock(self) -> None:
        deadline = time.monotonic() + LOCK_GRACE_SECONDS
        while not self.sql("SELECT pg_try_advisory_lock(%s)", [self._lock_key])[0][0]:
            if time.monotonic() >= deadline:
                self._refuse()
            time.sleep(0.05)

    def _refuse(self) -> NoReturn:
        holder = self.sql(
            "SELECT l.pid, a.application_name, a.backend_start FROM pg_locks l "
            f"LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE {_LOCK_MATCH} LIMIT 1",
            self._lock_parts())
        who = ""
        if holder:
            pid, app, since = holder[0]
            who = f" (server process {pid}"
            who += f", application '{app}'" if app else ""
            who += f", connected since {since:%Y-%m-%d %H:%M:%S %Z})" if since else ")"
        raise DestinationError(
            f"another run is loading dataset '{self.dataset}' right now{who}; refused to "
            "start a second one", location=self.where,
            hint="wait for it to finish; the lock is released when that run ends or dies")

    def _drop_stale_staging(self) -> None:
        for table in self.schema_tables(self.staging):
            self.sql(f"DROP TABLE IF EXISTS {self.ref(self.staging, table)}")
