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


def open_destination(url: str, dataset: str) -> Destination:
    """Open a destination by URL.

    Args:
        url: ``duckdb:///path/file.duckdb`` (a relative path is relative to the current
            directory; ``duckdb:////abs/path.duckdb`` for an absolute one) or
            ``duckdb:///:memory:``; or ``postgresql://user:password@host:port/db``
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
    path = url[len(_DUCKDB_PREFIX):]
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
    return DuckDBDestination(connection, dataset)
