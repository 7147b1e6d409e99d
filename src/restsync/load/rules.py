"""Destination-neutral write-disposition rules (shared by DuckDB and PostgreSQL)."""

from __future__ import annotations

from restsync.errors import DestinationError
from restsync.load.report import LoadReport


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
