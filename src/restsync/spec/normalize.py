"""Dialect normalization: a raw spec (dlt's dialect or a document's) -> the canonical dict.

The result has the shape of :class:`restsync.spec.model.SourceConfig` (references are still
unresolved). Every decision the spec leaves open is recorded in the :class:`Context` as an
inference; every problem as a located issue. See ``docs/spec.md`` for the list.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from restsync.spec import model
from restsync.spec.client import normalize_client
from restsync.spec.context import Context
from restsync.spec.endpoint import incremental_from_sync, normalize_endpoint
from restsync.spec.expressions import PROCESSING_NAMES, validate_expression
from restsync.spec.issues import RawPath, check_keys
from restsync.spec.schema_hints import normalize_contract, normalize_schema_hints

TOP_KEYS = ("client", "resource_defaults", "resources", "name", "schema_contract")
RESOURCE_KEYS: tuple[str, ...] = (*model.ResourceConfig.model_fields, "incremental_sync")
RESOURCE_UNSUPPORTED: dict[str, str] = {
    key: f"dlt resource option '{key}' is not supported by restsync yet"
    for key in ("table_format", "file_format", "merge_key",
                "parallelized", "nested_hints", "references", "hints")
}
DISPOSITIONS = ("append", "replace", "merge")
MERGE_STRATEGIES = ("delete-insert", "upsert")
REPLACE_STRATEGIES = ("truncate-and-insert", "insert-from-staging", "staging-optimized")
_TYPED_SECTIONS = ("paginator", "auth")


def to_identifier(text: str) -> str:
    """Normalize a name to an identifier: lower case, non-alphanumerics -> ``_``.

    A leading digit gets a ``_`` prefix; an empty result becomes ``"rest_api"``.
    """
    name = re.sub(r"[^0-9a-z_]+", "_", text.strip().lower()).strip("_")
    name = re.sub(r"_+", "_", name)
    if not name:
        return "rest_api"
    return f"_{name}" if name[0].isdigit() else name


def merge_defaults(defaults: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``resource_defaults`` under a resource (the resource wins).

    Mappings merge key by key; a ``paginator``/``auth`` of another ``type`` replaces the
    default one as a whole; lists and scalars replace.
    """
    out: dict[str, Any] = copy.deepcopy(dict(defaults))
    for key, value in resource.items():
        base = out.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping) and not (
            key in _TYPED_SECTIONS and base.get("type") != value.get("type")
            and "type" in value
        ):
            out[key] = merge_defaults(base, value)
        elif key == "endpoint" and isinstance(base, Mapping) and isinstance(value, str):
            out[key] = merge_defaults(base, {"path": value})
        else:
            out[key] = copy.deepcopy(value)
    return out


def normalize_source(raw: Any, ctx: Context) -> dict[str, Any]:
    """Normalize a whole raw spec into the canonical dict (without ``name``/``params``)."""
    if not isinstance(raw, Mapping):
        what = "nothing" if raw is None else type(raw).__name__
        ctx.issues.add((), f"a spec is a mapping with 'client' and 'resources', got {what}")
        return {}
    check_keys(raw, TOP_KEYS, (), ctx.issues, what="top-level key")
    out: dict[str, Any] = {"client": normalize_client(raw.get("client"), ctx)}
    source_contract = None
    if raw.get("schema_contract") is not None:
        source_contract = normalize_contract(raw["schema_contract"], ("schema_contract",), ctx)
        out["schema_contract"] = source_contract
    defaults = raw.get("resource_defaults") or {}
    if not isinstance(defaults, Mapping):
        ctx.issues.add(("resource_defaults",), "resource_defaults must be a mapping")
        defaults = {}
    bad = check_keys(defaults, [k for k in RESOURCE_KEYS if k != "name"],
                     ("resource_defaults",), ctx.issues, unsupported=RESOURCE_UNSUPPORTED,
                     what="resource_defaults key")
    defaults = {k: v for k, v in defaults.items() if k not in bad}
    resources = raw.get("resources")
    if not isinstance(resources, list) or not resources:
        ctx.issues.add(("resources",), "resources must be a non-empty list of resources "
                                       "(names or mappings)")
        out["resources"] = []
        return out
    out["resources"] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(resources):
        path: RawPath = ("resources", i)
        if isinstance(item, str):  # dlt: a plain name is also the endpoint path
            item = {"name": item, "endpoint": {"path": item}}
        if not isinstance(item, Mapping):
            ctx.issues.add(path, "a resource is a name or a mapping with 'name' and 'endpoint'")
            continue
        resource = normalize_resource(merge_defaults(defaults, item), path, ctx,
                                      source_contract=source_contract)
        name = resource.get("name")
        if isinstance(name, str):
            if name in seen:
                ctx.issues.add((*path, "name"), f"resource name '{name}' is used twice "
                                                f"(also resources[{seen[name]}])")
            seen.setdefault(name, i)
        out["resources"].append(resource)
    return out


def normalize_resource(value: dict[str, Any], path: RawPath, ctx: Context, *,
                       source_contract: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Normalize one resource (``resource_defaults`` already merged in)."""
    bad = check_keys(value, RESOURCE_KEYS, path, ctx.issues, unsupported=RESOURCE_UNSUPPORTED,
                     what="resource key")
    out = {k: v for k, v in value.items() if k not in bad}
    name = ctx.literal_str(out.get("name"), (*path, "name"), "resource name")
    if "endpoint" not in out:
        if name is None:
            return out
        out["endpoint"] = {"path": name}
        ctx.infer((*path, "endpoint", "path"), f"endpoint path `{name}` taken from the "
                                               "resource name")
    if isinstance(out["endpoint"], Mapping) and "path" not in out["endpoint"] and name:
        out["endpoint"] = {**out["endpoint"], "path": name}
        ctx.infer((*path, "endpoint", "path"), f"endpoint path `{name}` taken from the "
                                               "resource name")
    endpoint = normalize_endpoint(out["endpoint"], (*path, "endpoint"), ctx)
    out["endpoint"] = endpoint
    sync = out.pop("incremental_sync", None)
    if sync is not None:
        if endpoint.get("incremental") is not None:
            ctx.issues.add((*path, "incremental_sync"), "give either incremental_sync or "
                                                        "endpoint.incremental, not both")
        else:
            incremental = incremental_from_sync(sync, (*path, "incremental_sync"), ctx)
            if incremental is not None:
                endpoint["incremental"] = incremental
    if "write_disposition" in out:
        disposition = _write_disposition(out["write_disposition"], (*path, "write_disposition"),
                                         ctx)
        if disposition is None:
            out.pop("write_disposition")
        else:
            out["write_disposition"] = disposition
    if "processing_steps" in out:
        out["processing_steps"] = _processing_steps(out["processing_steps"],
                                                    (*path, "processing_steps"), ctx)
    if isinstance(out.get("include_from_parent"), str):
        out["include_from_parent"] = [out["include_from_parent"]]
    normalize_schema_hints(out, path, ctx, source_contract)
    return out


def _write_disposition(value: Any, path: RawPath, ctx: Context) -> str | None:
    if isinstance(value, Mapping):
        check_keys(value, ("disposition", "strategy"), path, ctx.issues,
                   what="write_disposition key")
        disposition = ctx.choice(value.get("disposition"), (*path, "disposition"),
                                 "write disposition", DISPOSITIONS)
        strategy = value.get("strategy")
        if disposition is not None and strategy is not None:
            allowed = {"merge": MERGE_STRATEGIES, "replace": REPLACE_STRATEGIES}.get(
                disposition, ())
            if strategy not in allowed:
                ctx.issues.add((*path, "strategy"),
                               f"{disposition} strategy {strategy!r} is not supported; "
                               f"supported: {', '.join(allowed) or 'none'}")
        return disposition
    return ctx.choice(value, path, "write disposition", DISPOSITIONS)


def _processing_steps(value: Any, path: RawPath, ctx: Context) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        ctx.issues.add(path, "processing_steps must be a list of {filter: ...} / {map: ...}")
        return []
    out: list[dict[str, Any]] = []
    for i, step in enumerate(value):
        where = (*path, i)
        if not isinstance(step, Mapping):
            ctx.issues.add(where, "a processing step is {filter: \"<expression>\"} or "
                                  "{map: {column: \"<expression>\"}}")
            continue
        bad = check_keys(step, ("filter", "map"), where, ctx.issues, what="processing step key")
        present = [k for k in ("filter", "map") if k in step]
        if len(present) != 1:
            if not bad and not ctx.issues.is_reported(where):
                ctx.issues.add(where, "a processing step has exactly one of filter or map")
            continue
        key = present[0]
        body = step[key]
        if ctx.issues.is_reported((*where, key)):
            continue
        if key == "filter":
            if not isinstance(body, str):
                ctx.issues.add((*where, "filter"), "filter must be an expression string "
                                                   "over `record` (callables are not supported)")
                continue
            for problem in validate_expression(body, PROCESSING_NAMES):
                ctx.issues.add((*where, "filter"), problem)
            out.append({"filter": body})
        else:
            if not isinstance(body, Mapping) or not all(isinstance(v, str) for v in body.values()):
                ctx.issues.add((*where, "map"), "map must be a mapping {column: \"<expression>\"}"
                                                " (callables are not supported)")
                continue
            for column, expr in body.items():
                for problem in validate_expression(expr, PROCESSING_NAMES):
                    ctx.issues.add((*where, "map", column), problem)
            out.append({"map": dict(body)})
    return out
