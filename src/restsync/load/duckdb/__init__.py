"""DuckDB destination: ``duckdb:///path/file.duckdb`` (or ``duckdb:///:memory:``)."""

from __future__ import annotations

import os
import re
from typing import Any

import duckdb

from restsync.errors import DestinationError
from restsync.load.duckdb.destination import DuckDBDestination
from restsync.load.duckdb.memory import MemoryBudget
from restsync.load.history import LOADS_TABLE, RUNS_TABLE
from restsync.load.protocol import Destination
from restsync.load.sql.history_table import HistoryReader, history_schemas_sql
from restsync.load.sql.names import safe_message

__all__ = ["DUCKDB_MEMORY_LIMIT", "DuckDBDestination", "history_datasets", "open_duckdb",
           "read_history"]

_DUCKDB_PREFIX = "duckdb:///"
DUCKDB_MEMORY_LIMIT = "192MB"
"""DuckDB's memory limit for a file database unless the URL sets ``memory_limit``: DuckDB's
own default (80% of RAM) lets its buffer pool grow with every row loaded; beyond the limit it
writes to disk, so a load's memory stays flat however many rows it has."""
_DUCKDB_OPTIONS = ("memory_limit",)
_MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)


def open_duckdb(url: str, dataset: str) -> Destination:
    """Open ``dataset`` (a schema) of a DuckDB database.

    Args:
        url: ``duckdb:///path/file.duckdb`` (a relative path is relative to the current
            directory; ``duckdb:////abs/path.duckdb`` for an absolute one) or
            ``duckdb:///:memory:``, optionally with ``?memory_limit=1GB`` (default
            :data:`DUCKDB_MEMORY_LIMIT` for files, DuckDB's own for ``:memory:``).
        dataset: Schema holding the tables; used as given (quoted), may start with ``_``.

    Raises:
        DestinationError: The database cannot be opened (e.g. locked by another process).
    """
    if not url.startswith(_DUCKDB_PREFIX):
        raise DestinationError("a DuckDB URL starts with duckdb:///", location="destination",
                               hint="duckdb:///path/file.duckdb")
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


def _read_only(url: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the database file of ``url`` (that must exist)."""
    if not url.startswith(_DUCKDB_PREFIX):
        raise DestinationError("a DuckDB URL starts with duckdb:///", location="destination",
                               hint="duckdb:///path/file.duckdb")
    path = os.path.abspath(url[len(_DUCKDB_PREFIX):].partition("?")[0])
    if not os.path.isfile(path):
        raise DestinationError("no DuckDB database here", location=f"destination {path}",
                               hint="the --destination of the runs (default "
                                    "duckdb:///restsync.duckdb in the current directory)")
    try:
        return duckdb.connect(path, read_only=True)
    except duckdb.Error as exc:
        raise DestinationError(f"cannot read database: {safe_message(exc)}",
                               location=f"destination {path}") from exc


def history_datasets(url: str) -> list[str]:
    """The schemas of a DuckDB database holding restsync tables (opened read only).

    Raises:
        DestinationError: No database at the URL's path, or it cannot be opened.
    """
    with _read_only(url) as connection:
        rows = connection.execute(history_schemas_sql("?"), [RUNS_TABLE, LOADS_TABLE]).fetchall()
    return [str(r[0]) for r in rows]


def read_history(url: str, dataset: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run and load records of ``dataset``, read over a read-only connection."""
    with _read_only(url) as connection:
        return HistoryReader(connection, dataset).history()


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
