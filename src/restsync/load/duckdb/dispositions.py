"""DuckDB's part of the write dispositions, run inside the commit transaction of a load.

The rules are :mod:`restsync.load.disposition`'s and the SQL sequence is
:mod:`restsync.load.sql.rules`' (shared with PostgreSQL): ``append`` inserts every staged row;
``replace`` empties the root table and its child tables (``<root>__...``) first; ``merge`` is
dlt's delete-insert on the primary key and the merge key. What is DuckDB's own here: creating
and evolving the target tables, inserting by name, and comparing keys across types.
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
from restsync.normalize import normalize_identifier


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
                      primary_key: Sequence[str], merge_key: Sequence[str] = ()) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition
    (keys as JSON keys)."""
    return rules.apply_disposition(dest, load, [normalize_identifier(k) for k in primary_key],
                                   ensure_target=_ensure_target, insert=_insert,
                                   key_match=_key_match,
                                   merge_key=[normalize_identifier(k) for k in merge_key])


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


def _key_match(target_types: dict[str, str], staged: StagedTable, column: str) -> str:
    return f"tgt.{quote(column)} = CAST(s.{quote(column)} AS {target_types[column]})"
