"""Normalize a resource's schema hints: ``columns``, ``schema_contract``, ``json_columns``.

dlt's vocabulary: ``columns: {name: {data_type, nullable, description, primary_key, merge_key,
precision, scale}}`` (a list of ``{name: ..., ...}`` mappings is accepted too) and ``schema_contract``
as a mode string (``freeze``) or ``{tables, columns, data_type}``. The source's top-level
``schema_contract`` is merged under every resource's (the resource wins per entity).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from restsync.spec import model
from restsync.spec.context import Context
from restsync.spec.issues import RawPath, check_keys

CONTRACT_MODES: tuple[str, ...] = get_args(model.ContractMode)
CONTRACT_ENTITIES: tuple[str, ...] = tuple(model.SchemaContractConfig.model_fields)
DATA_TYPES: tuple[str, ...] = get_args(model.ColumnDataType)
TYPE_ALIASES = {"complex": "json", "boolean": "bool", "string": "text", "integer": "bigint",
                "float": "double", "timestamptz": "timestamp"}
COLUMN_KEYS: tuple[str, ...] = tuple(model.ColumnConfig.model_fields)
COLUMN_IGNORED = ("name", "unique", "sort", "partition", "cluster", "timezone",
                  "hard_delete", "dedup_sort", "row_key", "parent_key", "root_key", "variant")


def normalize_contract(value: Any, path: RawPath, ctx: Context) -> dict[str, str] | None:
    """A contract string or mapping -> ``{tables, columns, data_type}`` (only given keys)."""
    if isinstance(value, str):
        mode = ctx.choice(value, path, "schema contract mode", CONTRACT_MODES)
        return None if mode is None else dict.fromkeys(CONTRACT_ENTITIES, mode)
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "schema_contract is a mode (evolve, freeze, discard_value, "
                             "discard_row) or a mapping with tables/columns/data_type")
        return None
    bad = check_keys(value, CONTRACT_ENTITIES, path, ctx.issues, what="schema_contract key")
    out: dict[str, str] = {}
    for key, mode in value.items():
        if key in bad:
            continue
        checked = ctx.choice(mode, (*path, key), f"{key} contract mode", CONTRACT_MODES)
        if checked is not None:
            out[key] = checked
    return out


def merge_contract(source: Mapping[str, str] | None, resource: Any) -> dict[str, str] | None:
    """The resource's contract over the source's (per entity); None when neither is set."""
    if not source:
        return dict(resource) if isinstance(resource, Mapping) else None
    merged = dict(source)
    if isinstance(resource, Mapping):
        merged.update(resource)
    return merged


def normalize_columns(value: Any, path: RawPath, ctx: Context) -> dict[str, dict[str, Any]]:
    """dlt's ``columns`` hints (mapping or list) -> ``{name: column hints}``."""
    if isinstance(value, list):
        items: dict[str, Any] = {}
        for i, item in enumerate(value):
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                items[item["name"]] = item
            else:
                ctx.issues.add((*path, i), "a column in a list needs a 'name'")
        value = items
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "columns is a mapping of column name to hints "
                             "({data_type, nullable, description, primary_key})")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, hints in value.items():
        where = (*path, name)
        if not isinstance(name, str) or not name.strip():
            ctx.issues.add(where, "a column name must be a non-empty string")
            continue
        if hints is None:
            hints = {}
        if not isinstance(hints, Mapping):
            ctx.issues.add(where, "column hints are a mapping ({data_type: bigint, ...})")
            continue
        bad = check_keys(hints, (*COLUMN_KEYS, *COLUMN_IGNORED), where, ctx.issues,
                         what="column hint")
        column = {k: v for k, v in hints.items() if k in COLUMN_KEYS and k not in bad}
        if "data_type" in column:
            data_type = column["data_type"]
            data_type = TYPE_ALIASES.get(data_type, data_type) if isinstance(data_type, str) \
                else data_type
            checked = ctx.choice(data_type, (*where, "data_type"), "data type", DATA_TYPES)
            if checked is None:
                column.pop("data_type")
            else:
                column["data_type"] = checked
        out[name] = column
    return out


def normalize_json_columns(value: Any, path: RawPath, ctx: Context) -> list[str]:
    """``json_columns``: a field path or a list of them."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        ctx.issues.add(path, "json_columns is a list of field paths (payload, message.headers)")
        return []
    return list(value)


def normalize_schema_hints(resource: dict[str, Any], path: RawPath, ctx: Context,
                           source_contract: Mapping[str, str] | None) -> None:
    """Normalize the schema hints of one resource in place."""
    if "columns" in resource:
        resource["columns"] = normalize_columns(resource["columns"], (*path, "columns"), ctx)
    contract = None
    if resource.get("schema_contract") is not None:
        contract = normalize_contract(resource["schema_contract"], (*path, "schema_contract"),
                                      ctx)
    merged = merge_contract(source_contract, contract)
    if merged is None:
        resource.pop("schema_contract", None)
    else:
        resource["schema_contract"] = merged
    if "json_columns" in resource:
        resource["json_columns"] = normalize_json_columns(resource["json_columns"],
                                                          (*path, "json_columns"), ctx)
