"""Write dispositions on PostgreSQL, run inside the commit transaction of a resource load.

Same semantics as the DuckDB destination (:mod:`restsync.load.disposition`):

* ``append``: insert every staged row.
* ``replace``: delete every row of the root table and its child tables (``<root>__...``), then
  insert every staged row (DELETE, not TRUNCATE: readers keep seeing the old rows until commit).
* ``merge``: keep the LAST staged root row per primary key (staging order), delete target roots
  with those keys and their descendants (by ``_dlt_root_id``), insert the kept roots and only the
  children of kept roots. No primary key at all: ``append`` with a note. No staged root row
  carries any key value: ``replace`` (a snapshot) with a note. Only some do: nothing is
  committed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from restsync.load.buffers import SEQ_COLUMN
from restsync.load.postgres.database import PostgresDatabase
from restsync.load.postgres.types import cast_expr, column_list, pg_identifier
from restsync.load.report import LoadReport
from restsync.load.sql import rules
from restsync.load.sql.names import quote
from restsync.normalize import DLT_ID, DLT_ROOT_ID, normalize_identifier


@dataclass
class StagedTable:
    """One staged table of a load: where it lives and its columns (name -> PostgreSQL type)."""

    table: str
    staging_name: str
    parent: str | None
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0

_kept_numbers = itertools.count(1)


def apply_disposition(dest: PostgresDatabase, load: rules.StagedLoad,
                      primary_key: Sequence[str]) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition."""
    pk = [pg_identifier(normalize_identifier(k)) for k in primary_key]
    return rules.apply_disposition(dest, load, pk, ensure_target=_ensure_target,
                                   insert=_insert, merge=_merge)


def _staged_ref(dest: PostgresDatabase, staged: StagedTable) -> str:
    return rules.staged_ref(dest, staged)


def _ensure_target(dest: PostgresDatabase, staged: StagedTable) -> None:
    incoming = {k: v for k, v in staged.columns.items() if k != SEQ_COLUMN}
    existing = dest.columns(dest.dataset, staged.table)
    if not existing:
        cols = ", ".join(f"{quote(name)} {typ}" for name, typ in incoming.items())
        dest.sql(f"CREATE TABLE {dest.ref(dest.dataset, staged.table)} ({cols})")
        return
    dest.reconcile(dest.dataset, staged.table, existing, incoming,
                   source=_staged_ref(dest, staged))


def _insert(dest: PostgresDatabase, staged: StagedTable, *, where: str) -> int:
    target_types = dest.columns(dest.dataset, staged.table)
    names = [n for n in staged.columns if n != SEQ_COLUMN]
    values = ", ".join(cast_expr(quote(n), staged.columns[n], target_types[n]) for n in names)
    row = dest.sql(
        f"INSERT INTO {dest.ref(dest.dataset, staged.table)} ({column_list(names)}) "
        f"SELECT {values} FROM {_staged_ref(dest, staged)} {where}")
    return int(row[0][0]) if row else 0


def _merge(dest: PostgresDatabase, load: rules.StagedLoad, root: StagedTable,
           pk: list[str], report: LoadReport) -> None:
    target_root = dest.ref(dest.dataset, root.table)
    target_types = dest.columns(dest.dataset, root.table)
    staged_root = _staged_ref(dest, root)
    keys = column_list(pk)
    kept = quote(f"_restsync_kept_{next(_kept_numbers)}")
    dest.sql(
        f"CREATE TEMP TABLE {kept} ON COMMIT DROP AS SELECT DISTINCT ON ({keys}) "
        f"{quote(DLT_ID)} FROM {staged_root} ORDER BY {keys}, {quote(SEQ_COLUMN)} DESC")
    match = " AND ".join(
        f"tgt.{quote(k)} = {cast_expr('s.' + quote(k), root.columns[k], target_types[k])}"
        for k in pk)
    replaced = f"EXISTS (SELECT 1 FROM {staged_root} AS s WHERE {match})"
    for table in dest.schema_tables(dest.dataset):
        if table.startswith(load.root_table + "__") and \
                DLT_ROOT_ID in dest.columns(dest.dataset, table):
            dest.sql(f"DELETE FROM {dest.ref(dest.dataset, table)} WHERE {quote(DLT_ROOT_ID)} "
                     f"IN (SELECT {quote(DLT_ID)} FROM {target_root} AS tgt WHERE {replaced})")
    dest.sql(f"DELETE FROM {target_root} AS tgt WHERE {replaced}")
    for staged in load.staged.values():
        key = DLT_ID if staged is root else DLT_ROOT_ID
        report.rows[staged.table] = _insert(
            dest, staged, where=f"WHERE {quote(key)} IN (SELECT {quote(DLT_ID)} FROM {kept})")
