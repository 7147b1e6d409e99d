"""The write-disposition sequence of the SQL destinations, inside their commit transaction.

The order of steps is the same for DuckDB and PostgreSQL; the SQL of each step is the
destination's own (``ensure_target``, ``insert``, ``merge``). The rules themselves are in
:mod:`restsync.load.disposition`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from restsync.load.disposition import choose_disposition
from restsync.load.report import LoadReport
from restsync.load.sql.names import quote


class SqlDataset(Protocol):
    """What the disposition sequence needs of a SQL destination."""

    dataset: str
    staging: str

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]: ...

    def ref(self, schema: str, table: str | None = None) -> str: ...

    def schema_tables(self, schema: str) -> list[str]: ...


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
                      merge: Callable[[Any, Any, Any, list[str], LoadReport], None]
                      ) -> LoadReport:
    """Move ``load``'s staged rows into the dataset according to its write disposition.

    Args:
        dest: The destination.
        load: The resource load.
        pk: The primary key as the destination's column names.
        ensure_target: Creates or evolves a target table for a staged table.
        insert: Inserts a staged table's rows (``where`` filters them); the rows inserted.
        merge: Applies a merge of the staged root and children.
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
