"""Running a commit journal: each step once, in order, skipping the ones already committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from restsync import faultpoints
from restsync.load.lake.columns import TableColumns
from restsync.load.lake.journal import Journal, Step, decode_columns
from restsync.load.lake.table_format import TableFormat
from restsync.normalize import DLT_ID, DLT_ROOT_ID


class _Roots:
    """The rows an ``upsert`` step keeps: the last staged row per key (by ``keep_last_by``)."""

    def __init__(self, step: Step, columns: TableColumns, root: Path) -> None:
        assert step.keep_last_by is not None
        seq = step.keep_last_by
        parts = []
        for name in step.files:
            table = pq.read_table(root / name, columns=[*step.keys, seq])
            keys = TableColumns()
            keys.types = {k: columns.types[k] for k in step.keys}
            keys.kinds = {k: columns.kinds[k] for k in step.keys}
            parts.append(keys.conform(table).append_column(seq, table.column(seq)))
        if parts:
            both = pa.concat_tables(parts)
            last = both.group_by(step.keys).aggregate([(seq, "max")])
            self.winners = last.column(f"{seq}_max").combine_chunks()
        else:
            self.winners = pa.array([], pa.int64())
        self.seq = seq
        self._ids: pa.Array | None = None
        self._step = step
        self._root = root

    def keep(self, table: pa.Table) -> pa.Table:
        return table.filter(pc.is_in(table.column(self.seq), value_set=self.winners))

    def ids(self) -> pa.Array:
        """``_dlt_id`` of every kept row (their children are the ones to load)."""
        if self._ids is None:
            chunks = [self.keep(pq.read_table(self._root / n, columns=[self.seq, DLT_ID]))
                      .column(DLT_ID) for n in self._step.files]
            self._ids = pa.chunked_array(
                [c for chunk in chunks for c in chunk.chunks], pa.string()).combine_chunks()
        return self._ids


def kept_roots(staging: Path, step: Step) -> pa.Array:
    """``_dlt_id`` of the staged roots an ``upsert`` step keeps (the last row per key)."""
    return _Roots(step, decode_columns(step.columns), staging).ids()


def run_journal(fmt: TableFormat, journal: Journal, staging: Path) -> list[int]:
    """Commit every step of ``journal`` that ``fmt`` does not have yet.

    Returns:
        The indexes of the steps committed now (the others were committed before).
    """
    roots: dict[int, _Roots] = {}
    done: list[int] = []
    for index, step in enumerate(journal.steps):
        columns = decode_columns(step.columns)
        if step.keep_last_by is not None:
            roots[index] = _Roots(step, columns, staging)
        mark = journal.mark(index)
        if fmt.applied(step.table, mark):
            continue
        schema = columns.schema()
        rows = _rows(step, columns, staging, roots.get(index),
                     roots.get(step.roots_from) if step.roots_from is not None else None)
        if step.op == "append":
            fmt.append(step.table, rows, schema, mark)
        elif step.op == "replace":
            fmt.replace(step.table, rows, schema, mark)
        elif step.op == "upsert":
            fmt.upsert(step.table, rows, schema, step.keys, mark)
        else:  # replace_children, delete_insert: the rows of stored roots replaced go
            ids = pq.read_table(staging / step.root_ids).column(DLT_ID).combine_chunks() \
                if step.root_ids else pa.array([], pa.string())
            fmt.replace_rows(step.table, rows, schema,
                             DLT_ID if step.op == "delete_insert" else DLT_ROOT_ID, ids, mark)
        done.append(index)
        faultpoints.reach("lake.commit.table")
    return done


def _rows(step: Step, columns: TableColumns, staging: Path, own: _Roots | None,
          parent: _Roots | None) -> Iterator[pa.Table]:
    """The step's rows, chunk by chunk, conformed to its columns."""
    if step.rows is not None:
        if step.rows:
            yield columns.conform(pa.Table.from_pylist(step.rows))
        return
    kept_ids = parent.ids() if parent is not None else None
    for name in step.files:
        table = pq.read_table(staging / name)
        if own is not None:
            table = own.keep(table)
        if kept_ids is not None:
            table = table.filter(pc.is_in(table.column(DLT_ROOT_ID), value_set=kept_ids))
        if table.num_rows:
            yield columns.conform(table)
