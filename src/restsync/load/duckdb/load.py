"""One resource's load into DuckDB: buffer Arrow batches, bulk-insert them, commit once.

Two ways to hold the rows until the commit, chosen by ``DuckDBDestination.begin``:

* **own transaction** (``exclusive=True``, the default): the load has its own cursor and
  opens a transaction at once. ``append`` and ``replace`` insert straight into the dataset's
  tables (``replace`` empties the root table and its child tables first, in the same
  transaction, so the commit copies nothing); ``merge`` inserts into staging tables created
  inside that transaction, and the commit applies the disposition there. Rows, state and the
  load record become visible together at ``COMMIT``; a crash or an abort leaves nothing
  behind (an uncommitted DuckDB transaction never reaches the file). Inserting inside one
  transaction also lets DuckDB write whole row groups once instead of checkpointing every
  insert (~4x faster).
* **shared staging** (``exclusive=False``): for a resource whose tables another resource of
  the same run also writes. Concurrent transactions that alter the same table conflict in
  DuckDB, so the rows go to staging tables on the destination's own connection and the
  dataset's tables are touched only inside the short commit transaction (commits run one
  after another on the loader thread).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from restsync import faultpoints
from restsync.errors import DestinationError
from restsync.load.buffers import BufferedLoad
from restsync.load.duckdb.database import LOADS_TABLE, DuckDBDatabase
from restsync.load.duckdb.dispositions import StagedTable, apply_disposition
from restsync.load.duckdb.memory import aborted_message
from restsync.load.history import details_json
from restsync.load.protocol import WriteDisposition
from restsync.load.report import LoadReport
from restsync.load.sql.history_table import insert_load_sql
from restsync.load.sql.names import quote, safe_message
from restsync.load.sql.rules import empty_dataset_tables
from restsync.load.sql.state_table import STATE_TABLE
from restsync.normalize import TableBatch, TableSchema

FLUSH_ROWS = 20_000  # rows per table buffered in Arrow before one bulk insert
ARROW_INSERT_THREADS = 1
"""DuckDB threads while it inserts a staged Arrow table (the database's own setting is put
back after each insert). DuckDB's Arrow scan takes the GIL for every chunk it reads; with more
threads they contend for it with each other and with the run's own threads: on 2 cores one
thread inserted the bulk scenario's tables with half the CPU and less wall time
(docs/performance.md, "Bulk pipeline, third round")."""
_view_numbers = itertools.count(1)
_load_numbers = itertools.count(1)


class ResourceLoad(BufferedLoad):
    """The rows of one resource for one load; see ``DuckDBDestination.begin``."""

    def __init__(self, dest: DuckDBDatabase, resource: str, *, load_id: str,
                 write_disposition: WriteDisposition, primary_key: tuple[str, ...],
                 root_table: str, exclusive: bool, merge_key: tuple[str, ...] = ()) -> None:
        self._init_load(resource, load_id=load_id, write_disposition=write_disposition,
                        primary_key=primary_key, root_table=root_table, merge_key=merge_key)
        self._own_transaction = exclusive
        self._direct = exclusive and write_disposition in ("append", "replace")
        self._emptied = write_disposition != "replace"  # replace empties its tables once
        self._tag = f"{load_id}_{next(_load_numbers)}"
        self._staged: dict[str, StagedTable] = {}
        self._threads: int | None = None  # the database's DuckDB threads, read at the 1st insert
        self._started_at = datetime.now(UTC)
        self.stored_schema: dict[str, TableSchema] = {}
        """The schema stored for this resource's tables when the load began (pass it to
        ``Normalizer(stored=...)`` so names, types and contracts follow it)."""
        dest.prepare(staging=not self._direct)
        if exclusive:
            self._db = dest.on(dest.con.cursor())
            self._db.sql("BEGIN TRANSACTION")
        else:
            self._db = dest

    @property
    def staged(self) -> dict[str, StagedTable]:
        """Table -> where its rows went (for the disposition code)."""
        return self._staged

    def write(self, batch: TableBatch) -> None:
        """Take one batch; nothing becomes visible before :meth:`commit`.

        Batches are buffered per table (at most ``FLUSH_ROWS`` rows) and bulk-inserted, so
        memory stays bounded.

        Raises:
            DestinationError: The load was already committed/aborted, or DuckDB refused.
        """
        if self._buffer(batch, table=batch.table, parent=batch.parent_table, schema=batch.schema,
                        number=batch.table == self.root_table and not self._direct,
                        flush_rows=FLUSH_ROWS):
            self._flush(batch.table)

    def _flush(self, table: str) -> None:
        """Move a table's buffered Arrow batches into DuckDB in one bulk insert."""
        parent, chunks = self._buffers.take(table)
        for chunk in chunks:
            try:
                self._insert(table, parent, chunk)
            except duckdb.Error as exc:
                memory = self._db.memory
                why = aborted_message(safe_message(exc), rows=chunk.num_rows,
                                      columns=chunk.num_columns,
                                      limit=memory.limit if memory else None,
                                      explicit=memory.explicit if memory else False)
                raise DestinationError(f"loading rows failed: {why or safe_message(exc)}",
                                       location=self._where(table)) from exc

    def _insert(self, table: str, parent: str | None, chunk: pa.Table) -> None:
        db = self._db
        # A relation, not con.register(): a registered view dropped inside an open
        # transaction keeps its Arrow table alive until the transaction ends.
        relation = db.con.from_arrow(chunk)
        view = f"_restsync_arrow_{next(_view_numbers)}"
        staged = self._staged.get(table)
        if staged is None and self._direct and not self._emptied:
            self._empty_tables()
        if staged is None:
            staged = StagedTable(table, None if self._direct else f"{self._tag}__{table}", parent)
            self._staged[table] = staged
            staged.columns = db.columns(*self._target(staged))
        target = db.ref(*self._target(staged))
        if staged.arrow_schema is None or not staged.arrow_schema.equals(chunk.schema):
            described = relation.query(view, f"DESCRIBE SELECT * FROM {quote(view)}")
            assert described is not None  # a SELECT-like statement returns a relation
            incoming = {r[0]: r[1] for r in described.fetchall()}
            if staged.columns:
                db.reconcile(*self._target(staged), staged.columns, incoming)
            else:
                db.create_table(*self._target(staged), incoming)
                staged.columns = dict(incoming)
            staged.arrow_schema = chunk.schema
            if db.memory is not None:  # an open load holds ~1 MB per column: make room
                db.memory.fit(self._tag, table, len(staged.columns))
        with self._insert_threads():
            relation.query(view, f"INSERT INTO {target} BY NAME SELECT * FROM {quote(view)}")
        staged.rows += chunk.num_rows

    @contextlib.contextmanager
    def _insert_threads(self) -> Iterator[None]:
        """Run the block with :data:`ARROW_INSERT_THREADS` DuckDB threads (when the database
        has more), then put the database's setting back."""
        con = self._db.con
        if self._threads is None:
            row = con.execute("SELECT current_setting('threads')").fetchone()
            self._threads = int(row[0]) if row else ARROW_INSERT_THREADS
        if self._threads <= ARROW_INSERT_THREADS:
            yield
            return
        con.execute(f"SET threads = {ARROW_INSERT_THREADS}")
        try:
            yield
        finally:  # a failure here must not hide the insert's own error (threads only tune)
            with contextlib.suppress(duckdb.Error):
                con.execute(f"SET threads = {self._threads}")

    def _target(self, staged: StagedTable) -> tuple[str, str]:
        if staged.staging_name is None:
            return self._db.dataset, staged.table
        return self._db.staging, staged.staging_name

    def commit(self, state: Mapping[str, Any] | None,
               history: Mapping[str, Any] | None = None) -> LoadReport:
        """Apply the write disposition, store ``state`` and a load record in ONE transaction.

        Args:
            state: The resource's new state (JSON-serializable), or None to leave it as is.
            history: The run's record of the resource (the load record's ``details``).

        Returns:
            A :class:`~restsync.load.LoadReport`.

        Raises:
            DestinationError: Nothing was committed (e.g. a merge where some records lack the
                primary key); the load's rows are dropped.
        """
        self._check_open()
        state_json = self._state_json(state)
        db = self._db
        try:
            for table in self._buffers.tables():
                self._flush(table)
            if not self._own_transaction:
                db.sql("BEGIN TRANSACTION")
            if self._direct and not self._emptied:  # a replace that staged no row
                self._empty_tables()
            report = self._direct_report() if self._direct else \
                apply_disposition(db, self, self.primary_key, self.merge_key)
            faultpoints.reach("load.commit.data")
            self._record_schema(report)
            self._write_meta(state_json, sum(report.rows.values()),
                             details_json(history, report))
            faultpoints.reach("load.commit.state")
            self._drop_staging()
            db.sql("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                db.sql("ROLLBACK")
            self.abort()
            if isinstance(exc, DestinationError):
                raise
            if isinstance(exc, duckdb.Error):
                raise DestinationError(f"commit failed: {safe_message(exc)}",
                                       location=self._where()) from exc
            raise
        self._close()
        return report

    def abort(self) -> None:
        """Drop the load's rows; the dataset stays as it was. Safe to call more than once."""
        if self._closed:
            return
        self._buffers.clear()
        with contextlib.suppress(duckdb.Error):  # best effort: nothing uncommitted survives
            if self._own_transaction:
                self._db.sql("ROLLBACK")
            else:
                self._drop_staging()
        self._close()

    def _close(self) -> None:
        self._closed = True
        if self._db.memory is not None:
            self._db.memory.release(self._tag)
        if self._own_transaction:
            with contextlib.suppress(duckdb.Error):
                self._db.con.close()

    def _empty_tables(self) -> None:
        """Delete every row of the root table and its child tables (``replace``, direct),
        inside the load's transaction: before its first insert, or at a commit with none."""
        self._emptied = True
        empty_dataset_tables(self._db, self.root_table)

    def _direct_report(self) -> LoadReport:
        report = LoadReport(disposition_applied=self.write_disposition)
        report.rows = {table: staged.rows for table, staged in self._staged.items()}
        return report

    def _record_schema(self, report: LoadReport) -> None:
        """Store the new schema version of every loaded table and its comments (same tx)."""
        self._db.schema_store.record_load(
            {table: staged.parent for table, staged in self._staged.items()},
            lambda table: self._db.columns(self._db.dataset, table),
            self._schemas, self.stored_schema, load_id=self.load_id, resource=self.resource,
            report=report)


    def _drop_staging(self) -> None:
        for staged in self._staged.values():
            if staged.staging_name is not None:
                self._db.sql(f"DROP TABLE IF EXISTS "
                             f"{self._db.ref(self._db.staging, staged.staging_name)}")

    def _write_meta(self, state_json: str | None, rows: int, details: str) -> None:
        db, ds = self._db, self._db.dataset  # the tables exist: see DuckDBDestination.prepare
        now = datetime.now(UTC).isoformat()
        started = self._started_at.isoformat()
        if state_json is not None:
            db.sql(f"DELETE FROM {db.ref(ds, STATE_TABLE)} WHERE resource = ?", [self.resource])
            db.sql(f"INSERT INTO {db.ref(ds, STATE_TABLE)} "
                   "VALUES (?, ?, ?, CAST(? AS TIMESTAMPTZ))",
                   [self.resource, state_json, self.load_id, now])
        db.sql(insert_load_sql(db.ref(ds, LOADS_TABLE), "?", "JSON"),
               [self.load_id, self.resource, "committed", rows, started, now, details])
