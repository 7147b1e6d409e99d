"""Table schemas, column hints and schema contracts of the normalize stage.

These are plain data: the normalizer keeps one :class:`TableSchema` per table it produces (seeded
from the schema stored in the destination and from the spec's declared columns), the load stage
stores them, versioned, next to the data. Nothing here knows the spec model: declared columns
and contracts arrive as mappings in dlt's vocabulary (``{"data_type": "bigint", ...}``,
``{"tables": "evolve", "columns": "freeze", "data_type": "discard_row"}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from restsync.errors import ConfigError

CONTRACT_MODES: Final = ("evolve", "freeze", "discard_value", "discard_row")
CONTRACT_ENTITIES: Final = ("tables", "columns", "data_type")
DATA_TYPES: Final = ("text", "bigint", "double", "bool", "timestamp", "date", "decimal", "json")
"""Column data types (dlt's names); ``complex`` is accepted as an alias of ``json``."""
TYPE_ALIASES: Final = {"complex": "json", "boolean": "bool", "string": "text",
                       "integer": "bigint", "float": "double", "timestamptz": "timestamp"}
DEFAULT_DECIMAL: Final = (38, 9)


@dataclass(frozen=True)
class SchemaContract:
    """What a load may change in the stored schema (dlt's ``schema_contract``).

    Attributes:
        tables: For a table the destination does not have yet (a new child table).
        columns: For a column an existing (or declared) table does not have.
        data_type: For a value that does not fit its existing (or declared) column's type.
    """

    tables: str = "evolve"
    columns: str = "evolve"
    data_type: str = "evolve"

    @classmethod
    def from_value(cls, value: SchemaContract | str | Mapping[str, Any] | None) -> SchemaContract:
        """Build from ``None`` (all evolve), a mode string (all three) or a mapping.

        Raises:
            ConfigError: An unknown entity or mode.
        """
        if value is None:
            return cls()
        if isinstance(value, SchemaContract):
            return value
        if isinstance(value, str):
            _check_mode("schema_contract", value)
            return cls(value, value, value)
        unknown = set(value) - set(CONTRACT_ENTITIES)
        if unknown:
            raise ConfigError(f"unknown schema_contract entity {sorted(unknown)[0]!r}; known: "
                              f"{', '.join(CONTRACT_ENTITIES)}", location="schema_contract")
        modes = {k: str(v) for k, v in value.items() if v is not None}
        for entity, mode in modes.items():
            _check_mode(entity, mode)
        return cls(**modes)


def _check_mode(entity: str, mode: str) -> None:
    if mode not in CONTRACT_MODES:
        raise ConfigError(f"unknown {entity} contract mode {mode!r}; known: "
                          f"{', '.join(CONTRACT_MODES)}", location=f"schema_contract.{entity}")


@dataclass(frozen=True)
class ColumnHint:
    """A declared column (dlt's column hints); every attribute is optional.

    Attributes:
        data_type: One of :data:`DATA_TYPES`, or None for a "known column" (type inferred).
        nullable: Whether nulls are expected (recorded; not enforced as NOT NULL).
        description: Stored in the schema and as the column comment.
        primary_key: Part of the primary key (recorded).
        precision: Decimal precision / timestamp digits.
        scale: Decimal scale.
    """

    data_type: str | None = None
    nullable: bool = True
    description: str | None = None
    primary_key: bool = False
    precision: int | None = None
    scale: int | None = None

    @classmethod
    def from_value(cls, value: ColumnHint | Mapping[str, Any] | None) -> ColumnHint:
        """Build from a mapping such as ``{"data_type": "bigint", "nullable": False}``.

        Unknown keys are ignored (dlt has many hints restsync does not use).

        Raises:
            ConfigError: An unknown data type.
        """
        if value is None:
            return cls()
        if isinstance(value, ColumnHint):
            return value
        data_type = value.get("data_type")
        if data_type is not None:
            data_type = TYPE_ALIASES.get(str(data_type), str(data_type))
            if data_type not in DATA_TYPES:
                raise ConfigError(f"unknown data_type {value.get('data_type')!r}; known: "
                                  f"{', '.join(DATA_TYPES)}", location="columns.data_type")
        return cls(data_type=data_type, nullable=bool(value.get("nullable", True)),
                   description=value.get("description"),
                   primary_key=bool(value.get("primary_key", False)),
                   precision=value.get("precision"), scale=value.get("scale"))


@dataclass
class ColumnSchema:
    """One column of a stored/normalized table.

    Attributes:
        name: Normalized column name.
        data_type: Kind (:data:`DATA_TYPES`), None while only declared without type and unseen.
        json_path: Keys from the row's object to the value (``("delivery-status", "code")``);
            empty for system and constant columns.
        nullable: Declared nullability (True unless declared otherwise).
        primary_key: Part of the primary key.
        description: Declared description (column comment).
        precision: Decimal precision.
        scale: Decimal scale.
        timestamp_unit: ``s`` / ``ms`` when the timestamp comes from epoch numbers.
        declared: The type was declared in the spec (wins over inference).
        limit: The limit that made this a JSON column (``max_columns``: a map too wide to
            flatten; ``max_nesting_depth``: values nested too deep), None otherwise.
    """

    name: str
    data_type: str | None
    json_path: tuple[str, ...] = ()
    nullable: bool = True
    primary_key: bool = False
    description: str | None = None
    precision: int | None = None
    scale: int | None = None
    timestamp_unit: str | None = None
    declared: bool = False
    limit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (falsy optional attributes left out)."""
        out: dict[str, Any] = {"name": self.name, "data_type": self.data_type,
                               "nullable": self.nullable}
        if self.json_path:
            out["json_path"] = list(self.json_path)
        for key in ("primary_key", "description", "precision", "scale", "timestamp_unit",
                    "declared", "limit"):
            value = getattr(self, key)
            if value not in (None, False):
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSchema:
        """Inverse of :meth:`to_dict`."""
        return cls(name=str(data["name"]), data_type=data.get("data_type"),
                   json_path=tuple(data.get("json_path") or ()),
                   nullable=bool(data.get("nullable", True)),
                   primary_key=bool(data.get("primary_key", False)),
                   description=data.get("description"), precision=data.get("precision"),
                   scale=data.get("scale"), timestamp_unit=data.get("timestamp_unit"),
                   declared=bool(data.get("declared", False)), limit=data.get("limit"))

    def type_text(self) -> str:
        """``bigint``, ``decimal(38,9)``, ``timestamp (epoch s)``."""
        text = self.data_type or "?"
        if text == "decimal":
            text += f"({self.precision},{self.scale})"
        if self.timestamp_unit:
            text += f" (epoch {self.timestamp_unit})"
        return text


@dataclass
class TableSchema:
    """The schema of one table.

    Attributes:
        name: Table name.
        parent: Parent table (child tables), None for a resource's root table.
        resource: Resource that loads the table.
        json_path: Path of the list the rows come from (child tables), empty for the root.
        columns: Column name -> schema, in column order.
        version: Stored version (0 = not stored yet).
    """

    name: str
    parent: str | None = None
    resource: str | None = None
    json_path: tuple[str, ...] = ()
    columns: dict[str, ColumnSchema] = field(default_factory=dict)
    version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "parent": self.parent, "resource": self.resource,
                "json_path": list(self.json_path), "version": self.version,
                "columns": [c.to_dict() for c in self.columns.values()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableSchema:
        """Inverse of :meth:`to_dict`."""
        columns = [ColumnSchema.from_dict(c) for c in data.get("columns") or ()]
        return cls(name=str(data["name"]), parent=data.get("parent"),
                   resource=data.get("resource"), json_path=tuple(data.get("json_path") or ()),
                   columns={c.name: c for c in columns}, version=int(data.get("version") or 0))

    def copy(self) -> TableSchema:
        """A deep copy (columns copied too)."""
        return replace(self, columns={k: replace(v) for k, v in self.columns.items()})


def column_from_hint(name: str, path: tuple[str, ...], hint: ColumnHint) -> ColumnSchema:
    """The column a declared hint describes (decimal defaults to precision 38, scale 9)."""
    precision, scale = hint.precision, hint.scale
    if hint.data_type == "decimal":
        precision = precision or DEFAULT_DECIMAL[0]
        scale = DEFAULT_DECIMAL[1] if scale is None else scale
    return ColumnSchema(name=name, data_type=hint.data_type, json_path=path,
                        nullable=hint.nullable, primary_key=hint.primary_key,
                        description=hint.description, precision=precision, scale=scale,
                        declared=hint.data_type is not None)
