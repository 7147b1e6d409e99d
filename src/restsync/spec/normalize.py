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
from restsync.spec.code import UserCode
from restsync.spec.context import Context
from restsync.spec.endpoint import check_templates, incremental_from_sync, normalize_endpoint
from restsync.spec.expressions import PROCESSING_NAMES, validate_expression
from restsync.spec.issues import RawPath, check_keys
from restsync.spec.merge_hints import normalize_keys
from restsync.spec.schema_hints import normalize_contract, normalize_schema_hints
from restsync.spec.templates import single_entity_path

TOP_KEYS = ("client", "resource_defaults", "resources", "name", "schema_contract")
RESOURCE_KEYS: tuple[str, ...] = (
    *(k for k in model.ResourceConfig.model_fields if k != "merge_strategy"),
    "incremental_sync", "file_format")
RESOURCE_UNSUPPORTED: dict[str, str] = {
    **{key: f"dlt resource option '{key}' is not supported by restsync yet"
       for key in ("nested_hints", "references", "hints", "parent_table_name")},
}
FILE_FORMATS = ("jsonl", "parquet", "csv", "insert_values", "preferred", "model")
DISPOSITIONS = ("append", "replace", "merge")
MERGE_STRATEGIES = ("delete-insert", "upsert")
REPLACE_STRATEGIES = ("truncate-and-insert", "insert-from-staging", "staging-optimized")
_SHALLOW_MERGED = ("params", "json")


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
    """Merge ``resource_defaults`` under a resource the way dlt does (the resource wins).

    Resource keys replace the default ones whole, except ``endpoint``: its keys replace the
    default endpoint's whole too, except ``params`` and ``json``, which merge one level
    (``{**default, **resource}``); ``columns`` merge by column name, restsync's ``limits`` by
    limit.
    """
    out: dict[str, Any] = copy.deepcopy(dict(defaults))
    for key, value in resource.items():
        base = out.get(key)
        if key == "endpoint" and isinstance(base, Mapping):
            endpoint = {"path": value} if isinstance(value, str) else value
            out[key] = _merge_endpoint(base, endpoint) if isinstance(endpoint, Mapping) \
                else copy.deepcopy(value)
        elif key == "limits" and isinstance(base, Mapping) and isinstance(value, Mapping):
            out[key] = {**base, **copy.deepcopy(dict(value))}  # restsync's: merged by limit
        elif key == "columns" and isinstance(base, Mapping) and isinstance(value, Mapping):
            out[key] = {**base, **{c: {**base.get(c, {}), **h}
                                   if isinstance(base.get(c), Mapping) and isinstance(h, Mapping)
                                   else h for c, h in copy.deepcopy(dict(value)).items()}}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_endpoint(base: Mapping[str, Any], endpoint: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in endpoint.items():
        if key in _SHALLOW_MERGED and isinstance(out.get(key), Mapping) \
                and isinstance(value, Mapping):
            out[key] = {**out[key], **copy.deepcopy(dict(value))}
        else:
            out[key] = copy.deepcopy(value)
    return out


def normalize_source(raw: Any, ctx: Context) -> dict[str, Any]:
    """Normalize a whole raw spec into the canonical dict (without ``name``/``params``)."""
    if not isinstance(raw, Mapping):
        if raw is None and ctx.issues:  # unreadable or unparsable: that is the problem to show
            return {}
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
            if not ctx.issues.is_reported(path):  # e.g. a refused Python object
                ctx.issues.add(path, "a resource is a name or a mapping with 'name' and "
                                     "'endpoint'")
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
    check_templates(endpoint, (*path, "endpoint"), ctx)
    _single_entity(endpoint, (*path, "endpoint"), ctx)
    _dlt_hints(out, path, ctx)
    if "write_disposition" in out:
        disposition, strategy = _write_disposition(out["write_disposition"],
                                                   (*path, "write_disposition"), ctx)
        if disposition is None:
            out.pop("write_disposition")
        else:
            out["write_disposition"] = disposition
        if disposition == "merge" and strategy is not None:
            out["merge_strategy"] = strategy
    if "processing_steps" in out:
        out["processing_steps"] = _processing_steps(out["processing_steps"],
                                                    (*path, "processing_steps"), ctx)
    if isinstance(out.get("include_from_parent"), str):
        out["include_from_parent"] = [out["include_from_parent"]]
    normalize_schema_hints(out, path, ctx, source_contract)
    normalize_keys(out, path, ctx)
    return out


def _single_entity(endpoint: dict[str, Any], path: RawPath, ctx: Context) -> None:
    """dlt: a path ending in a placeholder returns one object: the whole body, one page."""
    text = endpoint.get("path")
    if not isinstance(text, str) or not single_entity_path(text):
        if "path" in endpoint and endpoint.get("data_selector") is None:
            ctx.infer((*path, "data_selector"), "records found on the first response (dlt's "
                                                "detection; the run reports where)")
        return
    if endpoint.get("data_selector") is None:
        endpoint["data_selector"] = "$"
        ctx.infer((*path, "data_selector"), "the path ends in a placeholder: the whole body is "
                                            "one record (dlt's single-entity rule)")
    if endpoint.get("paginator") is None:
        endpoint["paginator"] = {"type": "single_page"}
        ctx.infer((*path, "paginator"), "the path ends in a placeholder: one page, not the "
                                        "client's paginator (dlt's single-entity rule)")


def _dlt_hints(resource: dict[str, Any], path: RawPath, ctx: Context) -> None:
    """dlt resource hints restsync accepts without needing them: said, never silently."""
    fmt = resource.pop("file_format", None)
    if fmt is not None:
        checked = ctx.choice(fmt, (*path, "file_format"), "file format", FILE_FORMATS)
        if checked is not None:
            ctx.infer((*path, "file_format"), f"file_format {checked} has no effect: restsync "
                                              "loads Arrow batches into the destination directly")
    if resource.get("parallelized") is True:
        ctx.infer((*path, "parallelized"), "restsync requests every resource and parent item "
                                           "concurrently anyway (client.max_concurrency)")
    disposition = resource.get("write_disposition", "append")
    if isinstance(disposition, Mapping):
        disposition = disposition.get("disposition")
    if isinstance(resource.get("table_name"), UserCode) and disposition != "append":
        ctx.issues.add((*path, "table_name"), "a callable table_name sends records to tables "
                                              "known only at run time: restsync supports it "
                                              "with write_disposition append only")
    table_format = resource.get("table_format")
    if isinstance(table_format, str):
        ctx.infer((*path, "table_format"), f"{table_format} tables: the run refuses this "
                                           "resource unless the destination supports them")


def _write_disposition(value: Any, path: RawPath, ctx: Context
                       ) -> tuple[str | None, str | None]:
    """The disposition and, when it is supported, the strategy."""
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
                strategy = None
        return disposition, strategy
    return ctx.choice(value, path, "write disposition", DISPOSITIONS), None


STEP_KINDS = ("filter", "map", "yield_map")


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
        bad = check_keys(step, STEP_KINDS, where, ctx.issues, what="processing step key")
        present = [k for k in STEP_KINDS if k in step]
        if len(present) != 1:
            if not bad and not ctx.issues.is_reported(where):
                ctx.issues.add(where, "a processing step has exactly one of filter, map or "
                                      "yield_map")
            continue
        key = present[0]
        body = step[key]
        if ctx.issues.is_reported((*where, key)):
            continue
        if isinstance(body, UserCode):  # Python API: dlt's callables
            out.append({key: body})
        elif key == "yield_map":
            ctx.issues.add((*where, key), "yield_map is a Python callable: give it from the "
                                          "Python API (restsync.rest_api_source(dict))")
        elif key == "filter":
            if not isinstance(body, str):
                ctx.issues.add((*where, "filter"), "filter must be an expression string "
                                                   "over `record` (callables: Python API only)")
                continue
            for problem in validate_expression(body, PROCESSING_NAMES):
                ctx.issues.add((*where, "filter"), problem)
            out.append({"filter": body})
        else:
            if not isinstance(body, Mapping) or not all(isinstance(v, str) for v in body.values()):
                ctx.issues.add((*where, "map"), "map must be a mapping {column: \"<expression>\"}"
                                                " (callables: Python API only)")
                continue
            for column, expr in body.items():
                for problem in validate_expression(expr, PROCESSING_NAMES):
                    ctx.issues.add((*where, "map", column), problem)
            out.append({"map": dict(body)})
    return out
