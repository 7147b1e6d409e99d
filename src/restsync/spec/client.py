"""Normalize the ``client`` section: auth (dlt types + the documents' ``oauth2``) and retries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec import model
from restsync.spec.auth import normalize_auth
from restsync.spec.context import Context, set_or_drop
from restsync.spec.issues import RawPath, check_keys
from restsync.spec.paginators import normalize_paginator

CLIENT_KEYS: tuple[str, ...] = tuple(model.ClientConfig.model_fields)
CLIENT_UNSUPPORTED: dict[str, str] = {
    "session": "a custom requests session is not supported (restsync uses its own HTTP "
               "client; see client.timeout, client.verify_tls, client.retry)",
}
RULE_KEYS: tuple[str, ...] = tuple(model.RetryRule.model_fields)
RETRY_KEYS: tuple[str, ...] = tuple(model.RetryConfig.model_fields)


def normalize_client(value: Any, ctx: Context) -> dict[str, Any]:
    """Return the canonical ``client`` dict (problems go to ``ctx``)."""
    path: RawPath = ("client",)
    if value is None:
        ctx.issues.add(path, "the spec has no 'client' (it needs at least client.base_url)")
        return {}
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "client must be a mapping with base_url, auth, ...")
        return {}
    bad = check_keys(value, CLIENT_KEYS, path, ctx.issues, unsupported=CLIENT_UNSUPPORTED,
                     what="client key")
    out = {k: v for k, v in value.items() if k not in bad}
    if "base_url" not in out:
        ctx.issues.add((*path, "base_url"), "client.base_url is required")
    if "auth" in out:
        set_or_drop(out, "auth", normalize_auth(out["auth"], (*path, "auth"), ctx))
    if "paginator" in out:
        set_or_drop(out, "paginator", normalize_paginator(out["paginator"], (*path, "paginator"),
                                                          ctx, None))
    if "retry" in out:
        set_or_drop(out, "retry", normalize_retry(out["retry"], (*path, "retry"), ctx))
    return out


def normalize_retry(value: Any, path: RawPath, ctx: Context) -> dict[str, Any] | None:
    """Accept ``{rules: [...], max_total_seconds}``, a list of rules, or one rule's keys."""
    if value is None:
        return None
    if isinstance(value, list):
        value = {"rules": value}
    if not isinstance(value, Mapping):
        ctx.issues.add(path, "retry must be a mapping (rules, or one rule's statuses/"
                             "max_retries/backoff_factor) or a list of rules")
        return None
    if "rules" not in value and any(k in value for k in RULE_KEYS):
        bad = check_keys(value, [*RULE_KEYS, "max_total_seconds"], path, ctx.issues,
                         what="retry key")
        rule = {k: v for k, v in value.items() if k not in bad and k != "max_total_seconds"}
        out: dict[str, Any] = {"rules": [rule]}
        if "max_total_seconds" in value:
            out["max_total_seconds"] = value["max_total_seconds"]
        if "statuses" not in rule:
            ctx.issues.add((*path, "statuses"), "a retry rule needs statuses (e.g. [429, 503])")
        return out
    bad = check_keys(value, RETRY_KEYS, path, ctx.issues, what="retry key")
    out = {k: v for k, v in value.items() if k not in bad}
    rules = out.get("rules")
    if rules is not None:
        if not isinstance(rules, list):
            ctx.issues.add((*path, "rules"), "rules must be a list of rules")
            out.pop("rules")
        else:
            for i, rule in enumerate(rules):
                if not isinstance(rule, Mapping):
                    ctx.issues.add((*path, "rules", i), "a retry rule is a mapping")
                    continue
                check_keys(rule, RULE_KEYS, (*path, "rules", i), ctx.issues, what="retry key")
            out["rules"] = [
                {k: v for k, v in r.items() if k in RULE_KEYS}
                for r in rules if isinstance(r, Mapping)
            ]
    return out
