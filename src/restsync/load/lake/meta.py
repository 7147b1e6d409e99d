"""restsync's own tables in a lake dataset: state, load and run records, stored schema.

They have the same names and columns as in the SQL destinations (``_restsync_state``,
``_restsync_loads``, ``_restsync_runs``, ``_restsync_schema``, ``_restsync_schema_changes``),
in the dataset's own format, so any engine reading the lake can read them too (JSON columns
are text here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import orjson
import pyarrow as pa

from restsync.load.lake.columns import TableColumns
from restsync.load.lake.table_format import TableFormat
from restsync.normalize import TableSchema
from restsync.normalize import kinds as k

STATE_TABLE: Final = "_restsync_state"
LOADS_TABLE: Final = "_restsync_loads"
RUNS_TABLE: Final = "_restsync_runs"
SCHEMA_TABLE: Final = "_restsync_schema"
CHANGES_TABLE: Final = "_restsync_schema_changes"

_COLUMNS: Final[dict[str, dict[str, str]]] = {
    STATE_TABLE: {"resource": k.TEXT, "state": k.TEXT, "load_id": k.TEXT,
                  "updated_at": k.TIMESTAMP},
    LOADS_TABLE: {"load_id": k.TEXT, "resource": k.TEXT, "status": k.TEXT, "rows": k.BIGINT,
                  "started_at": k.TIMESTAMP, "finished_at": k.TIMESTAMP, "details": k.TEXT},
    RUNS_TABLE: {"run_id": k.TEXT, "status": k.TEXT, "started_at": k.TIMESTAMP,
                 "finished_at": k.TIMESTAMP, "record": k.TEXT},
    SCHEMA_TABLE: {"table_name": k.TEXT, "version": k.BIGINT, "resource": k.TEXT,
                   "parent_table": k.TEXT, "load_id": k.TEXT, "schema": k.TEXT,
                   "created_at": k.TIMESTAMP},
    CHANGES_TABLE: {"load_id": k.TEXT, "resource": k.TEXT, "table_name": k.TEXT,
                    "version": k.BIGINT, "change": k.TEXT, "column_name": k.TEXT,
                    "old_type": k.TEXT, "new_type": k.TEXT, "json_path": k.TEXT,
                    "created_at": k.TIMESTAMP},
}
META_TABLES: Final = tuple(_COLUMNS)


def meta_columns(table: str) -> TableColumns:
    """The columns of one of restsync's own tables."""
    out = TableColumns()
    out.kinds = dict(_COLUMNS[table])
    out.types = {n: k.ARROW_TYPES[kind] for n, kind in _COLUMNS[table].items()}
    return out


def micros(moment: datetime) -> int:
    """A timestamp as microseconds since the epoch (how journals keep them)."""
    return int(moment.timestamp() * 1_000_000)


def now_micros() -> int:
    return micros(datetime.now(UTC))


def read_rows(fmt: TableFormat, table: str) -> list[dict[str, Any]]:
    """Every row of one of restsync's own tables (none when it does not exist)."""
    if fmt.schema(table) is None:
        return []
    return fmt.read(table).to_pylist()


def read_states(fmt: TableFormat) -> dict[str, dict[str, Any]]:
    """Every resource's committed state."""
    out: dict[str, dict[str, Any]] = {}
    for row in sorted(read_rows(fmt, STATE_TABLE), key=lambda r: r["resource"]):
        value = orjson.loads(row["state"]) if row["state"] is not None else {}
        out[row["resource"]] = value if isinstance(value, dict) else {}
    return out


def state_rows(fmt: TableFormat, changes: dict[str, str | None], load_id: str
               ) -> list[dict[str, Any]]:
    """The state table's rows after storing ``changes`` (resource -> state JSON, or None to
    forget it), for a ``replace`` step."""
    now = now_micros()
    rows = []
    for row in read_rows(fmt, STATE_TABLE):
        if row["resource"] in changes:
            continue
        updated = row["updated_at"]
        rows.append({**row, "updated_at": micros(updated) if updated else None})
    for resource, state_json in changes.items():
        if state_json is not None:
            rows.append({"resource": resource, "state": state_json, "load_id": load_id,
                         "updated_at": now})
    return sorted(rows, key=lambda r: r["resource"])


def latest_schemas(fmt: TableFormat, root_table: str | None) -> dict[str, TableSchema]:
    """The latest stored version of every table (of one resource's tables with a root)."""
    latest: dict[str, tuple[int, str]] = {}
    for row in read_rows(fmt, SCHEMA_TABLE):
        name = row["table_name"]
        if root_table is not None and not (name == root_table or
                                           name.startswith(root_table + "__")):
            continue
        if name not in latest or row["version"] > latest[name][0]:
            latest[name] = (row["version"], row["schema"])
    out: dict[str, TableSchema] = {}
    for name in sorted(latest):
        version, text = latest[name]
        table = TableSchema.from_dict(orjson.loads(text))
        table.version = int(version)
        out[name] = table
    return out


def empty(table: str) -> pa.Table:
    """An empty table with the columns of one of restsync's own tables."""
    return meta_columns(table).conform(pa.table({}))
