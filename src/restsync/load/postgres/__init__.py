"""PostgreSQL destination: ``postgresql://user:password@host:port/db`` (``restsync[postgres]``).

psycopg is imported only when such a URL is opened."""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from restsync.errors import DestinationError
from restsync.load.protocol import Destination
from restsync.load.sql.names import safe_message

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_SECONDS = 10


def redacted(url: str) -> str:
    """The URL without its password (and without a query string, which may hold one)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _scrub(text: str, url: str) -> str:
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def _connect(url: str, where: str) -> Any:
    try:
        psycopg = importlib.import_module("psycopg")
    except ImportError as exc:
        raise DestinationError(
            "PostgreSQL destinations need the psycopg package", location=where,
            hint="pip install 'restsync[postgres]'") from exc
    try:
        return psycopg.connect(url, autocommit=True, application_name="restsync",
                               connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.Error as exc:
        raise DestinationError(f"cannot connect: {_scrub(safe_message(exc), url)}",
                               location=where) from None


def history_datasets(url: str) -> list[str]:
    """The schemas of the database holding restsync tables.

    Raises:
        DestinationError: psycopg is not installed or the server cannot be reached.
    """
    from restsync.load.history import LOADS_TABLE, RUNS_TABLE
    from restsync.load.sql.history_table import history_schemas_sql

    where = f"destination {redacted(url)}"
    with _connect(url, where) as connection:
        rows = connection.execute(history_schemas_sql("%s"), [RUNS_TABLE, LOADS_TABLE])
        return [str(r[0]) for r in rows.fetchall()]


def read_history(url: str, dataset: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run and load records of ``dataset``, read without the dataset's lock (a run may be
    loading it)."""
    from restsync.load.sql.history_table import PostgresHistoryReader

    with _connect(url, f"destination {redacted(url)}") as connection:
        return PostgresHistoryReader(connection, dataset).history()


def open_postgres(url: str, dataset: str) -> Destination:
    """Connect to ``url`` and open ``dataset`` (a schema) for loading.

    Args:
        url: ``postgresql://user:password@host:port/database`` (``postgres://`` too; libpq
            query parameters such as ``sslmode`` are passed through).
        dataset: Schema holding the tables.

    Raises:
        DestinationError: psycopg is not installed, the server cannot be reached, or another
            run holds the dataset.
    """
    where = f"destination {redacted(url)}"
    connection = _connect(url, where)
    from restsync.load.postgres.destination import PostgresDestination

    return PostgresDestination(connection, dataset, where=where)
