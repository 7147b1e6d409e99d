"""restsync.load stage: destinations (DuckDB), staging, dispositions, state.

Knows nothing of HTTP or auth; takes :class:`restsync.normalize.TableBatch` objects.
Everything here is called from one thread.
"""

from __future__ import annotations

import os
import re
from typing import cast

import duckdb

from restsync.errors import DestinationError
from restsync.load.duckdb_destination import (
    LOADS_TABLE,
    STATE_TABLE,
    DuckDBDestination,
    ResourceLoad,
    WriteDisposition,
)
from restsync.load.duckdb_memory import MemoryBudget
from restsync.load.report import LoadReport
from restsync.load.sql import safe_message

Destination = DuckDBDestination

__all__ = [
    "LOADS_TABLE",
    "STATE_TABLE",
    "Destination",
    "DuckDBDestination",
    "LoadReport",
    "ResourceLoad",
    "WriteDisposition",
    "open_destination",
]

_DUCKDB_PREFIX = "duckdb:///"
DUCKDB_MEMORY_LIMIT = "192MB"
"""DuckDB's memory limit for a file database unless the URL sets ``memory_limit``: DuckDB's
own default (80% of RAM) lets its buffer pool grow with every row loaded; beyond the limit it
writes to disk, so a load's memory stays flat however many rows it has."""
_DUCKDB_OPTIONS = ("memory_limit",)
_MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)


def open_destination(url: str, dataset: str) -> Destination:
    """Open a destination by URL.

    Args:
        url: ``duckdb:///path/file.duckdb`` (a relative path is relative to the current
            directory; ``duckdb:////abs/path.duckdb`` for an absolute one) or
            ``duckdb:///:memory:``, optionally with ``?memory_limit=1GB`` (default
            :data:`DUCKDB_MEMORY_LIMIT` for files, DuckDB's own for ``:memory:``); or ``postgresql://user:password@host:port/db``
            (``postgres://`` too; needs ``pip install 'restsync[postgres]'``).
        dataset: Schema holding the tables; used as given (quoted), may start with ``_``.

    Raises:
        DestinationError: Unknown scheme, or the database cannot be opened (e.g. locked by
            another process).
    """
    if url.startswith(("postgresql://", "postgres://")):
        from restsync.load.postgres_open import open_postgres  # psycopg is optional

        return cast(Destination, open_postgres(url, dataset))  # same interface, duck-typed
    if not url.startswith(_DUCKDB_PREFIX):
        scheme = url.split(":", 1)[0] if ":" in url else url[:20]
        raise DestinationError(f"unsupported destination scheme {scheme!r}",
                               location="destination", hint="use duckdb:///path/file.duckdb")
    path, _, query = url[len(_DUCKDB_PREFIX):].partition("?")
    memory_limit = _duckdb_options(query).get("memory_limit")
    if not path:
        raise DestinationError("no database path in destination URL", location="destination")
    if path != ":memory:":
        path = os.path.abspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
    try:
        connection = duckdb.connect(path)
    except duckdb.Error as exc:
        text = safe_message(exc)
        holder = re.search(r"\(PID (\d+)\)", text)
        if "Could not set lock" in text:
            who = f"process {holder.group(1)}" if holder else "another process"
            raise DestinationError(
                f"another run is using this database right now ({who}); a second run on the "
                f"same destination is refused", location=f"destination {path}",
                hint="wait for it to finish; the lock goes away with its process") from exc
        raise DestinationError(f"cannot open database: {text}",
                               location=f"destination {path}") from exc
    explicit = memory_limit is not None
    if memory_limit is None and path != ":memory:":
        memory_limit = DUCKDB_MEMORY_LIMIT
    if memory_limit is not None:
        connection.execute(f"SET memory_limit = '{memory_limit}'")
    destination = DuckDBDestination(connection, dataset)
    destination.memory = MemoryBudget(connection, memory_limit, explicit=explicit)
    return destination


def _duckdb_options(query: str) -> dict[str, str]:
    """``memory_limit=...`` from a DuckDB URL's query string, checked."""
    options: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        key, _, value = pair.partition("=")
        if key not in _DUCKDB_OPTIONS:
            raise DestinationError(f"unknown DuckDB URL option {key!r}",
                                   location="destination",
                                   hint=f"known options: {', '.join(_DUCKDB_OPTIONS)}")
        if not _MEMORY_SIZE.match(value.strip()):
            raise DestinationError(f"memory_limit {value!r} is not a size",
                                   location="destination", hint="e.g. memory_limit=512MB")
        options[key] = value.strip()
    return options
