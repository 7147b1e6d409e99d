"""The write-disposition sequence of the SQL destinations, inside their commit transaction.

The steps and the merge SQL are the same for DuckDB and PostgreSQL; what differs is the
destination's own (``ensure_target``, ``insert``, and ``key_match``: how a staged key value is
compared with the target column). The rules themselves are in :mod:`restsync.load.disposition`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from restsync.load.buffers import SEQ_COLUMN
from restsync.load.disposition import choose_disposition
from restsync.load.report import LoadReport
from restsync.load.sql.names import quote
from restsync.normalize import DLT_ID, DLT_ROOT_ID

KeyMatch = Callable[[dict[str, str], Any, str], str]
"""``(target column types, staged root, column) -> SQL``: the condition that a target root
row (alias ``tgt``) and a staged root row (alias ``s``) have the same value in ``column``,
the staged value cast to the target column's type."""

_temp_numbers = itertools.count(1)


class SqlDataset(Protocol):
    """What the disposition sequence needs of a SQL destination."""

    dataset: str
    staging: str

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def ref(self, schema: str, table: str | None = None) -> str: ...

    def schema_tables(self, schema: str) -> list[str]: ...

    def columns(self, schema: str, table: str) -> dict[str, str]: ...


class Staged(Protocol):
    """One staged table of a load."""

    @property
    def table(self) -> str: ...

    @property
    def staging_name(self) -> str | None: ...

    @property
    def rows(self) -> int: ...

    @property
    def columns(self) -> dict[str, str]: ...


class StagedLoad(Protocol):
    """A resource load with staged tables."""

    @property
    def resource(self) -> str: ...

    @property
    def root_table(self) -> str: ...

    @property
    def write_disposition(self) -> str: ...

    @property
    def staged(self) -> Mapping[str, Any]: ...


def staged_ref(dest: SqlDataset, staged: Staged) -> str:
    """Qualified name of a staged table in the destination's staging schema."""
    assert staged.staging_name is not None
    return dest.ref(dest.staging, staged.staging_name)


def rows_lacking_key(dest: SqlDataset, root: Staged, pk: list[str]) -> int:
    """Staged root rows without a value for some primary-key column."""
    if any(k not in root.columns for k in pk):
        return int(root.rows)
    condition = " OR ".join(f"{quote(k)} IS NULL" for k in pk)
    row = dest.sql(f"SELECT count(*) FROM {staged_ref(dest, root)} WHERE {condition}")
    return int(row[0][0]) if row else 0


def apply_disposition(dest: SqlDataset, load: StagedLoad, pk: list[str], *,
                      ensure_target: Callable[[Any, Any], None],
                      insert: Callable[..., int],
                      key_match: KeyMatch, merge_key: Sequence[str] = ()) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition.

    Args:
        dest: The destination.
        load: The resource load.
        pk: The primary key as the destination's column names.
        ensure_target: Creates or evolves a target table for a staged table.
        insert: Inserts a staged table's rows (``where`` filters them); the rows inserted.
        key_match: The destination's key comparison (see :data:`KeyMatch`).
        merge_key: dlt's merge key as the destination's column names.
    """
    dest.sql(f"CREATE SCHEMA IF NOT EXISTS {dest.ref(dest.dataset)}")
    root = load.staged.get(load.root_table)
    report = LoadReport()
    mk = list(merge_key)

    def lacking(key: list[str]) -> int:
        merging = load.write_disposition == "merge" and root is not None
        return rows_lacking_key(dest, root, key) if merging and key and root else 0

    disposition = choose_disposition(
        load.write_disposition, pk, root.rows if root is not None else 0, lacking(pk),
        resource=load.resource, root_table=load.root_table, report=report, merge_key=mk,
        rows_lacking_merge_key=lacking(mk))
    report.disposition_applied = disposition
    for staged in load.staged.values():
        ensure_target(dest, staged)
    if disposition == "replace":
        empty_dataset_tables(dest, load.root_table)
    if disposition == "merge" and root is not None:
        _merge(dest, load, root, (pk, mk), report, insert=insert, key_match=key_match)
    else:
        for staged in load.staged.values():
            report.rows[staged.table] = insert(dest, staged, where="")
    return report


def empty_dataset_tables(dest: SqlDataset, root_table: str) -> None:
    """Delete every row of ``root_table`` and of its child tables (``<root>__...``) in the
    dataset: what ``replace`` does before its rows come in."""
    for table in dest.schema_tables(dest.dataset):
        if table == root_table or table.startswith(root_table + "__"):
            dest.sql(f"DELETE FROM {dest.ref(dest.dataset, table)}")


def _merge(dest: SqlDataset, load: StagedLoad, root: Staged,
           keys: tuple[list[str], list[str]], report: LoadReport, *,
           insert: Callable[..., int], key_match: KeyMatch) -> None:
    """dlt's delete-insert: the stored roots that share the primary key OR the merge key of a
    staged root go, with their descendants (by ``_dlt_root_id``); then the staged rows come
    in: with a primary key the last staged root per key and its children, else all of them."""
    pk, mk = keys
    target_root = dest.ref(dest.dataset, root.table)
    target_types = dest.columns(dest.dataset, root.table)
    staged_root = staged_ref(dest, root)
    replaced = _temp_table(dest, "replaced", " UNION ".join(
        f"SELECT tgt.{quote(DLT_ID)} FROM {target_root} AS tgt WHERE EXISTS "
        f"(SELECT 1 FROM {staged_root} AS s WHERE "
        + " AND ".join(key_match(target_types, root, k) for k in key) + ")"
        for key in (pk, mk) if key))
    for table in dest.schema_tables(dest.dataset):
        if table.startswith(load.root_table + "__") and \
                DLT_ROOT_ID in dest.columns(dest.dataset, table):
            dest.sql(f"DELETE FROM {dest.ref(dest.dataset, table)} "
                     f"WHERE {quote(DLT_ROOT_ID)} IN (SELECT {quote(DLT_ID)} FROM {replaced})")
    dest.sql(f"DELETE FROM {target_root} "
             f"WHERE {quote(DLT_ID)} IN (SELECT {quote(DLT_ID)} FROM {replaced})")
    temps = [replaced]
    kept: str | None = None
    if pk:
        kept = _temp_table(dest, "kept", (
            f"SELECT {quote(DLT_ID)} FROM (SELECT {quote(DLT_ID)}, row_number() OVER "
            f"(PARTITION BY {', '.join(quote(k) for k in pk)} "
            f"ORDER BY {quote(SEQ_COLUMN)} DESC) AS _restsync_rank "
            f"FROM {staged_root}) AS ranked WHERE _restsync_rank = 1"))
        temps.append(kept)
    for staged in load.staged.values():
        key = DLT_ID if staged is root else DLT_ROOT_ID
        where = f"WHERE {quote(key)} IN (SELECT {quote(DLT_ID)} FROM {kept})" if kept else ""
        report.rows[staged.table] = insert(dest, staged, where=where)
    for temp in temps:
        dest.sql(f"DROP TABLE {temp}")


def _temp_table(dest: SqlDataset, what: str, select: str) -> str:
    """Create a temporary table of ``select``'s rows (dropped by the caller, or with the
    transaction when it rolls back); its quoted name."""
    name = quote(f"_restsync_{what}_{next(_temp_numbers)}")
    dest.sql(f"CREATE TEMP TABLE {name} AS {select}")
    return name
