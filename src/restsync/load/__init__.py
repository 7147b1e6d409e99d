"""restsync.load stage: destinations behind one small protocol.

Knows nothing of HTTP or auth; takes :class:`restsync.normalize.TableBatch` objects. A
destination is opened by URL (:func:`open_destination`, see :mod:`restsync.load.registry`)
and used through :class:`Destination` / :class:`ResourceLoad` (:mod:`restsync.load.protocol`).
One folder per destination: ``duckdb/``, ``postgres/`` (SQL, sharing ``sql/``), ``delta/``,
``iceberg/``, ``parquet/`` (lake formats, sharing ``lake/``).
"""

from __future__ import annotations

from restsync.load.protocol import (
    WRITE_DISPOSITIONS,
    Destination,
    ResourceLoad,
    WriteDisposition,
)
from restsync.load.registry import DESTINATIONS, open_destination
from restsync.load.report import LoadReport

LOADS_TABLE = "_restsync_loads"
STATE_TABLE = "_restsync_state"

__all__ = [
    "DESTINATIONS",
    "LOADS_TABLE",
    "STATE_TABLE",
    "WRITE_DISPOSITIONS",
    "Destination",
    "LoadReport",
    "ResourceLoad",
    "WriteDisposition",
    "open_destination",
]
