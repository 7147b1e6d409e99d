"""Destination-neutral write-disposition rules (shared by DuckDB and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from restsync.errors import DestinationError
from restsync.load.report import LoadReport
from restsync.load.sql import quote


def choose_disposition(requested: str, primary_key: list[str], root_rows: int,
                       rows_lacking_key: int, *, resource: str, root_table: str,
                       report: LoadReport) -> str:
    """The disposition to apply, with notes for fallbacks (destination-neutral rules).

    Args:
        requested: The resource's write disposition.
        primary_key: Normalized key columns.
        root_rows: Staged root rows (0 when nothing was staged).
        rows_lacking_key: Staged root rows without a value for some key column.
        resource: For messages.
        root_table: For messages.
        report: Receives the notes.

    Raises:
        DestinationError: A merge where only some rows carry the key.
    """
    if requested != "merge":
        return requested
    if not primary_key:
        report.notes.append("merge without a primary key: loaded as append")
        return "append"
    if root_rows and rows_lacking_key == root_rows:
        keys = ", ".join(f"`{k}`" for k in primary_key)
        report.notes.append(f"no {keys} in any record: loaded as replace (snapshot)")
        return "replace"
    if rows_lacking_key:
        raise DestinationError(
            f"merge on primary key {primary_key}: {rows_lacking_key} of {root_rows} rows have "
            "no value for it; nothing was committed",
            location=f"resource '{resource}', table '{root_table}'",
            hint="fix the primary key or use write_disposition replace/append")
    return "merge"


def staged_ref(dest: Any, staged: Any) -> str:
    """Qualified name of a staged table in the destination's staging schema."""
    return str(dest.ref(dest.staging, staged.staging_name))


def rows_lacking_key(dest: Any, root: Any, pk: list[str]) -> int:
    """Staged root rows without a value for some primary-key column."""
    if any(k not in root.columns for k in pk):
        return int(root.rows)
    condition = " OR ".join(f"{quote(k)} IS NULL" for k in pk)
    row = dest.sql(f"SELECT count(*) FROM {staged_ref(dest, root)} WHERE {condition}")
    return int(row[0][0]) if row else 0


def apply_disposition(dest: Any, load: Any, pk: list[str], *,
                      ensure_target: Callable[[Any, Any], None],
                      insert: Callable[..., int],
                      merge: Callable[[Any, Any, Any, list[str], LoadReport], None]
                      ) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition.

    The order of steps is the same for every destination; the SQL of each step is the
    destination's own (``ensure_target``, ``insert``, ``merge``).

    Args:
        dest: The destination (``sql``, ``ref``, ``dataset``, ``staging``, ``schema_tables``).
        load: The resource load (``staged``, ``root_table``, ``write_disposition``, ...).
        pk: The primary key as the destination's column names.
    """
    dest.sql(f"CREATE SCHEMA IF NOT EXISTS {dest.ref(dest.dataset)}")
    root = load.staged.get(load.root_table)
    report = LoadReport()
    lacking = rows_lacking_key(dest, root, pk) if (
        load.write_disposition == "merge" and pk and root is not None) else 0
    disposition = choose_disposition(
        load.write_disposition, pk, root.rows if root is not None else 0, lacking,
        resource=load.resource, root_table=load.root_table, report=report)
    report.disposition_applied = disposition
    for staged in load.staged.values():
        ensure_target(dest, staged)
    if disposition == "replace":
        for table in dest.schema_tables(dest.dataset):
            if table == load.root_table or table.startswith(load.root_table + "__"):
                dest.sql(f"DELETE FROM {dest.ref(dest.dataset, table)}")
    if disposition == "merge" and root is not None:
        merge(dest, load, root, pk, report)
    else:
        for staged in load.staged.values():
            report.rows[staged.table] = insert(dest, staged, where="")
    return report
