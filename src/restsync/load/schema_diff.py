"""The stored schema's pure parts, shared by every destination: what changed, and versions.

* :func:`final_schema`: a table's schema after a load, from the destination's actual column
  types (what users of the destination see) and the normalizer's schema (JSON paths, hints);
* :func:`diff_tables`: what changed between two versions (:class:`SchemaChange`);
* :func:`next_version`: whether a new version is stored, and its number.

SQL destinations store versions with :class:`restsync.load.sql.schema_store.SchemaStore`;
lake destinations in their own ``_restsync_schema`` tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from restsync.normalize import TableSchema
from restsync.normalize.naming import render_path
from restsync.normalize.schema import ColumnSchema

_DECIMAL = re.compile(r"^(DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$", re.IGNORECASE)
_SQL_KINDS: Final = {
    "BIGINT": "bigint", "INTEGER": "bigint", "HUGEINT": "bigint", "UBIGINT": "bigint",
    "DOUBLE": "double", "DOUBLE PRECISION": "double", "FLOAT": "double", "REAL": "double",
    "BOOLEAN": "bool", "VARCHAR": "text", "TEXT": "text", "CHARACTER VARYING": "text",
    "JSON": "json", "JSONB": "json", "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp", "TIMESTAMPTZ": "timestamp",
}


@dataclass(frozen=True)
class SchemaChange:
    """One change of a table's stored schema.

    Attributes:
        table: Table name.
        change: ``new_table``, ``new_column``, ``type_changed`` or ``description_changed``.
        column: Column name (None for ``new_table``).
        old_type: Type before (``type_changed``).
        new_type: Type after (new columns and type changes).
        json_path: Where the column's values come from in the records.
    """

    table: str
    change: str
    column: str | None = None
    old_type: str | None = None
    new_type: str | None = None
    json_path: str | None = None

    def __str__(self) -> str:
        if self.change == "new_table":
            return f"new table {self.table}"
        where = f"{self.table}.{self.column}"
        source = f", from `{self.json_path}`" if self.json_path else ""
        if self.change == "new_column":
            return f"new column {where} ({self.new_type}{source})"
        if self.change == "type_changed":
            return f"{where}: {self.old_type} -> {self.new_type}"
        return f"{where}: description changed"


def kind_of_sql_type(sql_type: str) -> tuple[str, int | None, int | None]:
    """A destination column type -> (kind, precision, scale); unknown types are ``text``."""
    match = _DECIMAL.match(sql_type.strip())
    if match:
        return "decimal", int(match.group(2)), int(match.group(3))
    return _SQL_KINDS.get(sql_type.strip().upper(), "text"), None, None


def final_schema(table: str, actual: Mapping[str, str], normalized: TableSchema | None,
                 previous: TableSchema | None, *, parent: str | None,
                 resource: str) -> TableSchema:
    """The schema to store for ``table`` after a load.

    Types come from the destination's actual columns (``actual``: name -> SQL type), which is
    what SQL users see; JSON paths, descriptions and declarations from the normalizer's
    schema, else from the previous stored version.
    """
    out = TableSchema(table, parent, resource,
                      normalized.json_path if normalized else
                      previous.json_path if previous else ())
    for name, sql_type in actual.items():
        kind, precision, scale = kind_of_sql_type(sql_type)
        meta = (normalized.columns.get(name) if normalized else None) or \
            (previous.columns.get(name) if previous else None)
        col = ColumnSchema(name, kind, precision=precision, scale=scale)
        if meta is not None:
            col.json_path, col.nullable = meta.json_path, meta.nullable
            col.primary_key, col.description = meta.primary_key, meta.description
            col.declared = meta.declared and meta.data_type == kind
            col.limit = meta.limit  # a JSON column made by restsync's limits stays one
            if kind == "timestamp":
                col.timestamp_unit = meta.timestamp_unit
        out.columns[name] = col
    return out


def _is_system(name: str) -> bool:
    return name.startswith("_dlt_")


def diff_tables(old: TableSchema | None, new: TableSchema) -> list[SchemaChange]:
    """What changed from ``old`` (None: the table is new) to ``new``."""
    if old is None or not old.columns:
        return [SchemaChange(new.name, "new_table")]
    changes: list[SchemaChange] = []
    for name, col in new.columns.items():
        before = old.columns.get(name)
        path = render_path(col.json_path) if col.json_path else None
        if col.data_type is None:  # known (declared) column without values yet
            continue
        if before is None:
            if not _is_system(name):
                changes.append(SchemaChange(new.name, "new_column", name,
                                            new_type=col.type_text(), json_path=path))
        elif before.type_text() != col.type_text():
            changes.append(SchemaChange(new.name, "type_changed", name, before.type_text(),
                                        col.type_text(), path))
        elif (before.description or None) != (col.description or None):
            changes.append(SchemaChange(new.name, "description_changed", name, json_path=path))
    return changes


def _same(a: TableSchema, b: TableSchema) -> bool:
    da, db = a.to_dict(), b.to_dict()
    da.pop("version")
    db.pop("version")
    return da == db


def next_version(new: TableSchema, previous: TableSchema | None) -> list[SchemaChange] | None:
    """Number ``new`` as the version after ``previous``, or None when nothing changed.

    Returns:
        The changes from ``previous`` (``new.version`` is set), or None: ``previous`` is
        stored already and ``new`` equals it (``new.version`` is left as it was).
    """
    if previous is not None and previous.version and _same(previous, new):
        return None
    changes = diff_tables(previous, new)
    new.version = (previous.version if previous else 0) + 1
    return changes


def in_family(table: str, root_table: str) -> bool:
    """Whether ``table`` is ``root_table`` or one of its child tables (``<root>__...``)."""
    return table == root_table or table.startswith(root_table + "__")


def with_unrecorded(stored: dict[str, TableSchema], tables: list[str],
                    root_table: str | None, actual: Callable[[str], Mapping[str, str]]
                    ) -> dict[str, TableSchema]:
    """``stored`` plus the data tables that have no stored schema (loaded before schemas were
    stored), described from their columns (``actual``: name -> SQL type), with version 0."""
    for table in tables:
        if table.startswith("_restsync_") or table in stored:
            continue
        if root_table is not None and not in_family(table, root_table):
            continue
        parent = table.rsplit("__", 1)[0] if "__" in table else None
        stored[table] = final_schema(table, actual(table), None, None, parent=parent,
                                     resource=root_table or table)
    return stored
