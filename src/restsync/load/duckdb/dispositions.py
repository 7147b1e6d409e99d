"""DuckDB's SQL for the write dispositions, run inside the commit transaction of a load.

* ``append``: insert every staged row.
* ``replace``: delete every row of the root table and its child tables (``<root>__...``), then
  insert every staged row.
* ``merge``: keep the LAST staged root row per primary key (staging order), delete target roots
  with those keys and their descendants (by ``_dlt_root_id``), insert the kept roots and only the
  children of kept roots. When no staged root row carries any primary key value the load is a
  ``replace`` (a snapshot) with a note; when only some do, nothing is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from restsync.load.buffers import SEQ_COLUMN
from restsync.load.duckdb.database import DuckDBDatabase
from restsync.load.report import LoadReport
from restsync.load.sql import rules
from restsync.load.sql.names import quote
from restsync.normalize import DLT_ID, DLT_ROOT_ID, normalize_identifier


@dataclass
class StagedTable:
    """One table a load writes: where its rows go and its columns (name -> DuckDB type).

    ``staging_name`` is None when the rows go straight into the dataset's table (``append``
    in its own transaction).
    """

    table: str
    staging_name: str | None
    parent: str | None
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    arrow_schema: pa.Schema | None = None  # of the last chunk: the same one needs no DESCRIBE


def apply_disposition(dest: DuckDBDatabase, load: rules.StagedLoad,
                      primary_key: Sequence[str]) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition."""
    return rules.apply_disposition(dest, load, [normalize_identifier(k) for k in primary_key],
                                   ensure_target=_ensure_target, insert=_insert, merge=_merge)


def _staged_ref(dest: DuckDBDatabase, staged: StagedTable) -> str:
    return rules.staged_ref(dest, staged)


def _ensure_target(dest: DuckDBDatabase, staged: StagedTable) -> None:
    incoming = {k: v for k, v in staged.columns.items() if k != SEQ_COLUMN}
    existing = dest.columns(dest.dataset, staged.table)
    if not existing:
        dest.create_table(dest.dataset, staged.table, incoming)
        return
    dest.reconcile(dest.dataset, staged.table, existing, incoming)


def _insert(dest: DuckDBDatabase, staged: StagedTable, *, where: str) -> int:
    exclude = f" EXCLUDE ({quote(SEQ_COLUMN)})" if SEQ_COLUMN in staged.columns else ""
    row = dest.sql(
        f"INSERT INTO {dest.ref(dest.dataset, staged.table)} BY NAME "
        f"SELECT *{exclude} FROM {_staged_ref(dest, staged)} {where}")
    return int(row[0][0]) if row else 0


def _merge(dest: DuckDBDatabase, load: rules.StagedLoad, root: StagedTable, pk: list[str],
           report: LoadReport) -> None:
    target_root = dest.ref(dest.dataset, root.table)
    target_types = dest.columns(dest.dataset, root.table)
    staged_root = _staged_ref(dest, root)
    partition = ", ".join(quote(k) for k in pk)
    kept = quote(f"_restsync_kept_{root.staging_name}")
    dest.sql(
        f"CREATE TEMP TABLE {kept} AS SELECT {quote(DLT_ID)} FROM {staged_root} "
        f"QUALIFY row_number() OVER (PARTITION BY {partition} "
        f"ORDER BY {quote(SEQ_COLUMN)} DESC) = 1")
    match = " AND ".join(
        f"tgt.{quote(k)} = CAST(s.{quote(k)} AS {target_types[k]})" for k in pk)
    replaced_roots = (f"SELECT {quote(DLT_ID)} FROM {target_root} AS tgt WHERE EXISTS "
                      f"(SELECT 1 FROM {staged_root} AS s WHERE {match})")
    for table in dest.schema_tables(dest.dataset):
        if table.startswith(load.root_table + "__") and \
                DLT_ROOT_ID in dest.columns(dest.dataset, table):
            dest.sql(f"DELETE FROM {dest.ref(dest.dataset, table)} "
                        f"WHERE {quote(DLT_ROOT_ID)} IN ({replaced_roots})")
    dest.sql(f"DELETE FROM {target_root} AS tgt WHERE EXISTS "
                f"(SELECT 1 FROM {staged_root} AS s WHERE {match})")
    for staged in load.staged.values():
        key = DLT_ID if staged is root else DLT_ROOT_ID
        report.rows[staged.table] = _insert(
            dest, staged, where=f"WHERE {quote(key)} IN (SELECT {quote(DLT_ID)} FROM {kept})")
    dest.sql(f"DROP TABLE {kept}")
