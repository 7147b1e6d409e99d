"""Parquet files as a table format: one folder per table, one file per commit, named by load.

``<PATH>/<dataset>/<table>/<load id>.<commit>.<step>.parquet``. Appending writes a hidden file
and renames it into place (atomic: readers see all of it or none). Replacing writes the new
file, deletes the others and then renames it into place: readers that list the folder during
that moment may see no file; use Delta or Iceberg when readers must never see a commit
half-done. New columns appear in newer files (read the folder with union-by-name); a widened
column type rewrites the table's files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from restsync.load.lake.files import fsync_dir
from restsync.load.lake.journal import CommitMark
from restsync.load.lake.table_format import Rows

SUFFIX = ".parquet"
PRIVATE = "_restsync"


class ParquetFormat:
    """Tables of one dataset as folders of Parquet files.

    Args:
        root: ``<PATH>/<dataset>``.
    """

    name = "Parquet"
    table_formats: frozenset[str] = frozenset()
    supports_upsert = False

    def __init__(self, root: Path) -> None:
        self.root = root

    def tables(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name != PRIVATE
                      and self._files(p.name))

    def _files(self, table: str) -> list[Path]:
        folder = self.root / table
        if not folder.exists():
            return []
        return sorted(p for p in folder.iterdir()
                      if p.name.endswith(SUFFIX) and not p.name.startswith((".", "_")))

    def schema(self, table: str) -> pa.Schema | None:
        files = self._files(table)
        if not files:
            return None
        return pa.unify_schemas([pq.read_schema(f) for f in files],
                                promote_options="permissive")

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        schema = self.schema(table)
        if schema is None:
            return pa.table({})
        dataset = ds.dataset([str(f) for f in self._files(table)], schema=schema,
                             format="parquet")
        return dataset.to_table(columns=columns)

    def last_version(self, table: str) -> int:
        return 0

    def _path(self, table: str, mark: CommitMark) -> Path:
        return self.root / table / f"{mark.text}{SUFFIX}"

    def applied(self, table: str, mark: CommitMark) -> bool:
        return self._path(table, mark).exists()

    def _write(self, table: str, rows: Rows, schema: pa.Schema, name: str) -> Path:
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        with pq.ParquetWriter(path, schema) as writer:
            for chunk in rows:
                writer.write_table(chunk)
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
        return path

    def append(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        final = self._path(table, mark)
        hidden = self._write(table, rows, schema, f".{final.name}.tmp")
        hidden.replace(final)
        fsync_dir(final.parent)

    def replace(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        final = self._path(table, mark)
        hidden = self._write(table, rows, schema, f".{final.name}.tmp")
        for old in self._files(table):
            old.unlink()
        hidden.replace(final)
        fsync_dir(final.parent)

    def upsert(self, table: str, rows: Rows, schema: pa.Schema, keys: list[str],
               mark: CommitMark) -> None:
        raise NotImplementedError("Parquet tables are appended to or replaced, not merged")

    def replace_rows(self, table: str, rows: Rows, schema: pa.Schema, column: str,
                     ids: pa.Array, mark: CommitMark) -> None:
        raise NotImplementedError("Parquet tables are appended to or replaced, not merged")

    def close(self) -> None:
        pass
