"""A dataset in a lake format, as a :class:`restsync.load.protocol.Destination`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from restsync.errors import DestinationError
from restsync.load.history import decoded, latest_runs, run_row
from restsync.load.lake import meta
from restsync.load.lake.columns import TableColumns, sql_type_name
from restsync.load.lake.dataset import LakeDataset
from restsync.load.lake.journal import Journal, Operation, Step, encode_columns
from restsync.load.lake.load import LakeResourceLoad
from restsync.load.lake.table_format import TableFormat
from restsync.load.protocol import WRITE_DISPOSITIONS, WriteDisposition
from restsync.load.schema_diff import with_unrecorded
from restsync.normalize import TableSchema, kinds


class LakeDestination:
    """One dataset of Delta, Iceberg or Parquet tables.

    Args:
        fmt: The dataset's tables in their format.
        private: The dataset's private folder (lock, pending commits, staging).
        dataset: The dataset name.
        where: How to name the destination in messages (no secrets).
        merge_hint: Why merge is impossible, for formats that cannot merge.
    """

    def __init__(self, fmt: TableFormat, private: Path, dataset: str, *, where: str,
                 merge_hint: str | None = None) -> None:
        if not dataset:
            raise DestinationError("dataset name is empty", location="destination")
        self.fmt = fmt
        self.dataset = dataset
        self.table_formats = fmt.table_formats
        self.where = where
        self._merge_hint = merge_hint
        try:
            self.lake = LakeDataset(fmt, private, where=where)
        except BaseException:
            fmt.close()
            raise

    def begin(self, resource: str, *, load_id: str, write_disposition: WriteDisposition,
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True,
              merge_key: Sequence[str] | None = None) -> LakeResourceLoad:
        """Start loading one resource (see :class:`restsync.load.protocol.Destination`)."""
        del exclusive  # every lake load stages on its own
        if write_disposition not in WRITE_DISPOSITIONS:
            raise DestinationError(f"unknown write disposition {write_disposition!r}",
                                   location=f"resource '{resource}'")
        if write_disposition == "merge" and not self.fmt.supports_upsert:
            raise DestinationError(
                f"{self.fmt.name} destinations append or replace; they cannot merge",
                location=f"resource '{resource}'", hint=self._merge_hint)
        self.lake.check_open()
        load = LakeResourceLoad(self.lake, resource, load_id=load_id,
                                write_disposition=write_disposition,
                                primary_key=tuple(primary_key or ()), root_table=root_table,
                                merge_key=tuple(merge_key or ()))
        load.stored_schema = self.stored_schema(root_table)
        return load

    def get_state(self, resource: str) -> dict[str, Any]:
        """The state last committed for ``resource``, ``{}`` if none."""
        return self.states().get(resource, {})

    def states(self) -> dict[str, dict[str, Any]]:
        """Every resource's committed state, by resource name."""
        return meta.read_states(self.fmt)

    def reset_state(self, resource: str | None = None) -> list[str]:
        """Forget the state of ``resource`` (every resource when None); data stays."""
        chosen = [r for r in self.states() if resource in (None, r)]
        if not chosen:
            return []
        rows = meta.state_rows(self.fmt, dict.fromkeys(chosen), "reset")
        self._commit_meta(meta.STATE_TABLE, "replace", rows, ", ".join(chosen), "reset")
        return chosen

    def stored_schema(self, root_table: str | None = None) -> dict[str, TableSchema]:
        """Latest stored schema of every table (of one resource's tables with ``root_table``).

        A data table without a stored schema is described from its columns, with version 0.
        """
        return with_unrecorded(meta.latest_schemas(self.fmt, root_table), self.tables(),
                               root_table, self._actual_types)

    def _actual_types(self, table: str) -> dict[str, str]:
        columns = TableColumns(self.fmt.schema(table))
        return {n: sql_type_name(k or kinds.TEXT, columns.types[n])
                for n, k in columns.kinds.items()}

    def schema_history(self, table: str | None = None) -> list[dict[str, Any]]:
        """Every recorded schema change, oldest first (of one table when given)."""
        rows = [r for r in meta.read_rows(self.fmt, meta.CHANGES_TABLE)
                if table in (None, r["table_name"])]
        rows.sort(key=lambda r: (r["created_at"], r["table_name"], r["version"]))
        keys = {"table_name": "table", "column_name": "column"}
        return [{keys.get(k, k): v for k, v in r.items() if k != "created_at"} for r in rows]

    def loads(self) -> list[dict[str, Any]]:
        """The load records (one per committed resource load), oldest first."""
        return sorted(meta.read_rows(self.fmt, meta.LOADS_TABLE),
                      key=lambda r: (r["finished_at"], r["resource"]))

    def load_records(self, load_id: str | None = None) -> list[dict[str, Any]]:
        """Load records (of one run with ``load_id``), oldest first (``details`` decoded)."""
        return lake_load_records(self.fmt, load_id)

    def record_run(self, record: Mapping[str, Any]) -> None:
        """Append a run record: one commit of ``_restsync_runs`` of its own."""
        run_id, status, started, finished, text = run_row(record)
        row = {"run_id": run_id, "status": status, "started_at": _micros(started),
               "finished_at": _micros(finished), "record": text}
        self._commit_meta(meta.RUNS_TABLE, "append", [row], f"run {run_id}", run_id)

    def run_records(self) -> list[dict[str, Any]]:
        """The last record of every run, oldest run first (``record`` decoded)."""
        return lake_run_records(self.fmt)

    def _commit_meta(self, table: str, op: Operation, rows: list[dict[str, Any]], what: str,
                     load_id: str) -> None:
        """One commit of one of restsync's own tables, through the journal."""
        step = Step(table, op, encode_columns(meta.meta_columns(table)), rows=rows)
        name, _ = self.lake.new_staging(load_id)
        journal = Journal(commit_id="", resource=what, load_id=load_id, staging=name,
                          first_version=self.lake.first_version([table]), steps=[step])
        journal.commit_id = f"{journal.first_version:020d}"
        self.lake.run(journal)

    def tables(self) -> list[str]:
        """Data tables in the dataset, sorted (restsync's own ``_restsync_*`` tables excluded)."""
        return [t for t in self.fmt.tables() if not t.startswith("_restsync")]

    def close(self) -> None:
        """Release the dataset lock and the format's resources."""
        self.lake.close()
        self.fmt.close()


def _micros(moment: str | None) -> int | None:
    return meta.micros(datetime.fromisoformat(moment)) if moment else None


def _iso(moment: Any) -> Any:
    return moment.isoformat() if isinstance(moment, datetime) else moment


def lake_load_records(fmt: TableFormat, load_id: str | None = None) -> list[dict[str, Any]]:
    """A lake dataset's load records (of one run with ``load_id``), oldest first."""
    rows = sorted(meta.read_rows(fmt, meta.LOADS_TABLE),
                  key=lambda r: (r["finished_at"], r["resource"]))
    return [{**r, "details": decoded(r.get("details")),
             **{k: _iso(r.get(k)) for k in ("started_at", "finished_at")}}
            for r in rows if load_id in (None, r["load_id"])]


def lake_run_records(fmt: TableFormat) -> list[dict[str, Any]]:
    """A lake dataset's run records: the last of every run, oldest run first."""
    return latest_runs([{**r, "record": decoded(r.get("record")),
                         **{k: _iso(r.get(k)) for k in ("started_at", "finished_at")}}
                        for r in meta.read_rows(fmt, meta.RUNS_TABLE)])


def read_lake_history(fmt: TableFormat) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run and load records straight from the tables: no lock taken, no pending commit
    completed (a run may be loading the dataset; its unfinished commit is not shown)."""
    try:
        return lake_run_records(fmt), lake_load_records(fmt)
    finally:
        fmt.close()
