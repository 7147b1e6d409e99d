"""Normalize paginators (dlt's and the documents') and infer what a cursor paginator leaves open."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restsync.spec import model
from restsync.spec.context import Context
from restsync.spec.expressions import STOP_CONDITION_NAMES, tested_paths, validate_expression
from restsync.spec.issues import RawPath, check_keys

EXTENSION_KEYS: dict[str, tuple[str, ...]] = {"cursor": ("page_size",)}
_PARAM_OR_BODY = {  # dlt: a value goes either in the query or in the JSON body, not both
    "cursor": (("cursor_param", "cursor_body_path"),),
    "offset": (("offset_param", "offset_body_path"), ("limit_param", "limit_body_path")),
    "page_number": (("page_param", "page_body_path"),),
}

_LAST_RECORD_PARAM = [
    re.compile(r"^(?P<f>[A-Za-z]\w*?)_(greater_than|gt|gte|after|since|from|min|start)$"),
    re.compile(r"^(after|since|from|min|start)_(?P<f>[A-Za-z]\w*)$"),
]
_GENERIC_WORDS = frozenset({"starting", "start", "page", "cursor", "min", "from", "since"})


def normalize_paginator(value: Any, path: RawPath, ctx: Context,
                        data_selector: str | None) -> dict[str, Any] | None:
    """Return the canonical paginator dict (``None`` when absent or invalid).

    Args:
        value: dlt's string shorthand (``"single_page"``) or a dict with ``type``.
        path: Where the paginator sits.
        ctx: Problems and inferences.
        data_selector: The endpoint's normalized data selector (for cursor inference).
    """
    if value is None:
        return None
    shorthand = isinstance(value, str)
    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "a paginator is a type name or a mapping with 'type'")
        return None
    if "type" not in value:
        ctx.issues.add(path, "the paginator has no 'type'; known: "
                             + ", ".join(sorted(model.PAGINATORS.names)))
        return None
    ptype = ctx.choice(value["type"], (*path, "type"), "paginator type",
                       model.PAGINATORS.names, model.PAGINATORS.aliases)
    if ptype is None:
        return None
    known = [*model.PAGINATORS.models[ptype].model_fields, *EXTENSION_KEYS.get(ptype, ())]
    bad = check_keys(value, known, path, ctx.issues, what=f"{ptype} paginator key")
    out = {k: v for k, v in value.items() if k not in bad}
    out["type"] = ptype
    stop = out.get("stop_condition")
    stop_ok = True
    if stop is not None:
        problems = validate_expression(stop, STOP_CONDITION_NAMES) if isinstance(stop, str) else [
            "stop_condition must be an expression string"]
        for problem in problems:
            ctx.issues.add((*path, "stop_condition"), problem)
        stop_ok = not problems
    for param, body in _PARAM_OR_BODY.get(ptype, ()):
        if out.get(param) is not None and out.get(body) is not None:
            ctx.issues.add(path, f"give either {param} or {body}, not both")
    if ptype == "cursor":
        _infer_cursor(out, path, ctx, data_selector, stop if stop_ok else None,
                      stop_invalid=not stop_ok)
    elif ptype in ("offset", "page_number"):
        _range_defaults(out, path, ctx, shorthand=shorthand)
    elif ptype == "json_link" and "next_url_path" not in out:
        ctx.infer((*path, "next_url_path"), "next page URL read from `next` (dlt's default; set "
                                            "paginator.next_url_path to change it)")
    elif ptype == "header_link" and "links_next_key" not in out:
        ctx.infer(path, "next page URL from the Link header's rel=\"next\" (dlt's default)")
    elif ptype == "header_cursor":
        ctx.infer(path, f"cursor read from header `{out.get('cursor_key', 'next')}`, sent as "
                        f"`{out.get('cursor_param', 'cursor')}`")
    elif ptype == "auto":
        ctx.infer(path, "paginator detected from the first response (dlt's auto: Link header, "
                        "next URL, page count, cursor); the run reports what it found")
    return out


def _range_defaults(p: dict[str, Any], path: RawPath, ctx: Context, *, shorthand: bool) -> None:
    """dlt's checks and defaults of the offset and page-number paginators."""
    offset = p["type"] == "offset"
    if offset and "limit" not in p:
        what = "`paginator: offset` needs arguments" if shorthand else "the offset paginator " \
            "needs limit"
        ctx.issues.add((*path, "limit"), f"{what}: write {{type: offset, limit: N}} (N records "
                                         "per page)")
        return
    maximum = "maximum_offset" if offset else "maximum_page"
    if "total_path" in p and p["total_path"] is None and p.get(maximum) is None \
            and p.get("has_more_path") is None and p.get("stop_after_empty_page") is False:
        ctx.issues.add(path, f"paging would never stop: give one of total_path, {maximum}, "
                             "has_more_path, or stop_after_empty_page: true")
        return
    if "total_path" not in p:
        fallback = (f"the first page with fewer than {p['limit']!r} records" if offset
                    else "the first empty page")
        ctx.infer((*path, "total_path"), f"total read from `total` (dlt's default); when a "
                                         f"response has none, paging stops at {fallback}")
    elif p["total_path"] is None and p.get(maximum) is None and p.get("has_more_path") is None:
        ctx.infer(path, "no total: paging stops at the first empty page")


def _infer_cursor(p: dict[str, Any], path: RawPath, ctx: Context, data_selector: str | None,
                  stop: str | None, *, stop_invalid: bool) -> None:
    """Fill in the cursor paginator's page size, cursor source and cursor parameter."""
    if "page_size" in p:
        if "limit" in p:
            ctx.issues.add((*path, "page_size"), "give either page_size or limit, not both")
            p.pop("page_size")
        else:
            p["limit"] = p.pop("page_size")
    if p.get("limit") is not None and "limit_param" not in p:
        ctx.infer((*path, "limit_param"), f"page size {p['limit']!r} sent as `limit` "
                                          "(set paginator.limit_param to rename)")
    cursor_path, cursor_value = p.get("cursor_path"), p.get("cursor_value")
    if cursor_path is not None and cursor_value is not None:
        ctx.issues.add(path, "give either cursor_path or cursor_value, not both")
        return
    follows_url = False
    if cursor_value is not None:
        text = ctx.literal_str(cursor_value, (*path, "cursor_value"), "cursor_value")
        if text is not None and not re.fullmatch(r"last_record\.[^.\s][^\s]*", text):
            ctx.issues.add((*path, "cursor_value"),
                           "cursor_value must be `last_record.<field>` (e.g. last_record.id)")
    elif cursor_path is not None:
        text = ctx.literal_str(cursor_path, (*path, "cursor_path"), "cursor_path")
        if text is not None and (rel := _link_rel(tuple(text.split(".")))):
            follows_url = True
            ctx.infer((*path, "cursor_path"), f"next page URL from the Link header (rel={rel})")
    elif stop_invalid:
        return  # the stop_condition problem is already reported
    elif stop is None:
        p["cursor_path"] = "cursors.next"
        ctx.infer((*path, "cursor_path"), "next cursor read from `cursors.next` (dlt's default; "
                                          "set paginator.cursor_path to change it)")
    else:
        follows_url = _cursor_from_stop_condition(p, path, ctx, data_selector, stop)
        if "cursor_path" not in p and "cursor_value" not in p:
            return
    if "cursor_param" not in p and "cursor_body_path" not in p and not follows_url:
        p["cursor_param"] = "cursor"
        ctx.infer((*path, "cursor_param"), "cursor sent as query parameter `cursor` (dlt's "
                                           "default; set paginator.cursor_param to rename)")


def _link_rel(keys: tuple[str, ...]) -> str | None:
    if len(keys) == 4 and keys[0] == "headers" and keys[1].lower() == "link" and keys[3] == "url":
        return keys[2]
    return None


def _cursor_from_stop_condition(p: dict[str, Any], path: RawPath, ctx: Context,
                                data_selector: str | None, stop: str | None) -> bool:
    """Set cursor_path/cursor_value from what the stop_condition tests; True for a Link URL."""
    hint = ("add cursor_path (where the next cursor is, e.g. `next_cursor` or "
            "`headers.link.next.url`) or cursor_value (e.g. `last_record.id`)")
    assert stop is not None
    selector = tuple(data_selector.split(".")) if data_selector else None
    candidates: list[tuple[str, ...]] = []
    tests_records = False
    for tested in tested_paths(stop):
        if tested[0] == "headers" and len(tested) >= 2:
            candidates.append(tested)
        elif tested[0] == "response" and len(tested) >= 2:
            if selector is not None and tested[1:] == selector:
                tests_records = True
            else:
                candidates.append(tested)
    if len(candidates) > 1:
        shown = ", ".join("`" + ".".join(c) + "`" for c in candidates)
        ctx.issues.add(path, f"stop_condition tests several values ({shown}); cannot tell which "
                             f"holds the next cursor: {hint}")
        return False
    if candidates:
        keys = candidates[0]
        if rel := _link_rel(keys):
            p["cursor_path"] = ".".join(keys)
            ctx.infer((*path, "cursor_path"), f"next page URL from the Link header (rel={rel}) "
                                              "(named in stop_condition)")
            return True
        p["cursor_path"] = ".".join(keys if keys[0] == "headers" else keys[1:])
        ctx.infer((*path, "cursor_path"),
                  f"next cursor read from `{p['cursor_path']}` (named in stop_condition)")
        return False
    if tests_records:
        param = p.get("cursor_param")
        field = field_from_cursor_param(param if isinstance(param, str) else None)
        p["cursor_value"] = f"last_record.{field}"
        why = f"cursor_param `{param}`" if isinstance(param, str) else "default field"
        ctx.infer((*path, "cursor_value"), f"next cursor = `{field}` of the last record ({why}, "
                                           "stop_condition tests the records)")
        return False
    ctx.issues.add(path, f"cannot infer where the next cursor comes from (stop_condition tests "
                         f"no response value or header): {hint}")
    return False


def field_from_cursor_param(param: str | None) -> str:
    """The record field a ``last_record`` cursor param names: ``id_greater_than`` -> ``id``.

    Recognises ``<field>_greater_than|_gt|_gte|_after|_since|_from|_min|_start`` and
    ``after_|since_|from_|min_|start_<field>``; anything else (``starting_after``) -> ``id``.
    """
    if param:
        for pattern in _LAST_RECORD_PARAM:
            match = pattern.match(param)
            if match and match.group("f").lower() not in _GENERIC_WORDS:
                return match.group("f")
    return "id"
