"""The write-disposition rules every destination follows (no storage in here).

* ``append``: every staged row is added.
* ``replace``: the root table and its child tables (``<root>__...``) hold exactly this load's
  rows afterwards.
* ``merge`` (dlt's ``delete-insert``): a stored root row goes, with its descendants (by
  ``_dlt_root_id``), when a staged root row has its primary key **or** its merge key (dlt
  joins the two conditions with OR). With a primary key, the LAST staged root row per key
  wins (staging order) and only the children of kept roots are added; with only a merge key
  every staged row and child is added (dlt deduplicates on the primary key only).
* Fallbacks: no primary key and no merge key: ``append`` with a note (as dlt). A merge key
  column is not nullable (as in dlt): when some staged root row has no value for it, nothing
  is committed. A primary key that some rows lack: nothing is committed; that no row has at
  all: ``replace`` (a snapshot) with a note, unless there is a merge key (then nothing is
  committed: a snapshot would drop the partitions the merge key keeps).
"""

from __future__ import annotations

from collections.abc import Sequence

from restsync.errors import DestinationError
from restsync.load.report import LoadReport


def choose_disposition(requested: str, primary_key: list[str], root_rows: int,
                       rows_lacking_key: int, *, resource: str, root_table: str,
                       report: LoadReport, merge_key: Sequence[str] = (),
                       rows_lacking_merge_key: int = 0) -> str:
    """The disposition to apply, with notes for fallbacks.

    Args:
        requested: The resource's write disposition.
        primary_key: Normalized key columns.
        root_rows: Staged root rows (0 when nothing was staged).
        rows_lacking_key: Staged root rows without a value for some key column.
        resource: For messages.
        root_table: For messages.
        report: Receives the notes.
        merge_key: Normalized merge key columns (dlt's ``merge_key``).
        rows_lacking_merge_key: Staged root rows without a value for some merge key column.

    Raises:
        DestinationError: A merge where some rows lack a merge key value, or only some rows
            (any rows, with a merge key) carry the primary key.
    """
    if requested != "merge":
        return requested
    if not primary_key and not merge_key:
        report.notes.append("merge without a primary key: loaded as append")
        return "append"
    where = f"resource '{resource}', table '{root_table}'"
    if rows_lacking_merge_key:
        raise DestinationError(
            f"merge key {list(merge_key)}: {rows_lacking_merge_key} of {root_rows} rows have "
            "no value for it (a merge key column is not nullable, as in dlt); nothing was "
            "committed", location=where,
            hint="fix the merge key, or drop such records with a processing step filter")
    if not primary_key:
        return "merge"
    if root_rows and rows_lacking_key == root_rows and not merge_key:
        keys = ", ".join(f"`{k}`" for k in primary_key)
        report.notes.append(f"no {keys} in any record: loaded as replace (snapshot)")
        return "replace"
    if rows_lacking_key:
        raise DestinationError(
            f"merge on primary key {primary_key}: {rows_lacking_key} of {root_rows} rows have "
            "no value for it; nothing was committed",
            location=where,
            hint="fix the primary key or use write_disposition replace/append")
    return "merge"
