"""Delta Lake destination: ``delta:///PATH`` (needs ``pip install 'restsync[delta]'``)."""

from __future__ import annotations

from typing import Any

from restsync.load.lake.destination import LakeDestination, read_lake_history
from restsync.load.lake.url import lake_datasets, parse_lake_url, require
from restsync.load.protocol import Destination


def open_delta(url: str, dataset: str) -> Destination:
    """Open ``delta:///PATH``: one Delta table per table under ``PATH/<dataset>/<table>``."""
    path, _ = parse_lake_url(url, "delta")
    root = path / dataset
    where = f"destination delta {root}"
    require("deltalake", what="Delta", extra="delta", where=where)
    from restsync.load.delta.format import DeltaFormat

    return LakeDestination(DeltaFormat(root), root / "_restsync", dataset, where=where)


def history_datasets(url: str) -> list[str]:
    """The datasets under ``delta:///PATH`` (nothing is created)."""
    return lake_datasets(url, "delta", lambda path, dataset: path / dataset / "_restsync")


def read_history(url: str, dataset: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run and load records of ``dataset``, read without its lock."""
    path, _ = parse_lake_url(url, "delta")
    require("deltalake", what="Delta", extra="delta", where=f"destination delta {path}")
    from restsync.load.delta.format import DeltaFormat

    return read_lake_history(DeltaFormat(path / dataset))
