"""Iceberg destination: ``iceberg:///PATH[?catalog_uri=...]`` (``restsync[iceberg]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from restsync.errors import DestinationError
from restsync.load.lake.destination import LakeDestination, read_lake_history
from restsync.load.lake.url import lake_datasets, parse_lake_url, require
from restsync.load.protocol import Destination

OPTIONS = ("catalog_uri", "catalog_name")
CATALOG_FILE = "catalog.db"


def open_iceberg(url: str, dataset: str) -> Destination:
    """Open ``iceberg:///PATH``: a namespace ``<dataset>`` in a SQL catalog.

    Without options the catalog is the SQLite file ``PATH/catalog.db`` and table data goes
    under ``PATH``. ``catalog_uri`` names another SQL catalog (a SQLAlchemy URL such as
    ``postgresql+psycopg://user@host/db``; table data still goes under ``PATH``);
    ``catalog_name`` (default ``restsync``) the catalog's name inside it.
    """
    fmt, path, where = _format(url, dataset)
    return LakeDestination(fmt, path / "_restsync" / dataset, dataset, where=where)


def _format(url: str, dataset: str) -> tuple[Any, Path, str]:
    """The dataset's namespace in the catalog, the folder, and where errors say it is."""
    path, options = parse_lake_url(url, "iceberg", OPTIONS)
    where = f"destination iceberg {path}"
    require("pyiceberg", what="Iceberg", extra="iceberg", where=where)
    from pyiceberg.catalog.sql import SqlCatalog

    from restsync.load.iceberg.format import IcebergFormat

    path.mkdir(parents=True, exist_ok=True)
    uri = options.get("catalog_uri") or f"sqlite:///{path / CATALOG_FILE}"
    try:
        catalog = SqlCatalog(options.get("catalog_name") or "restsync", uri=uri,
                             warehouse=path.as_uri())
        return IcebergFormat(catalog, dataset), path, where
    except Exception as exc:
        raise DestinationError(f"cannot open the Iceberg catalog: {type(exc).__name__}",
                               location=where) from exc


def history_datasets(url: str) -> list[str]:
    """The datasets under ``iceberg:///PATH`` (nothing is created)."""
    return lake_datasets(url, "iceberg", lambda path, dataset: path / "_restsync" / dataset, OPTIONS)


def read_history(url: str, dataset: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run and load records of ``dataset``, read without its lock."""
    fmt, _, _ = _format(url, dataset)
    return read_lake_history(fmt)
