"""Destinations by URL scheme: one line per destination.

Each entry names the function that opens a dataset of that destination, as
``"module:function"``; the module is imported only when a URL of its scheme is opened, so
optional libraries (psycopg, deltalake, pyiceberg) are needed only by those who use them.

Adding a destination: a folder ``load/<name>/`` whose ``__init__`` has ``open_<name>(url,
dataset) -> Destination``, and one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, cast

from restsync.errors import DestinationError
from restsync.load.protocol import Destination

Opener = Callable[[str, str], Destination]

DESTINATIONS: dict[str, str] = {
    "duckdb": "restsync.load.duckdb:open_duckdb",
    "postgresql": "restsync.load.postgres:open_postgres",
    "postgres": "restsync.load.postgres:open_postgres",
    "delta": "restsync.load.delta:open_delta",
    "iceberg": "restsync.load.iceberg:open_iceberg",
    "parquet": "restsync.load.parquet:open_parquet",
}


def scheme_of(url: str) -> str:
    """The scheme of a destination URL (``duckdb`` of ``duckdb:///x.duckdb``)."""
    return url.split(":", 1)[0].lower() if ":" in url else ""


def opener(scheme: str) -> Opener:
    """The function that opens destinations of ``scheme``.

    Raises:
        DestinationError: Unknown scheme (the known ones are listed).
    """
    target = DESTINATIONS.get(scheme)
    if target is None:
        shown = scheme or "(none)"
        raise DestinationError(
            f"unsupported destination scheme {shown[:20]!r}", location="destination",
            hint="known: " + ", ".join(f"{s}://" for s in DESTINATIONS) +
                 " (e.g. duckdb:///path/file.duckdb)")
    module, _, function = target.partition(":")
    return cast(Opener, getattr(importlib.import_module(module), function))


def open_destination(url: str, dataset: str) -> Destination:
    """Open ``dataset`` of the destination ``url``.

    Args:
        url: ``duckdb:///path/file.duckdb`` (``?memory_limit=1GB``), ``duckdb:///:memory:``,
            ``postgresql://user:password@host:port/db`` (``postgres://`` too),
            ``delta:///PATH``, ``iceberg:///PATH[?catalog_uri=...]`` or ``parquet:///PATH``.
            A path after ``:///`` is relative to the current directory; ``:////abs/path`` for
            an absolute one.
        dataset: The dataset (schema, namespace or folder) holding the tables.

    Raises:
        DestinationError: Unknown scheme, missing library, or the dataset cannot be opened
            (e.g. another run holds it).
    """
    return opener(scheme_of(url))(url, dataset)


def history_datasets(url: str) -> list[str]:
    """The datasets of the destination ``url`` that hold restsync tables (a run history or
    load records), sorted; nothing is created or locked.

    Each destination package may define ``history_datasets(url)`` next to its opener.

    Raises:
        DestinationError: Unknown scheme, the destination does not exist or cannot be read,
            or it cannot list its datasets (then ``--dataset`` is needed).
    """
    scheme = scheme_of(url)
    opener(scheme)  # the unknown-scheme error
    module = importlib.import_module(DESTINATIONS[scheme].partition(":")[0])
    lister = getattr(module, "history_datasets", None)
    if lister is None:
        raise DestinationError(f"{scheme} destinations cannot list their datasets",
                               location="destination", hint="name one with --dataset")
    return sorted(cast(Callable[[str], list[str]], lister)(url))


History = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def read_history(url: str, dataset: str) -> History:
    """A dataset's run records and load records (``Destination.run_records()`` and
    ``load_records()``), read without writing anything.

    A destination package may define ``read_history(url, dataset)`` that reads without the
    dataset lock (so the history can be read while a run loads the dataset); otherwise the
    dataset is opened as a run opens it.

    Raises:
        DestinationError: The destination cannot be read.
    """
    scheme = scheme_of(url)
    open_it = opener(scheme)
    module = importlib.import_module(DESTINATIONS[scheme].partition(":")[0])
    reader = getattr(module, "read_history", None)
    if reader is not None:
        return cast(Callable[[str, str], History], reader)(url, dataset)
    dest = open_it(url, dataset)
    try:
        return dest.run_records(), dest.load_records()
    finally:
        dest.close()
