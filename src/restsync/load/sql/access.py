"""What the SQL mixins (state, history) need from the destination class they join."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class SqlAccess:
    """The dataset and the statements a SQL destination class provides to its mixins
    (:class:`~restsync.load.sql.state_table.StateTableMixin`,
    :class:`~restsync.load.sql.history_table.HistoryTableMixin`)."""

    PARAM: ClassVar[str] = "?"
    """The driver's placeholder (``?`` for DuckDB, ``%s`` for psycopg)."""

    dataset: str

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def ref(self, schema: str, table: str | None = None) -> str:
        raise NotImplementedError

    def table_exists(self, schema: str, table: str) -> bool:
        raise NotImplementedError

    def columns(self, schema: str, table: str) -> dict[str, str]:
        raise NotImplementedError
