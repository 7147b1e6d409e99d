"""Column kinds in lake tables: Arrow types <-> restsync kinds, widening, conversion.

Lake tables store each kind as a plain Arrow/Parquet type (``json`` as text: the formats have
no JSON type; the stored schema remembers which text columns hold JSON). Types widen by the
rules of every other destination (:func:`restsync.normalize.kinds.widen`): ``bigint`` +
``double`` -> ``double`` (``text`` when an integer beyond 2**53 would lose precision), ``json``
absorbs everything but ``text``, any other mix -> ``text``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyarrow as pa

from restsync.normalize import kinds

SQL_NAMES = {kinds.BIGINT: "BIGINT", kinds.DOUBLE: "DOUBLE", kinds.BOOL: "BOOLEAN",
             kinds.TEXT: "VARCHAR", kinds.JSON: "JSON", kinds.TIMESTAMP: "TIMESTAMPTZ",
             kinds.DATE: "DATE"}


def kind_of(arrow_type: pa.DataType) -> str | None:
    """The kind of an Arrow type (None for the null type: no value seen yet)."""
    if kinds.is_json_type(arrow_type):
        return kinds.JSON
    if pa.types.is_null(arrow_type):
        return None
    if pa.types.is_boolean(arrow_type):
        return kinds.BOOL
    if pa.types.is_integer(arrow_type):
        return kinds.BIGINT
    if pa.types.is_floating(arrow_type):
        return kinds.DOUBLE
    if pa.types.is_timestamp(arrow_type):
        return kinds.TIMESTAMP
    if pa.types.is_date(arrow_type):
        return kinds.DATE
    if pa.types.is_decimal(arrow_type):
        return kinds.DECIMAL
    return kinds.TEXT


def storage_type(kind: str, original: pa.DataType | None = None) -> pa.DataType:
    """The Arrow type a lake table stores ``kind`` as (decimals keep precision and scale)."""
    if kind == kinds.DECIMAL and original is not None and pa.types.is_decimal(original):
        return original
    if kind == kinds.JSON:
        return pa.string()
    return kinds.ARROW_TYPES[kind]


def sql_type_name(kind: str, arrow_type: pa.DataType) -> str:
    """The SQL-style type name the stored schema records (what DuckDB would show)."""
    if kind == kinds.DECIMAL and pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    return SQL_NAMES.get(kind, "VARCHAR")


def convert(column: pa.ChunkedArray | pa.Array, kind: str,
            target: pa.DataType) -> pa.ChunkedArray | pa.Array:
    """Values of ``column`` as ``kind`` stored as ``target`` (JSON as its text)."""
    if column.type == target:
        return column
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([convert(c, kind, target) for c in column.chunks], target)
    if kind == kinds.DECIMAL or pa.types.is_decimal(target):
        return column.cast(target)
    converted = kinds.convert(column, kind)
    if kinds.is_json_type(converted.type):
        converted = converted.storage
    return converted if converted.type == target else converted.cast(target)


class TableColumns:
    """The columns of one lake table as kinds and storage types, in table order.

    Args:
        schema: The table's Arrow schema (None: the table does not exist yet).
        json_columns: Text columns that hold JSON (from the stored schema).
    """

    def __init__(self, schema: pa.Schema | None = None,
                 json_columns: Iterable[str] = ()) -> None:
        self.types: dict[str, pa.DataType] = {}
        self.kinds: dict[str, str | None] = {}
        json = set(json_columns)
        for field in schema or []:
            kind = kind_of(field.type)
            if kind == kinds.TEXT and field.name in json:
                kind = kinds.JSON
            self.kinds[field.name] = kind
            self.types[field.name] = field.type if kind is None else \
                storage_type(kind, field.type)

    def copy(self) -> TableColumns:
        out = TableColumns()
        out.types, out.kinds = dict(self.types), dict(self.kinds)
        return out

    def absorb(self, other: TableColumns, inexact: Callable[[str], bool] = lambda _: False
               ) -> None:
        """Widen to hold ``other``'s columns too (new ones are added at the end).

        Args:
            other: The incoming columns.
            inexact: Whether a column's integers (incoming or stored) go beyond 2**53; asked
                only when ``bigint`` meets ``double``, which then widens to ``text``.
        """
        for name, incoming in other.kinds.items():
            original = other.types[name]
            if name not in self.kinds:
                self.kinds[name] = incoming
                self.types[name] = original if incoming is None else \
                    storage_type(incoming, original)
                continue
            old = self.kinds[name]
            wide = kinds.widen(old, incoming)
            if {old, incoming} == {kinds.BIGINT, kinds.DOUBLE} and inexact(name):
                wide = kinds.TEXT
            if wide != old and wide is not None:
                self.kinds[name] = wide
                self.types[name] = storage_type(wide, original)

    @classmethod
    def of_schema(cls, schema: pa.Schema) -> TableColumns:
        """The columns of Arrow data as the normalizer made it (JSON as ``arrow.json``)."""
        out = cls()
        for field in schema:
            out.kinds[field.name] = kind_of(field.type)
            out.types[field.name] = field.type
        return out

    def without(self, name: str) -> TableColumns:
        """A copy without column ``name``."""
        out = self.copy()
        out.types.pop(name, None)
        out.kinds.pop(name, None)
        return out

    def schema(self) -> pa.Schema:
        """The storage schema (columns without any value yet stored as text)."""
        return pa.schema([pa.field(n, t if not pa.types.is_null(t) else pa.string())
                          for n, t in self.types.items()])

    def json_columns(self) -> list[str]:
        return [n for n, k in self.kinds.items() if k == kinds.JSON]

    def changed_from(self, before: TableColumns) -> list[str]:
        """Columns whose storage type differs from ``before``'s (widened: a rewrite)."""
        return [n for n, t in before.types.items()
                if n in self.types and not pa.types.is_null(t) and self.types[n] != t]

    def conform(self, table: pa.Table) -> pa.Table:
        """``table`` with exactly this schema: columns converted, missing ones null."""
        arrays = []
        schema = self.schema()
        for field in schema:
            if field.name in table.column_names:
                kind = self.kinds[field.name] or kinds.TEXT
                arrays.append(convert(table.column(field.name), kind, field.type))
            else:
                arrays.append(pa.nulls(table.num_rows, field.type))
        return pa.Table.from_arrays(arrays, schema=schema)
