"""Delta Lake destination: ``delta:///PATH`` (needs ``pip install 'restsync[delta]'``)."""

from __future__ import annotations

from restsync.load.lake.destination import LakeDestination
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
