"""Delta Lake destination: ``delta:///PATH`` (needs ``pip install 'restsync[delta]'``)."""

from __future__ import annotations

import importlib

from restsync.errors import DestinationError
from restsync.load.lake.destination import LakeDestination
from restsync.load.lake.url import parse_lake_url
from restsync.load.protocol import Destination


def open_delta(url: str, dataset: str) -> Destination:
    """Open ``delta:///PATH``: one Delta table per table under ``PATH/<dataset>/<table>``."""
    path, _ = parse_lake_url(url, "delta")
    root = path / dataset
    where = f"destination delta {root}"
    try:
        importlib.import_module("deltalake")
    except ImportError as exc:
        raise DestinationError("Delta destinations need the deltalake package",
                               location=where, hint="pip install 'restsync[delta]'") from exc
    from restsync.load.delta.format import DeltaFormat

    return LakeDestination(DeltaFormat(root), root / "_restsync", dataset, where=where)
