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

from collections.abc import Sequence
from dataclasses import dataclass, field

from restsync.load.buffers import SEQ_COLUMN
from restsync.load.postgres.database import PostgresDatabase
from restsync.load.postgres.types import cast_expr, column_list, pg_identifier
from restsync.load.report import LoadReport
from restsync.load.sql import rules
from restsync.load.sql.names import quote
from restsync.normalize import normalize_identifier


@dataclass
class StagedTable:
    """One staged table of a load: where it lives and its columns (name -> PostgreSQL type)."""

    table: str
    staging_name: str
    parent: str | None
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0



def apply_disposition(dest: PostgresDatabase, load: rules.StagedLoad,
                      primary_key: Sequence[str]) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition."""
    pk = [pg_identifier(normalize_identifier(k)) for k in primary_key]
    return rules.apply_disposition(dest, load, pk, ensure_target=_ensure_target,
                                   insert=_insert, key_match=_key_match)


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


def _key_match(target_types: dict[str, str], staged: StagedTable, column: str) -> str:
    return f"tgt.{quote(column)} = " + cast_expr(f"s.{quote(column)}", staged.columns[column],
                                                 target_types[column])
