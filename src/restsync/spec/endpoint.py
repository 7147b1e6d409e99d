"""Normalize an ``endpoint``: params (resolve/incremental), data selector, paginator, incremental."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec import model, templates
from restsync.spec.auth import normalize_auth
from restsync.spec.code import UserCode
from restsync.spec.context import Context, kind_of, set_or_drop
from restsync.spec.durations import parse_duration, valid_datetime_format
from restsync.spec.issues import RawPath, check_keys, did_you_mean
from restsync.spec.paginators import normalize_paginator
from restsync.spec.refs import ConfigRef, SecretRef
from restsync.spec.row_order import infer_row_order
from restsync.spec.steps import parse_step

ENDPOINT_KEYS: tuple[str, ...] = tuple(
    "json" if name == "json_body" else name for name in model.EndpointConfig.model_fields)
ENDPOINT_UNSUPPORTED: dict[str, str] = {
    "path_params": "path_params is not a dlt endpoint key; put values in params or use "
                   "--param NAME=VALUE",
}
INCREMENTAL_KEYS: tuple[str, ...] = tuple(model.IncrementalConfig.model_fields)
INCREMENTAL_UNSUPPORTED: dict[str, str] = {
    "transform": "`transform` is dlt's deprecated name of `convert` (a Python callable: give it "
                 "from the Python API as convert)",
    "primary_key": "an incremental primary_key is not supported: restsync deduplicates the "
                   "records at the start value by the resource's primary_key when it merges",
}
PARAM_INCREMENTAL_KEYS = ("type", "cursor_path", "initial_value")
PARAM_INCREMENTAL_REFUSED: dict[str, str] = {
    key: f"only cursor_path and initial_value (and start options) go in an incremental param; "
         f"put {key} in endpoint.incremental (as dlt requires)"
    for key in ("end_value", "end_param")
}
INCREMENTAL_SYNC_KEYS = ("cursor_field", "start_datetime", "end_datetime", "datetime_format",
                         "start_param", "end_param", "lookback_window", "row_order",
                         "on_cursor_value_missing", "step")
WHOLE_BODY_SELECTORS = ("", "$", "[]", "$[*]")


def normalize_data_selector(value: Any, path: RawPath, ctx: Context) -> str | None:
    """``[]``/``"$"``/``""`` -> ``"$"`` (the whole body); a list of keys -> dotted path;
    ``None`` stays ``None`` (not given: detected at run time, as dlt does)."""
    if value is None:
        return None
    if value == []:
        return "$"
    if isinstance(value, list):
        if all(isinstance(v, str) and v for v in value):
            return ".".join(value)
        ctx.issues.add(path, "a data_selector list must hold field names (strings)")
        return None
    text = ctx.literal_str(value, path, "data_selector") if value != "" else ""
    if text is None:
        return None
    return "$" if text.strip() in WHOLE_BODY_SELECTORS else text.strip()


def normalize_endpoint(value: Any, path: RawPath, ctx: Context) -> dict[str, Any]:
    """Return the canonical endpoint dict (``value`` is a path string or a mapping)."""
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "endpoint must be a path string or a mapping with 'path'")
        return {}
    bad = check_keys(value, ENDPOINT_KEYS, path, ctx.issues, unsupported=ENDPOINT_UNSUPPORTED,
                     what="endpoint key")
    out = {k: v for k, v in value.items() if k not in bad}
    if "path" not in out:
        ctx.issues.add((*path, "path"), "endpoint.path is required")
    if isinstance(out.get("method"), str):
        out["method"] = out["method"].upper()
    selector = normalize_data_selector(out.get("data_selector"), (*path, "data_selector"), ctx)
    out["data_selector"] = selector
    if "auth" in out:
        if out["auth"] is None:  # dlt: an endpoint's `auth: null` sends no credentials
            out["auth"] = "none"
            ctx.infer((*path, "auth"), "no credentials for this endpoint (auth: null)")
        else:
            set_or_drop(out, "auth", normalize_auth(out["auth"], (*path, "auth"), ctx))
    if "data" in out:
        _check_form_data(out, path, ctx)
    if "paginator" in out:
        set_or_drop(out, "paginator", normalize_paginator(out["paginator"], (*path, "paginator"),
                                                          ctx, selector))
    if "params" in out:
        out["params"] = _normalize_params(out["params"], (*path, "params"), out, ctx)
    if out.get("incremental") is not None:
        set_or_drop(out, "incremental", normalize_incremental(
            out["incremental"], (*path, "incremental"), ctx))
    if "response_actions" in out:
        out["response_actions"] = normalize_actions(out["response_actions"],
                                                    (*path, "response_actions"), ctx)
    _infer_row_order(out, path, ctx)
    return out


def _check_form_data(endpoint: dict[str, Any], path: RawPath, ctx: Context) -> None:
    data, where = endpoint["data"], (*path, "data")
    if data is None:
        endpoint.pop("data")
        return
    if endpoint.get("json") is not None:
        ctx.issues.add(where, "give either json or data (a form body), not both")
        return
    if isinstance(data, list):
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in data):
            ctx.issues.add(where, "data as a list holds [name, value] pairs")
    elif not isinstance(data, Mapping | str):
        ctx.issues.add(where, f"data is a mapping, a list of [name, value] pairs or a string, "
                              f"got {kind_of(data)}")


def check_templates(endpoint: dict[str, Any], path: RawPath, ctx: Context) -> None:
    """Report every malformed placeholder and every placeholder naming nothing known, where
    it is (``resources[x].endpoint.params.since``)."""
    has_incremental = endpoint.get("incremental") is not None
    for place in templates.PLACES:
        value = endpoint.get("json" if place == "json" else place)
        if value is None:
            continue
        for sub, text in templates.walk_strings(value):
            if ctx.issues.is_reported((*path, place, *sub)):
                continue
            try:
                found = templates.fields(text)
            except templates.TemplateError as exc:
                ctx.issues.add((*path, place, *sub), str(exc))
                continue
            for field in found:
                problem = templates.check_field(field, place, has_incremental=has_incremental)
                if problem:
                    ctx.issues.add((*path, place, *sub), problem)
                    break


def _infer_row_order(endpoint: dict[str, Any], path: RawPath, ctx: Context) -> None:
    """Record the row order the sort params imply (the model applies it, see EndpointConfig)."""
    inc, params = endpoint.get("incremental"), endpoint.get("params")
    if not isinstance(inc, Mapping) or inc.get("row_order") is not None \
            or not isinstance(params, Mapping) or not isinstance(inc.get("cursor_path"), str):
        return
    found = infer_row_order(params, inc["cursor_path"])
    if found is not None:
        order, why = found
        more = ("; paging stops at the first record older than the saved cursor"
                if order == "desc" else "")
        ctx.infer((*path, "incremental", "row_order"),
                  f"row_order {order}: the endpoint sorts on the cursor field ({why}){more}")


def _normalize_params(params: Any, path: RawPath, endpoint: dict[str, Any],
                      ctx: Context) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        ctx.issues.add(path, "params must be a mapping of parameter name to value")
        return {}
    out: dict[str, Any] = {}
    for name, value in params.items():
        where = (*path, name)
        if not isinstance(value, Mapping):
            out[name] = value
            continue
        ptype = value.get("type")
        if ptype == "resolve":
            check_keys(value, ("type", "resource", "field"), where, ctx.issues,
                       what="resolve param key")
            for key in ("resource", "field"):
                if key not in value:
                    ctx.issues.add((*where, key), f"a resolve param needs '{key}'")
            path_text = endpoint.get("path")
            if isinstance(path_text, str) and "{" + name + "}" not in path_text:
                ctx.issues.add(where, f"resolve param `{name}` is not used in the path "
                                      f"`{path_text}`; to send a parent's field as a query "
                                      f"parameter write {name}: \"{{resources.<parent>.<field>}}\"")
            out[name] = {k: value[k] for k in ("type", "resource", "field") if k in value}
        elif ptype == "incremental":
            check_keys(value, [*PARAM_INCREMENTAL_KEYS, "on_cursor_value_missing",
                               "row_order", "lookback_window", "datetime_format", "lag",
                               "range_start", "range_end", "last_value_func",
                               "allow_external_schedulers", "convert"], where,
                       ctx.issues,
                       unsupported={**INCREMENTAL_UNSUPPORTED, **PARAM_INCREMENTAL_REFUSED},
                       what="incremental param key")
            if endpoint.get("incremental") is not None:
                ctx.issues.add(where, "the endpoint already has an incremental (only one "
                                      "incremental per endpoint)")
                continue
            inc = {k: v for k, v in value.items() if k != "type" and k in INCREMENTAL_KEYS}
            inc["start_param"] = name
            endpoint["incremental"] = inc
        else:
            shown = f"'{ptype}'" if isinstance(ptype, str) else kind_of(ptype)
            ctx.issues.add((*where, "type") if "type" in value else where,
                           f"unknown param type {shown}"
                           f"{did_you_mean(ptype, ['resolve', 'incremental']) if isinstance(ptype, str) else ''}"
                           "; a param value is a scalar, a list, or a mapping with type "
                           "resolve or incremental")
    return out


def normalize_incremental(value: Any, path: RawPath, ctx: Context) -> dict[str, Any] | None:
    """Check dlt's ``incremental`` mapping; record how the start is used."""
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "incremental must be a mapping with cursor_path, initial_value, ...")
        return None
    bad = check_keys(value, INCREMENTAL_KEYS, path, ctx.issues,
                     unsupported=INCREMENTAL_UNSUPPORTED, what="incremental key")
    out = {k: v for k, v in value.items() if k not in bad}
    if "cursor_path" not in out:
        ctx.issues.add((*path, "cursor_path"), "incremental needs cursor_path (the record "
                                               "field holding the cursor)")
        return out
    _check_incremental_extras(out, path, ctx)
    _infer_start_use(out, path, ctx)
    return out


def _check_lag_and_funcs(inc: dict[str, Any], path: RawPath, ctx: Context) -> None:
    func = inc.get("last_value_func")
    if func is not None and func != "max":
        shown = "a callable" if isinstance(func, UserCode) or callable(func) else repr(func)
        ctx.issues.add((*path, "last_value_func"),
                       f"last_value_func {shown} is not supported: restsync's cursor grows "
                       "(max); for a newest-first feed set row_order: desc")
        inc.pop("last_value_func")
    if "lag" in inc and "lookback_window" in inc:
        ctx.issues.add((*path, "lag"), "give either lag (dlt) or lookback_window, not both")
    if "convert" in inc and not isinstance(inc["convert"], UserCode):
        ctx.issues.add((*path, "convert"), "convert is a Python callable: give it from the Python "
                                           "API (restsync.rest_api_source(dict)); specs hold data")
        inc.pop("convert")
    if inc.get("allow_external_schedulers"):
        ctx.issues.add((*path, "allow_external_schedulers"),
                       "restsync has no external scheduler to take the window from (dlt fails "
                       "without one too); set initial_value/end_value instead")


def _infer_start_use(inc: dict[str, Any], path: RawPath, ctx: Context) -> None:
    start = inc.get("initial_value")
    if isinstance(start, ConfigRef | SecretRef):
        shown = start.name
    elif start is None:
        shown = "the stored cursor"
    else:
        shown = f"`{start}`"
    cursor = inc["cursor_path"]
    if inc.get("start_param"):
        ctx.infer(path, f"start value sent as `{inc['start_param']}`; records are also filtered "
                        f"client-side on {cursor} >= {shown}")
    else:
        ctx.infer(path, f"client-side filter on {cursor} >= {shown}; no start param sent")


def incremental_from_sync(value: Any, path: RawPath, ctx: Context) -> dict[str, Any] | None:
    """Translate a resource's ``incremental_sync`` (document dialect) into ``incremental``."""
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "incremental_sync must be a mapping with cursor_field and "
                             "start_datetime")
        return None
    bad = check_keys(value, INCREMENTAL_SYNC_KEYS, path, ctx.issues,
                     what="incremental_sync key")
    if "cursor_field" not in value:
        ctx.issues.add((*path, "cursor_field"), "incremental_sync needs cursor_field")
        return None
    out: dict[str, Any] = {"cursor_path": value["cursor_field"]}
    for src, dst in (("start_datetime", "initial_value"), ("end_datetime", "end_value"),
                     ("start_param", "start_param"), ("end_param", "end_param"),
                     ("lookback_window", "lookback_window"), ("datetime_format", "datetime_format"),
                     ("row_order", "row_order"),
                     ("on_cursor_value_missing", "on_cursor_value_missing"),
                     ("step", "step")):
        if src in value and src not in bad:
            out[dst] = value[src]
    _check_incremental_extras(out, path, ctx)
    _infer_start_use(out, path, ctx)
    return out


def _check_incremental_extras(inc: dict[str, Any], path: RawPath, ctx: Context) -> None:
    """Located messages for ``datetime_format``, ``lookback_window`` (seconds or ISO),
    ``lag`` and ``last_value_func``."""
    _check_lag_and_funcs(inc, path, ctx)
    if inc.get("datetime_format") is not None:
        problem = valid_datetime_format(inc["datetime_format"])
        if problem:
            ctx.issues.add((*path, "datetime_format"), problem)
            inc.pop("datetime_format")
    for key, parse in (("lookback_window", parse_duration), ("step", parse_step)):
        if inc.get(key) is not None:
            try:
                parse(inc[key])
            except ValueError as exc:
                ctx.issues.add((*path, key), str(exc))
                inc.pop(key)


def normalize_actions(value: Any, path: RawPath, ctx: Context) -> list[Any]:
    """dlt's ``response_actions``: mappings with ``status_code``/``content``/``action``, and
    (Python API) callables, as an entry or as the ``action``."""
    if not isinstance(value, list):
        ctx.issues.add(path, "response_actions must be a list of {status_code, content, action}")
        return []
    keys = tuple(model.ResponseAction.model_fields)
    out: list[Any] = []
    for i, action in enumerate(value):
        where = (*path, i)
        if isinstance(action, UserCode):  # a callable entry: called with every response
            out.append({"action": [action]})
            continue
        if not isinstance(action, Mapping):
            ctx.issues.add(where, "a response action is a mapping with status_code/"
                                  "content and action")
            continue
        bad = check_keys(action, keys, where, ctx.issues, what="response action key")
        entry = {k: v for k, v in action.items() if k not in bad}
        status = entry.get("status_code")
        if isinstance(status, str) and status.strip().isdigit():
            entry["status_code"] = int(status)  # dlt accepts "404"
        hooks = entry.get("action")
        if isinstance(hooks, UserCode):
            entry["action"] = [hooks]
        elif isinstance(hooks, list) and not all(isinstance(h, UserCode) for h in hooks):
            ctx.issues.add((*where, "action"), "an action list holds callables (Python API)")
            continue
        if "action" not in entry and not bad:
            ctx.issues.add((*where, "action"), "a response action needs action "
                                               "(ignore, retry or fail)")
            continue
        out.append(entry)
    return out
