"""Write dispositions on PostgreSQL, run inside the commit transaction of a resource load.

The rules are :mod:`restsync.load.disposition`'s and the SQL sequence is
:mod:`restsync.load.sql.rules`' (shared with DuckDB): ``replace`` deletes (not TRUNCATE:
readers keep seeing the old rows until commit); ``merge`` is dlt's delete-insert on the primary
key and the merge key. What is PostgreSQL's own here: creating and evolving the target tables,
inserting with casts to the target column types, and comparing keys across types.
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
                      primary_key: Sequence[str], merge_key: Sequence[str] = ()) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition
    (keys as JSON keys)."""
    def names(keys: Sequence[str]) -> list[str]:
        return [pg_identifier(normalize_identifier(k)) for k in keys]
    return rules.apply_disposition(dest, load, names(primary_key), ensure_target=_ensure_target,
                                   insert=_insert, key_match=_key_match,
                                   merge_key=names(merge_key))


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
