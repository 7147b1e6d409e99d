"""A lake load's rows on disk until its commit: Parquet files per table in a staging folder.

``<dataset>/_restsync/staging/<commit id>/<table>/<n>.parquet``. The files are the commit
journal's payload: a commit interrupted half-way is completed from them by the next open, so
they are made durable before the journal is written, and removed once the commit is complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from restsync.load.lake.columns import TableColumns, kind_of
from restsync.load.lake.files import fsync_dir, fsync_file
from restsync.normalize import kinds


@dataclass
class StagedFiles:
    """The staged rows of one table: its files, rows, and what their columns hold."""

    table: str
    parent: str | None
    files: list[str] = field(default_factory=list)  # relative to the staging folder
    rows: int = 0
    schemas: list[pa.Schema] = field(default_factory=list)
    inexact: set[str] = field(default_factory=set)  # integer columns beyond 2**53

    def columns(self) -> TableColumns:
        """The columns of every staged file together (widened across files)."""
        out = TableColumns()
        for schema in self.schemas:
            out.absorb(TableColumns.of_schema(schema), lambda name: name in self.inexact)
        return out


class Staging:
    """Staged Parquet files of one load.

    Args:
        root: The load's staging folder (created on the first write).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tables: dict[str, StagedFiles] = {}

    def write(self, table: str, parent: str | None, chunk: pa.Table) -> None:
        """Write one chunk of ``table`` as a new file."""
        staged = self.tables.get(table)
        if staged is None:
            staged = self.tables[table] = StagedFiles(table, parent)
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{table}/{len(staged.files)}.parquet"
        pq.write_table(chunk, self.root / name)
        staged.files.append(name)
        staged.rows += chunk.num_rows
        staged.schemas.append(chunk.schema)
        for column in chunk.schema:
            if kind_of(column.type) == kinds.BIGINT and \
                    kinds.has_inexact_ints(chunk.column(column.name).combine_chunks()):
                staged.inexact.add(column.name)

    def make_durable_file(self, name: str) -> None:
        """fsync one file of the staging folder and its folder."""
        fsync_file(self.root / name)
        fsync_dir((self.root / name).parent)

    def make_durable(self) -> None:
        """fsync every staged file and folder (before the journal names them)."""
        for staged in self.tables.values():
            for name in staged.files:
                fsync_file(self.root / name)
            fsync_dir(self.root / staged.table)
        if self.root.exists():
            fsync_dir(self.root)


def read_files(root: Path, files: list[str], columns: TableColumns) -> Iterator[pa.Table]:
    """The rows of staged ``files``, one file at a time, conformed to ``columns``."""
    for name in files:
        yield columns.conform(pq.read_table(root / name))
