"""The stored, versioned schema of every table, and the record of what each load changed.

Two tables in the dataset, written in the same transaction as the data:

* ``_restsync_schema``: one row per (table, version): the table's whole schema as JSON
  (columns with type, nullability, primary key, JSON path, description; parent table; resource).
  A new version is written only when something changed.
* ``_restsync_schema_changes``: one row per change (new table, new column, type change,
  description change) with the load id, so "what changed when" is a query.

The pure parts are in :mod:`restsync.load.schema_diff`; :class:`SchemaStore` holds the SQL
(the DuckDB and PostgreSQL subclasses name their parameter style and JSON type).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from restsync.load.report import LoadReport
from restsync.load.schema_diff import SchemaChange, final_schema, next_version
from restsync.load.sql.names import quote
from restsync.normalize import TableSchema

SCHEMA_TABLE: Final = "_restsync_schema"
CHANGES_TABLE: Final = "_restsync_schema_changes"


class SchemaStore:
    """Reads and writes the schema tables of one dataset through ``sql``.

    The SQL is common to DuckDB and PostgreSQL; subclasses name the parameter placeholder
    and the JSON column type.

    Args:
        sql: Runs one statement with parameters and returns all rows.
        ref: Quotes a ``(schema, table)`` reference.
        dataset: The dataset (schema) name.
    """

    param: str = "?"
    json_type: str = "JSON"
    row_order: str = "rowid"  # insertion order: orders the changes of one load

    def text(self, value: str) -> str:
        """A text value as this database can store it (PostgreSQL: without NUL)."""
        return value

    def __init__(self, sql: Callable[[str, Sequence[Any] | None], list[tuple[Any, ...]]],
                 ref: Callable[..., str], dataset: str) -> None:
        self._sql = sql
        self._ref = ref
        self._dataset = dataset

    def ensure_tables(self) -> None:
        """Create the two schema tables when missing."""
        self._sql(f"CREATE TABLE IF NOT EXISTS {self._ref(self._dataset, SCHEMA_TABLE)} "
                  "(table_name VARCHAR, version INTEGER, resource VARCHAR, parent_table VARCHAR, "
                  f"load_id VARCHAR, schema {self.json_type}, created_at TIMESTAMPTZ)", None)
        self._sql(f"CREATE TABLE IF NOT EXISTS {self._ref(self._dataset, CHANGES_TABLE)} "
                  "(load_id VARCHAR, resource VARCHAR, table_name VARCHAR, version INTEGER, "
                  "change VARCHAR, column_name VARCHAR, old_type VARCHAR, new_type VARCHAR, "
                  "json_path VARCHAR, created_at TIMESTAMPTZ)", None)

    def latest(self, root_table: str | None = None, *, exists: bool = True
               ) -> dict[str, TableSchema]:
        """Latest stored version of every table (of one resource when ``root_table`` given)."""
        if not exists:
            return {}
        p, where, params = self.param, "", []
        if root_table is not None:
            where = f"WHERE table_name = {p} OR starts_with(table_name, {p})"
            params = [root_table, root_table + "__"]
        ref = self._ref(self._dataset, SCHEMA_TABLE)
        rows = self._sql(
            f"SELECT CAST(s.schema AS VARCHAR), s.version FROM {ref} s JOIN "
            f"(SELECT table_name, max(version) AS version FROM {ref} {where} "
            "GROUP BY table_name) m ON s.table_name = m.table_name AND s.version = m.version "
            "ORDER BY s.table_name", params)
        out: dict[str, TableSchema] = {}
        for schema_json, version in rows:
            table = TableSchema.from_dict(orjson.loads(schema_json))
            table.version = int(version)
            out[table.name] = table
        return out

    def history(self, table: str | None = None) -> list[dict[str, Any]]:
        """Every recorded change, oldest first (of one table when given)."""
        where, params = (f"WHERE table_name = {self.param}", [table]) if table else ("", [])
        rows = self._sql(
            f"SELECT load_id, resource, table_name, version, change, column_name, old_type, "
            f"new_type, json_path FROM {self._ref(self._dataset, CHANGES_TABLE)} {where} "
            f"ORDER BY created_at, table_name, version, {self.row_order}", params)
        keys = ("load_id", "resource", "table", "version", "change", "column", "old_type",
                "new_type", "json_path")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def record(self, new: TableSchema, previous: TableSchema | None, *, load_id: str,
               resource: str) -> list[SchemaChange]:
        """Store ``new`` as the next version when it differs from ``previous``; log changes."""
        changes = next_version(new, previous)
        if changes is None:
            return []
        now, p = datetime.now(UTC).isoformat(), self.param
        self._sql(f"INSERT INTO {self._ref(self._dataset, SCHEMA_TABLE)} VALUES ({p}, {p}, "
                  f"{p}, {p}, {p}, CAST({p} AS {self.json_type}), CAST({p} AS TIMESTAMPTZ))",
                  [new.name, new.version, resource, new.parent, load_id,
                   self.text(orjson.dumps(new.to_dict()).decode()), now])
        for c in changes:
            self._sql(f"INSERT INTO {self._ref(self._dataset, CHANGES_TABLE)} "
                      f"VALUES ({', '.join([p] * 9)}, CAST({p} AS TIMESTAMPTZ))",
                      [load_id, resource, c.table, new.version, c.change, c.column, c.old_type,
                       c.new_type, self.text(c.json_path) if c.json_path else None, now])
        return changes

    def record_load(self, tables: Mapping[str, str | None],
                    actual: Callable[[str], Mapping[str, str]],
                    normalized: Mapping[str, TableSchema], stored: Mapping[str, TableSchema],
                    *, load_id: str, resource: str, report: LoadReport) -> None:
        """Store the schema of every table a load wrote, with comments; fill ``report``.

        Args:
            tables: Table -> parent table, for every table the load wrote rows to.
            actual: Table -> its columns in the destination (name -> SQL type).
            normalized: Table -> the normalizer's schema of this load (JSON paths, hints).
            stored: Table -> the version stored when the load began.
            load_id: The load id recorded with each version and change.
            resource: The resource the tables belong to.
            report: Gets ``schema_changes`` and ``schema_versions``.
        """
        self.ensure_tables()
        for table, parent in tables.items():
            previous = stored.get(table)
            new = final_schema(table, actual(table), normalized.get(table), previous,
                               parent=parent, resource=resource)
            changes = self.record(new, previous, load_id=load_id, resource=resource)
            self.comment(new, previous)
            report.schema_changes.extend(str(c) for c in changes)
            report.schema_versions[table] = new.version or (previous.version if previous else 0)

    def comment(self, new: TableSchema, previous: TableSchema | None) -> None:
        """``COMMENT ON COLUMN`` for every description that is new or changed."""
        for name, col in new.columns.items():
            before = previous.columns.get(name) if previous else None
            if col.description and (before is None or before.description != col.description):
                target = f"{self._ref(self._dataset, new.name)}.{quote(name)}"
                text = col.description.replace("'", "''")
                self._sql(f"COMMENT ON COLUMN {target} IS '{text}'", None)
