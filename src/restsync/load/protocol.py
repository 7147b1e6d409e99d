"""What the engine needs from a destination: :class:`Destination` and :class:`ResourceLoad`.

Every destination (``load/duckdb``, ``load/postgres``, ``load/delta``, ``load/iceberg``,
``load/parquet``) implements these two protocols; the engine and the CLI use nothing else.
A destination is opened by URL through :mod:`restsync.load.registry`.

The contract, whatever the storage:

* nothing a load writes is visible before :meth:`ResourceLoad.commit`;
* ``commit`` applies the write disposition to the resource's root and child tables, stores the
  resource's state, a load record and the new schema versions, **exactly once**: after a crash
  at any moment, the next :func:`~restsync.load.open_destination` of the dataset either has all
  of it or none of it (SQL destinations: one transaction; lake formats: a commit journal that
  the next open completes, see :mod:`restsync.load.lake`);
* ``abort`` drops what the load wrote; the dataset stays as it was;
* one destination object is used from one thread at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from restsync.load.report import LoadReport
from restsync.normalize import TableBatch, TableSchema

WriteDisposition = Literal["append", "replace", "merge"]
WRITE_DISPOSITIONS: tuple[str, ...] = ("append", "replace", "merge")


class ResourceLoad(Protocol):
    """The rows of one resource for one load."""

    stored_schema: dict[str, TableSchema]
    """The schema stored for the resource's tables when the load began (the normalizer
    follows it: names, types, contracts)."""

    def write(self, batch: TableBatch) -> None:
        """Take one batch of rows; nothing becomes visible before :meth:`commit`."""
        ...

    def commit(self, state: Mapping[str, Any] | None,
               history: Mapping[str, Any] | None = None) -> LoadReport:
        """Apply the disposition and store ``state`` (None: leave it) and a load record.

        ``history`` is what the run recorded for the resource; it goes into the load record's
        ``details`` with the commit's own report (:mod:`restsync.load.history`).
        """
        ...

    def abort(self) -> None:
        """Drop what this load wrote; safe to call more than once."""
        ...


class Destination(Protocol):
    """One dataset in one destination, opened for a run (or for ``state``/``schema``)."""

    dataset: str
    table_formats: frozenset[str]
    """The dlt ``table_format`` names this destination writes (``delta``, ``iceberg``); a
    resource asking for another one is refused before the run sends anything."""

    def begin(self, resource: str, *, load_id: str, write_disposition: WriteDisposition,
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True, merge_key: Sequence[str] | None = None) -> ResourceLoad:
        """Start loading one resource.

        Args:
            resource: Resource name (state, load records, messages).
            load_id: The run's load id.
            write_disposition: ``append``, ``replace`` or ``merge``.
            primary_key: The root table's key as JSON keys (needed for ``merge``).
            root_table: The resource's root table (children are ``<root>__...``).
            exclusive: No other resource of the run writes these tables (a destination may
                load faster then).
            merge_key: dlt's merge key of the root table as JSON keys (``merge``: stored
                rows sharing it with a loaded row are replaced, see
                :mod:`restsync.load.disposition`).
        """
        ...

    def get_state(self, resource: str) -> dict[str, Any]:
        """The state last committed for ``resource`` (``{}`` if none)."""
        ...

    def states(self) -> dict[str, dict[str, Any]]:
        """Every resource's committed state, by resource name."""
        ...

    def reset_state(self, resource: str | None = None) -> list[str]:
        """Forget the state of ``resource`` (all when None); data stays. The resources reset."""
        ...

    def stored_schema(self, root_table: str | None = None) -> dict[str, TableSchema]:
        """Latest stored schema of every table (of one resource's tables with ``root_table``)."""
        ...

    def tables(self) -> list[str]:
        """Data tables of the dataset, sorted (restsync's own tables left out)."""
        ...

    def record_run(self, record: Mapping[str, Any]) -> None:
        """Append a run record (``run_id``, ``status``, ``started_at``, ``finished_at`` and the
        rest) on its own, never in a data commit (see :mod:`restsync.load.history`)."""
        ...

    def run_records(self) -> list[dict[str, Any]]:
        """The last record of every run, oldest run first: ``run_id``, ``status``,
        ``started_at``, ``finished_at`` and ``record`` (the whole document)."""
        ...

    def load_records(self, load_id: str | None = None) -> list[dict[str, Any]]:
        """Load records (of one run with ``load_id``), oldest first: ``load_id``,
        ``resource``, ``status``, ``rows``, ``started_at``, ``finished_at``, ``details``."""
        ...

    def close(self) -> None:
        """Release the dataset (locks, connections)."""
        ...
