"""Arrow batches of one resource load, buffered per table until one bulk write takes them.

Shared by every destination's load: each writes a table's rows in chunks of about its
``FLUSH_ROWS`` rows (fewer round trips or files), and each numbers the root rows it stages
(``_restsync_seq``: for a merge, the last row per key wins).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import orjson
import pyarrow as pa

from restsync.errors import DestinationError
from restsync.normalize import TableBatch, TableSchema

SEQ_COLUMN = "_restsync_seq"
"""Staging order of a load's root rows (never stored in the dataset)."""



class TableBuffers:
    """Buffered Arrow tables per destination table, with each table's parent table."""

    def __init__(self) -> None:
        self._tables: dict[str, tuple[str | None, list[pa.Table]]] = {}
        self._rows: dict[str, int] = {}
        self._numbered = 0

    def numbered(self, arrow: pa.Table) -> pa.Table:
        """``arrow`` with a ``_restsync_seq`` column continuing the load's staging order."""
        seq = pa.array(range(self._numbered, self._numbered + arrow.num_rows), pa.int64())
        self._numbered += arrow.num_rows
        return arrow.append_column(SEQ_COLUMN, seq)

    def add(self, table: str, parent: str | None, arrow: pa.Table) -> int:
        """Buffer ``arrow`` for ``table``; returns the rows now buffered for it."""
        self._tables.setdefault(table, (parent, []))[1].append(arrow)
        self._rows[table] = self._rows.get(table, 0) + arrow.num_rows
        return self._rows[table]

    def take(self, table: str) -> tuple[str | None, list[pa.Table]]:
        """Remove a table's buffer: its parent and its rows as one chunk (one per batch when
        their column types differ, e.g. a key that changed kind between pages)."""
        parent, tables = self._tables.pop(table, (None, []))
        self._rows.pop(table, None)
        if len(tables) > 1:
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowTypeError):
                tables = [pa.concat_tables(tables, promote_options="permissive")]
        return parent, tables

    def tables(self) -> list[str]:
        """Tables with buffered rows."""
        return list(self._tables)

    def clear(self) -> None:
        """Drop everything buffered."""
        self._tables.clear()
        self._rows.clear()


class BufferedLoad:
    """What every destination's resource load does with a batch before its own bulk write:
    refuse it once the load is closed, remember its table schema, number root rows, buffer.

    Subclasses call :meth:`_init_load` in their constructor.
    """

    resource: str
    load_id: str
    write_disposition: str
    primary_key: tuple[str, ...]
    merge_key: tuple[str, ...]
    root_table: str
    _closed: bool
    _buffers: TableBuffers
    _schemas: dict[str, TableSchema]

    def _init_load(self, resource: str, *, load_id: str, write_disposition: str,
                   primary_key: tuple[str, ...], root_table: str,
                   merge_key: tuple[str, ...] = ()) -> None:
        self.resource = resource
        self.load_id = load_id
        self.write_disposition = write_disposition
        self.primary_key = primary_key
        self.merge_key = merge_key
        self.root_table = root_table
        self._closed = False
        self._buffers = TableBuffers()
        self._schemas = {}

    def abort(self) -> None:
        raise NotImplementedError

    def _state_json(self, state: Mapping[str, Any] | None) -> str | None:
        """``state`` as JSON text (None: leave the stored state); aborts the load when it
        cannot be encoded."""
        try:
            return None if state is None else orjson.dumps(dict(state)).decode()
        except TypeError as exc:
            self.abort()
            raise DestinationError(f"state is not JSON-serializable: {exc}",
                                   location=self._where()) from exc

    def _check_open(self) -> None:
        if self._closed:
            raise DestinationError("load already committed or aborted", location=self._where())

    def _buffer(self, batch: TableBatch, *, table: str, parent: str | None,
                schema: TableSchema | None, number: bool, flush_rows: int) -> bool:
        """Buffer ``batch``'s rows as ``table``; whether its buffer reached ``flush_rows``."""
        self._check_open()
        if schema is not None:
            self._schemas[table] = schema
        arrow = batch.arrow
        if arrow.num_rows == 0:
            return False
        if number:
            arrow = self._buffers.numbered(arrow)
        return self._buffers.add(table, parent, arrow) >= flush_rows

    def _where(self, table: str | None = None) -> str:
        where = f"resource '{self.resource}'"
        return f"{where}, table '{table}'" if table else where
