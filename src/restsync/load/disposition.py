"""The write-disposition rules every destination follows (no storage in here).

* ``append``: every staged row is added.
* ``replace``: the root table and its child tables (``<root>__...``) hold exactly this load's
  rows afterwards.
* ``merge``: the LAST staged root row per primary key wins (staging order); stored roots with
  those keys and their descendants (by ``_dlt_root_id``) are replaced; only children of kept
  roots are added. No primary key: ``append`` with a note. No staged root row has any key
  value: ``replace`` (a snapshot) with a note. Only some have one: nothing is committed.
"""

from __future__ import annotations

from restsync.errors import DestinationError
from restsync.load.report import LoadReport


def choose_disposition(requested: str, primary_key: list[str], root_rows: int,
                       rows_lacking_key: int, *, resource: str, root_table: str,
                       report: LoadReport) -> str:
    """The disposition to apply, with notes for fallbacks.

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
