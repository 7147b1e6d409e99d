"""The run history of a SQL dataset: ``_restsync_loads`` and ``_restsync_runs`` (see
:mod:`restsync.load.history`), the same SQL for DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from restsync.load.history import LOADS_TABLE, RUNS_TABLE, decoded, latest_runs, run_row
from restsync.load.sql.access import SqlAccess
from restsync.load.sql.names import qualified, quote

LOAD_COLUMNS = ("load_id", "resource", "status", "rows", "started_at", "finished_at", "details")


def create_loads_sql(ref: str, json_type: str, text: str = "VARCHAR") -> list[str]:
    """Statements creating ``_restsync_loads`` (and adding ``details`` to an older one)."""
    return [f"CREATE TABLE IF NOT EXISTS {ref} (load_id {text}, resource {text}, "
            f"status {text}, rows BIGINT, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, "
            f"details {json_type})",
            f"ALTER TABLE {ref} ADD COLUMN IF NOT EXISTS details {json_type}"]


def insert_load_sql(ref: str, param: str, json_type: str) -> str:
    """``INSERT`` of one load record (parameters in :data:`LOAD_COLUMNS` order)."""
    return (f"INSERT INTO {ref} ({', '.join(LOAD_COLUMNS)}) VALUES ({param}, {param}, {param}, "
            f"{param}, CAST({param} AS TIMESTAMPTZ), CAST({param} AS TIMESTAMPTZ), "
            f"CAST({param} AS {json_type}))")


class HistoryTableMixin(SqlAccess):
    """``record_run`` / ``run_records`` / ``load_records`` for a SQL destination class.

    The class provides ``dataset``, ``sql(query, params)``, ``ref(schema, table)`` and
    ``table_exists(schema, table)``, and sets the class attributes below.
    """

    JSON_TYPE: ClassVar[str] = "JSON"
    TEXT_TYPE: ClassVar[str] = "VARCHAR"

    def _as_text(self, column: str) -> str:
        return f"CAST({column} AS {self.TEXT_TYPE})"

    def record_run(self, record: Mapping[str, Any]) -> None:
        """Append one run record, in a transaction of its own (never with data)."""
        p, t = self.PARAM, self.TEXT_TYPE
        self.sql(f"CREATE SCHEMA IF NOT EXISTS {self.ref(self.dataset)}")
        runs = self.ref(self.dataset, RUNS_TABLE)
        self.sql(f"CREATE TABLE IF NOT EXISTS {runs} (run_id {t}, status {t}, "
                 f"started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, record {self.JSON_TYPE})")
        self.sql(f"INSERT INTO {runs} VALUES ({p}, {p}, CAST({p} AS TIMESTAMPTZ), "
                 f"CAST({p} AS TIMESTAMPTZ), CAST({p} AS {self.JSON_TYPE}))",
                 list(run_row(record)))

    def run_records(self) -> list[dict[str, Any]]:
        """The last row of every run, oldest run first (``record`` decoded)."""
        if not self.table_exists(self.dataset, RUNS_TABLE):
            return []
        rows = self.sql(f"SELECT run_id, status, started_at, finished_at, "
                        f"{self._as_text('record')} FROM {self.ref(self.dataset, RUNS_TABLE)}")
        keys = ("run_id", "status", "started_at", "finished_at", "record")
        return latest_runs([_row(keys, r, "record") for r in rows])

    def load_records(self, load_id: str | None = None) -> list[dict[str, Any]]:
        """Load records (of one run with ``load_id``), oldest first (``details`` decoded)."""
        if not self.table_exists(self.dataset, LOADS_TABLE):
            return []
        columns = [c for c in LOAD_COLUMNS if c != "details"]
        where, params = (f" WHERE load_id = {self.PARAM}", [load_id]) if load_id else ("", [])
        has_details = "details" in self.columns(self.dataset, LOADS_TABLE)
        details = self._as_text("details") if has_details else "NULL"
        rows = self.sql(f"SELECT {', '.join(columns)}, {details} FROM "
                        f"{self.ref(self.dataset, LOADS_TABLE)}{where} "
                        "ORDER BY finished_at, resource", params)
        return [_row(LOAD_COLUMNS, r, "details") for r in rows]


def _row(keys: Sequence[str], values: Sequence[Any], json_key: str) -> dict[str, Any]:
    row = dict(zip(keys, values, strict=True))
    row[json_key] = decoded(row[json_key])
    for key in ("started_at", "finished_at"):
        if isinstance(row.get(key), datetime):
            row[key] = row[key].isoformat()
    return row


def history_schemas_sql(param: str) -> str:
    """The schemas holding restsync's own tables (one parameter per table name)."""
    return ("SELECT DISTINCT table_schema FROM information_schema.tables "
            f"WHERE table_name IN ({param}, {param})")


class HistoryReader(HistoryTableMixin):
    """A SQL dataset's history read over a plain connection: no dataset lock taken, nothing
    created or cleaned up (``runs`` and ``report`` while a run is loading the dataset).

    Args:
        connection: A DB-API style connection whose ``execute(query, params)`` returns a
            cursor with ``fetchall()`` (psycopg, DuckDB).
        dataset: The schema.

    The class attributes are DuckDB's; :class:`PostgresHistoryReader` has PostgreSQL's.
    """

    def __init__(self, connection: Any, dataset: str) -> None:
        self.connection = connection
        self.dataset = dataset

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(query, list(params or [])).fetchall())

    def ref(self, schema: str, table: str | None = None) -> str:
        return quote(schema) if table is None else qualified(schema, table)

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(self.columns(schema, table))

    def columns(self, schema: str, table: str) -> dict[str, str]:
        p = self.PARAM
        rows = self.sql("SELECT column_name, data_type FROM information_schema.columns "
                        f"WHERE table_schema = {p} AND table_name = {p}", [schema, table])
        return {str(r[0]): str(r[1]) for r in rows}

    def history(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The run records and the load records (see :class:`HistoryTableMixin`)."""
        return self.run_records(), self.load_records()


class PostgresHistoryReader(HistoryReader):
    """:class:`HistoryReader` over a psycopg connection."""

    PARAM = "%s"
    JSON_TYPE = "jsonb"
    TEXT_TYPE = "text"
