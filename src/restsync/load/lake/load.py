"""One resource's load into a lake dataset: stage Parquet files, plan the commit, run it.

The rows of every table are staged as Parquet files (bounded memory: at most ``FLUSH_ROWS``
rows per table in Arrow). The commit works out, before touching any table, everything it
will do: the disposition (the same rules as the SQL destinations), each table's columns after
schema evolution, the roots a merge replaces, the stored schema versions, the load record and
the new state; then it writes that plan as a journal and commits it table by table
(:mod:`restsync.load.lake.journal`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from restsync.errors import DestinationError
from restsync.load.buffers import SEQ_COLUMN, BufferedLoad
from restsync.load.disposition import choose_disposition
from restsync.load.history import details_json
from restsync.load.lake import meta
from restsync.load.lake.columns import TableColumns, sql_type_name
from restsync.load.lake.commit import kept_roots
from restsync.load.lake.dataset import LakeDataset
from restsync.load.lake.files import remove_tree
from restsync.load.lake.journal import Journal, Step, encode_columns
from restsync.load.lake.staging import StagedFiles, Staging
from restsync.load.protocol import WriteDisposition
from restsync.load.report import LoadReport
from restsync.load.schema_diff import final_schema, next_version
from restsync.normalize import DLT_ID, DLT_ROOT_ID, TableBatch, TableSchema, kinds
from restsync.normalize import normalize_identifier as ident

FLUSH_ROWS = 50_000
"""Rows per table buffered in Arrow before they are written as one staged Parquet file."""


class LakeResourceLoad(BufferedLoad):
    """The rows of one resource for one load into a lake dataset.

    Args:
        lake: The dataset (lock held, recovered).
        resource: Resource name.
        load_id: The run's load id.
        write_disposition: ``append``, ``replace`` or ``merge``.
        primary_key: The root table's key as JSON keys.
        root_table: The root table (children are ``<root>__...``).
        merge_key: dlt's merge key as JSON keys.
    """

    def __init__(self, lake: LakeDataset, resource: str, *, load_id: str,
                 write_disposition: WriteDisposition, primary_key: tuple[str, ...],
                 root_table: str, merge_key: tuple[str, ...] = ()) -> None:
        self.lake = lake
        self._init_load(resource, load_id=load_id, write_disposition=write_disposition,
                        primary_key=primary_key, root_table=root_table, merge_key=merge_key)
        self.stored_schema: dict[str, TableSchema] = {}
        self._started_at = datetime.now(UTC)
        self._staging_name, staging_root = lake.new_staging(load_id)
        self._staging = Staging(staging_root)

    def write(self, batch: TableBatch) -> None:
        """Take one batch; nothing is visible before :meth:`commit`."""
        if self._buffer(batch, table=batch.table, parent=batch.parent_table, schema=batch.schema,
                        number=batch.table == self.root_table, flush_rows=FLUSH_ROWS):
            self._flush(batch.table)

    def _flush(self, table: str) -> None:
        parent, chunks = self._buffers.take(table)
        for chunk in chunks:
            try:
                self._staging.write(table, parent, chunk)
            except (OSError, pa.ArrowException) as exc:
                raise DestinationError(f"staging failed: {exc}",
                                       location=self._where(table)) from exc

    def commit(self, state: Mapping[str, Any] | None,
               history: Mapping[str, Any] | None = None) -> LoadReport:
        """Commit the rows, the schema versions, a load record and ``state``, exactly once.

        ``history`` (the run's record of the resource) goes into the load record's ``details``.

        Raises:
            DestinationError: Nothing was committed (a problem found while planning), or the
                commit was interrupted (the next open of the dataset completes it).
        """
        self._check_open()
        state_json = self._state_json(state)
        try:
            self.lake.check_open()
            for table in self._buffers.tables():
                self._flush(table)
            self._staging.make_durable()
            journal, report = _Planner(self, state_json, history).plan()
        except BaseException as exc:
            self.abort()
            if isinstance(exc, DestinationError) or not isinstance(exc, Exception):
                raise
            raise DestinationError(f"commit failed: {type(exc).__name__}: {exc}",
                                   location=self._where()) from exc
        self._closed = True
        self.lake.run(journal)
        return report

    def abort(self) -> None:
        """Drop the staged rows; the dataset stays as it was. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._buffers.clear()
        remove_tree(self._staging.root)



class _Planner:
    """Works out one commit's journal and report (reads the dataset, writes nothing but
    staged files: the roots a merge replaces, tables rewritten for a widened type)."""

    def __init__(self, load: LakeResourceLoad, state_json: str | None,
                 history: Mapping[str, Any] | None = None) -> None:
        self.load = load
        self.history = history
        self.fmt = load.lake.fmt
        self.staging = load._staging
        self.state_json = state_json
        self.report = LoadReport()
        self.steps: list[Step] = []
        self.after: dict[str, TableColumns] = {}
        self._kept: pa.Array | None = None  # roots a merge keeps (None: every staged root)

    def plan(self) -> tuple[Journal, LoadReport]:
        load, report = self.load, self.report
        staged = self.staging.tables
        root = staged.get(load.root_table)
        pk = [ident(k) for k in load.primary_key]
        mk = [ident(k) for k in load.merge_key]

        def lacking(key: list[str]) -> int:
            merging = load.write_disposition == "merge" and root is not None
            return self._rows_lacking_key(root, key) if merging and key and root else 0

        disposition = choose_disposition(
            load.write_disposition, pk, root.rows if root is not None else 0, lacking(pk),
            resource=load.resource, root_table=load.root_table, report=report, merge_key=mk,
            rows_lacking_merge_key=lacking(mk))
        report.disposition_applied = disposition
        family = [t for t in self.fmt.tables()
                  if t == load.root_table or t.startswith(load.root_table + "__")]
        tables = sorted(set(staged) | (set(family) if disposition != "append" else set()),
                        key=lambda t: (t != load.root_table, t))
        replaced_ids = self._replaced_roots(root, pk, mk) if (
            disposition == "merge" and root is not None) else None
        root_step: int | None = None
        for table in tables:
            files = staged.get(table)
            before, after = self._columns(table, files)
            self.after[table] = after
            if after.changed_from(before) and disposition != "replace" and \
                    self.fmt.schema(table) is not None:
                self._rewrite(table, before, after)
            step = Step(table, "append", encode_columns(after),
                        files=list(files.files) if files else [])
            if disposition == "replace":
                step.op = "replace"
            elif disposition == "merge":
                if files is None and (table == load.root_table or replaced_ids is None):
                    continue  # nothing to delete, nothing to add
                if table == load.root_table:
                    root_step = len(self.steps)
                    if mk:  # rows sharing the primary key OR the merge key go
                        step.op, step.root_ids = "delete_insert", replaced_ids
                        if pk:
                            step.keys, step.keep_last_by = pk, SEQ_COLUMN
                    else:
                        step.op, step.keys, step.keep_last_by = "upsert", pk, SEQ_COLUMN
                else:
                    step.op, step.roots_from = "replace_children", root_step
                    step.root_ids = replaced_ids
            elif files is None:
                continue
            self.steps.append(step)
            if files is not None:
                report.rows[table] = self._rows_of(step, files)
        self._meta_steps()
        journal = Journal(commit_id="", resource=load.resource, load_id=load.load_id,
                          staging=load._staging_name,
                          first_version=load.lake.first_version(
                              sorted({s.table for s in self.steps})),
                          steps=self.steps)
        journal.commit_id = f"{journal.first_version:020d}"
        return journal, report

    # -- columns and evolution -----------------------------------------------------------------

    def _columns(self, table: str, files: StagedFiles | None
                 ) -> tuple[TableColumns, TableColumns]:
        stored = self.load.stored_schema.get(table)
        json_columns = [n for n, c in (stored.columns.items() if stored else ())
                        if c.data_type == kinds.JSON]
        before = TableColumns(self.fmt.schema(table), json_columns)
        if files is None:
            return before, before.copy()
        after = before.copy()
        incoming = files.columns().without(SEQ_COLUMN)

        def inexact(name: str) -> bool:
            if name in files.inexact:
                return True
            if before.kinds.get(name) != kinds.BIGINT:
                return False
            column = self.fmt.read(table, [name]).column(name).combine_chunks()
            return kinds.has_inexact_ints(column)

        after.absorb(incoming, inexact)
        return before, after

    def _rewrite(self, table: str, before: TableColumns, after: TableColumns) -> None:
        """A table whose column type widened is rewritten (one commit) before the new rows."""
        existing = self.fmt.read(table)
        name = f"_rewrite/{table}.parquet"
        (self.staging.root / "_rewrite").mkdir(parents=True, exist_ok=True)
        pq.write_table(_as_kinds(existing, before), self.staging.root / name)
        self.staging.make_durable_file(name)
        self.steps.append(Step(table, "replace", encode_columns(after), files=[name]))
        for column in after.changed_from(before):
            self.report.notes.append(
                f"{table}.{column}: {before.kinds[column]} -> {after.kinds[column]} "
                f"(the table was rewritten)")

    # -- merge ---------------------------------------------------------------------------------

    def _rows_lacking_key(self, root: StagedFiles, key: list[str]) -> int:
        lacking = 0
        for name in root.files:
            path = self.staging.root / name
            present = set(pq.read_schema(path).names)
            if any(k not in present for k in key):
                lacking += pq.read_metadata(path).num_rows
                continue
            table = pq.read_table(path, columns=key)
            missing = pc.is_null(table.column(key[0]))
            for k in key[1:]:
                missing = pc.or_(missing, pc.is_null(table.column(k)))
            lacking += pc.sum(missing).as_py() or 0
        return lacking

    def _replaced_roots(self, root: StagedFiles, pk: list[str], mk: list[str]) -> str | None:
        """Stage the ``_dlt_id`` of every stored root row a merge replaces: those that share
        the primary key, or the merge key, with a staged root (dlt's delete-insert)."""
        target = self.fmt.schema(self.load.root_table)
        if target is None or DLT_ID not in target.names:
            return None
        keys = [key for key in (pk, mk) if key and all(k in target.names for k in key)]
        if not keys:
            return None
        _, after = self._columns(self.load.root_table, root)
        names = list(dict.fromkeys(k for key in keys for k in key))
        columns = TableColumns()
        columns.types = {k: after.types[k] for k in names}
        columns.kinds = {k: after.kinds[k] for k in names}
        stored = self.fmt.read(self.load.root_table, [*names, DLT_ID])
        stored_keys = columns.conform(stored.select(names)).append_column(
            DLT_ID, stored.column(DLT_ID))
        staged_keys = pa.concat_tables(
            [columns.conform(pq.read_table(self.staging.root / n, columns=names))
             for n in root.files])
        matched = [stored_keys.join(staged_keys.select(key).group_by(key).aggregate([]), key,
                                    join_type="left semi").select([DLT_ID]) for key in keys]
        ids = pa.concat_tables(matched).group_by([DLT_ID]).aggregate([])
        if ids.num_rows == 0:
            return None
        pq.write_table(ids, self.staging.root / "_replaced_roots.parquet")
        self.staging.make_durable_file("_replaced_roots.parquet")
        return "_replaced_roots.parquet"

    def _rows_of(self, step: Step, files: StagedFiles | None) -> int:
        """Rows the step inserts (a merge on a primary key keeps the last row per key, and
        their children)."""
        if files is None:
            return 0
        if step.op in ("upsert", "delete_insert"):
            self._kept = _kept_root_ids(self.staging.root, step) if step.keep_last_by else None
            return files.rows if self._kept is None else len(self._kept)
        if step.op == "replace_children" and step.roots_from is not None and \
                self._kept is not None:
            kept = self._kept
            return sum(pc.sum(pc.is_in(pq.read_table(self.staging.root / n,
                                                     columns=[DLT_ROOT_ID]).column(0),
                                       value_set=kept)).as_py() or 0 for n in step.files)
        return files.rows

    # -- restsync's own tables -----------------------------------------------------------------

    def _meta_steps(self) -> None:
        load, report = self.load, self.report
        now = meta.now_micros()
        schema_rows, change_rows = [], []
        for table, after in self.after.items():
            files = self.staging.tables.get(table)
            if files is None:
                continue
            previous = load.stored_schema.get(table)
            actual = {n: sql_type_name(k or kinds.TEXT, after.types[n])
                      for n, k in after.kinds.items()}
            new = final_schema(table, actual, load._schemas.get(table), previous,
                               parent=files.parent, resource=load.resource)
            changes = next_version(new, previous)
            report.schema_versions[table] = new.version or (previous.version if previous else 0)
            if changes is None:
                continue
            report.schema_changes.extend(str(c) for c in changes)
            schema_rows.append({"table_name": table, "version": new.version,
                                "resource": load.resource, "parent_table": new.parent,
                                "load_id": load.load_id,
                                "schema": orjson.dumps(new.to_dict()).decode(),
                                "created_at": now})
            change_rows += [{"load_id": load.load_id, "resource": load.resource,
                             "table_name": c.table, "version": new.version, "change": c.change,
                             "column_name": c.column, "old_type": c.old_type,
                             "new_type": c.new_type, "json_path": c.json_path,
                             "created_at": now} for c in changes]
        started = meta.micros(load._started_at)
        loads = [{"load_id": load.load_id, "resource": load.resource, "status": "committed",
                  "rows": sum(report.rows.values()), "started_at": started,
                  "finished_at": now, "details": details_json(self.history, report)}]
        for table, rows in ((meta.SCHEMA_TABLE, schema_rows), (meta.CHANGES_TABLE, change_rows),
                            (meta.LOADS_TABLE, loads)):
            if rows:
                self.steps.append(Step(table, "append", encode_columns(meta.meta_columns(table)),
                                       rows=rows))
        if self.state_json is not None:
            rows = meta.state_rows(self.fmt, {load.resource: self.state_json}, load.load_id)
            self.steps.append(Step(meta.STATE_TABLE, "replace",
                                   encode_columns(meta.meta_columns(meta.STATE_TABLE)),
                                   rows=rows))


def _kept_root_ids(root: Path, step: Step) -> pa.Array:
    return kept_roots(root, step)


def _as_kinds(table: pa.Table, columns: TableColumns) -> pa.Table:
    """Stored rows with their JSON columns typed as JSON again (so conversions see JSON)."""
    for name in columns.json_columns():
        if name in table.column_names:
            index = table.column_names.index(name)
            storage = table.column(name).cast(pa.string())
            table = table.set_column(index, pa.field(name, kinds.JSON_TYPE), pa.chunked_array(
                [pa.ExtensionArray.from_storage(kinds.JSON_TYPE, c) for c in storage.chunks],
                kinds.JSON_TYPE))
    return table
