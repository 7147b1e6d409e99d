"""What a lake format offers the lake destination: one table commit at a time, marked.

Each lake destination (``load/delta``, ``load/iceberg``, ``load/parquet``) is a
:class:`TableFormat`; :class:`restsync.load.lake.destination.LakeDestination` does the rest
(staging, dispositions, schema evolution, state, the commit journal).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pyarrow as pa

from restsync.load.lake.journal import CommitMark

Rows = Iterator[pa.Table]
"""Rows to write, in chunks that already have the step's schema."""


class TableFormat(Protocol):
    """Tables of one dataset in one lake format.

    Every write is one atomic commit of one table that records ``mark`` so that
    :meth:`applied` can recognise it; ``schema`` is the table's whole schema after the commit
    (new columns added; a changed type only in :meth:`replace`).
    """

    name: str
    """Format name for messages (``Delta``, ``Iceberg``, ``Parquet``)."""
    supports_upsert: bool
    """Whether merge (``upsert``, ``replace_rows``) is possible."""
    table_formats: frozenset[str]
    """The dlt ``table_format`` names these tables are (see the Destination protocol)."""

    def tables(self) -> list[str]:
        """Every table of the dataset (restsync's own included), sorted."""
        ...

    def schema(self, table: str) -> pa.Schema | None:
        """A table's Arrow schema, None when it does not exist."""
        ...

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """Every row of a table (of some columns)."""
        ...

    def last_version(self, table: str) -> int:
        """The highest mark version committed to ``table`` (0 when the format keeps none)."""
        ...

    def applied(self, table: str, mark: CommitMark) -> bool:
        """Whether the commit marked ``mark`` is in ``table``."""
        ...

    def append(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        """Add rows (create the table when missing)."""
        ...

    def replace(self, table: str, rows: Rows, schema: pa.Schema, mark: CommitMark) -> None:
        """Replace every row, and the schema (types may change)."""
        ...

    def upsert(self, table: str, rows: Rows, schema: pa.Schema, keys: list[str],
               mark: CommitMark) -> None:
        """Rows replace the rows with the same ``keys`` values; others are added."""
        ...

    def replace_rows(self, table: str, rows: Rows, schema: pa.Schema, column: str,
                     ids: pa.Array, mark: CommitMark) -> None:
        """Delete rows whose ``column`` (``_dlt_root_id`` of children, ``_dlt_id`` of roots)
        is in ``ids``, add ``rows``."""
        ...

    def close(self) -> None:
        """Release what the format holds (catalog connections)."""
        ...
