"""DuckDB's memory limit, sized to the tables being loaded.

restsync caps DuckDB's buffer pool (:data:`restsync.load.duckdb.DUCKDB_MEMORY_LIMIT`, 192 MB) so a
load's memory stays flat however many rows it has. But the rows a load holds in an open
transaction are kept per column: measured with DuckDB 2.0 (BIGINT columns, 20,000-row
inserts inside one transaction), a table needs about 1 MB per column before its row groups
can go to disk: 200 columns load at 192 MB, 300 do not; 1,000 columns need about 1 GB. Past
the limit DuckDB aborts the transaction and reports only "Current transaction is aborted",
hiding the cause. So while loads are open, :class:`MemoryBudget` raises the limit to the
base plus :data:`PER_COLUMN` for every column of every table they write (never lowering it
below what was set), unless the destination URL set ``memory_limit`` itself; and
:func:`aborted_message` explains an aborted transaction.
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["PER_COLUMN", "MemoryBudget", "aborted_message", "size_bytes"]

PER_COLUMN: Final = 1_310_720
"""Memory allowed per column of a table in an open load (1.25 MiB; ~1 MB measured)."""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B)\s*$", re.IGNORECASE)
_FACTORS = {"B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
            "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def size_bytes(text: str) -> int | None:
    """Bytes of a DuckDB memory size (``192MB``, ``1.5 GiB``); None when not a size."""
    match = _SIZE.match(text)
    if match is None:
        return None
    return int(float(match.group(1)) * _FACTORS[match.group(2).upper()])


class MemoryBudget:
    """The memory limit of one DuckDB database while loads are open.

    Args:
        connection: The database's connection (``SET memory_limit`` is database-wide).
        base: The limit restsync set (``192MB``), or None when DuckDB's own default applies.
        explicit: The destination URL chose the limit: it is never raised.
    """

    def __init__(self, connection: Any, base: str | None, *, explicit: bool) -> None:
        self._con = connection
        self._base = size_bytes(base) if base is not None else None
        self.limit = base
        self.explicit = explicit
        self._columns: dict[tuple[str, str], int] = {}
        self._set = self._base or 0

    def fit(self, load: str, table: str, columns: int) -> None:
        """Make room for ``table`` of ``load`` having ``columns`` columns."""
        self._columns[(load, table)] = columns
        if self.explicit or self._base is None:
            return
        needed = self._base + PER_COLUMN * sum(self._columns.values())
        if needed > self._set:
            self._set = needed
            self.limit = f"{needed // 1024**2}MiB"
            self._con.execute(f"SET memory_limit = '{self.limit}'")

    def release(self, load: str) -> None:
        """The load ended: its tables no longer count (the limit is not lowered)."""
        for key in [k for k in self._columns if k[0] == load]:
            del self._columns[key]


def aborted_message(error_text: str, *, rows: int, columns: int, limit: str | None,
                    explicit: bool) -> str | None:
    """A message for DuckDB's "transaction is aborted" that says what usually causes it.

    Returns:
        None when ``error_text`` is another error.
    """
    if "transaction is aborted" not in error_text.lower():
        return None
    where = f"memory_limit is {limit}" if limit else "its memory limit"
    fix = ("raise memory_limit in the destination URL (duckdb:///file.duckdb?memory_limit=4GB)"
           if explicit or limit is None else
           "give DuckDB more memory with ?memory_limit=... in the destination URL")
    return (f"DuckDB aborted the load's transaction while inserting {rows:,} rows of "
            f"{columns:,} columns without giving a cause; the usual one is memory: an open "
            f"load needs about 1 MB per column ({where}); {fix}, or lower "
            f"limits.max_columns so wide maps become JSON columns")
