"""The commit journal: what a lake load is about to commit, written before the first table.

A lake format commits one table at a time, so one resource's commit is several commits (its
root and child tables, then the schema, load and state records). Before the first of them,
the whole plan is written, atomically, to ``<dataset>/_restsync/pending/<commit id>.json``:
every step with the table, the operation, the staged files holding its rows and a **mark**
that the table format records inside the commit it makes (Delta: an application transaction
version and commit metadata; Iceberg: a snapshot property; Parquet: the file name). Running a
step first asks the table whether a commit with that mark exists and skips it if so.

So a crash at any point is completed by the next open of the dataset: it finds the journal,
runs every step whose mark is missing (from the staged files, which are still there) and then
removes the journal. Nothing is lost (every step runs), nothing is doubled (no step runs twice),
and the state, written by the last step, never points past rows that are not committed.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
import pyarrow as pa

from restsync.load.lake.columns import TableColumns
from restsync.load.lake.files import fsync_dir, write_atomic

Operation = Literal["append", "replace", "upsert", "replace_children", "delete_insert"]
JOURNAL_VERSION = 1


@dataclass(frozen=True)
class CommitMark:
    """What identifies one step's commit inside a table.

    Attributes:
        text: ``<load id>.<commit id>.<step>``, recorded with the commit (a Parquet file
            name: files are named by load id).
        version: Increases with every step of the dataset (Delta application transactions
            keep the highest version per table).
    """

    text: str
    version: int


def encode_columns(columns: TableColumns) -> dict[str, Any]:
    """A :class:`TableColumns` as JSON-able data."""
    sink = pa.BufferOutputStream()
    schema = pa.schema([pa.field(n, t) for n, t in columns.types.items()])
    with pa.ipc.new_stream(sink, schema):
        pass
    return {"schema": base64.b64encode(sink.getvalue().to_pybytes()).decode(),
            "kinds": columns.kinds}


def decode_columns(data: dict[str, Any]) -> TableColumns:
    """The inverse of :func:`encode_columns`."""
    reader = pa.ipc.open_stream(base64.b64decode(data["schema"]))
    out = TableColumns()
    out.types = {f.name: f.type for f in reader.schema}
    out.kinds = dict(data["kinds"])
    return out


@dataclass
class Step:
    """One table commit of a resource commit.

    Attributes:
        table: The table.
        op: ``append``, ``replace`` (every row), ``upsert`` (by ``keys``),
            ``replace_children`` (rows whose ``_dlt_root_id`` is in ``root_ids`` go, the new
            ones come) or ``delete_insert`` (a merge with a merge key: root rows whose
            ``_dlt_id`` is in ``root_ids`` go, the new ones come, the last per ``keys`` when
            ``keep_last_by`` is set).
        columns: The table's columns after this step (encoded :class:`TableColumns`).
        files: Staged files with the rows (relative to the staging folder).
        rows: Rows given inline (restsync's own small tables).
        keys: Primary key columns (``upsert``, ``delete_insert``).
        keep_last_by: Keep only the last row per key by this column (``upsert``,
            ``delete_insert``).
        roots_from: Keep only rows whose ``_dlt_root_id`` is a kept row of this step index
            (children of a merge).
        root_ids: Staged file with the ``_dlt_id``s of the replaced roots (``replace_children``,
            ``delete_insert``).
    """

    table: str
    op: Operation
    columns: dict[str, Any]
    files: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None
    keys: list[str] = field(default_factory=list)
    keep_last_by: str | None = None
    roots_from: int | None = None
    root_ids: str | None = None


@dataclass
class Journal:
    """A resource commit's plan (see the module docstring)."""

    commit_id: str
    resource: str
    load_id: str
    staging: str
    first_version: int
    steps: list[Step] = field(default_factory=list)
    version: int = JOURNAL_VERSION

    def mark(self, index: int) -> CommitMark:
        """The mark of step ``index``."""
        return CommitMark(f"{self.load_id}.{self.commit_id}.{index}", self.first_version + index)

    def write(self, folder: Path) -> Path:
        """Write the journal durably (atomically); its path."""
        path = folder / f"{self.commit_id}.json"
        write_atomic(path, orjson.dumps(asdict(self), option=orjson.OPT_SERIALIZE_NUMPY))
        return path

    @classmethod
    def read(cls, path: Path) -> Journal:
        data = orjson.loads(path.read_bytes())
        steps = [Step(**s) for s in data.pop("steps")]
        return cls(steps=steps, **data)


def pending(folder: Path) -> list[Path]:
    """Journals of commits not completed yet, oldest first."""
    if not folder.exists():
        return []
    return sorted(folder.glob("*.json"), key=lambda p: p.name)


def remove(path: Path) -> None:
    """Remove a completed journal durably."""
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)
