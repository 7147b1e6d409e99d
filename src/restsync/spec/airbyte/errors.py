"""Error handling: DefaultErrorHandler, CompositeErrorHandler, HttpResponseFilter, backoff
strategies; HTTPAPIBudget call-rate policies.

A stream's response filters become :class:`~restsync.spec.templated.ErrorRule` s, matched in
order on every response (``FAIL`` fails the stream, ``RETRY``/``RATE_LIMITED`` retry;
``SUCCESS`` and ``IGNORE`` accept it as the CDK does: an error status so accepted gives no
records and ends the partition's paging quietly, a status below 400 is read as a page). Responses no filter matches get the
CDK's defaults: 429 is rate limiting; 408, 500, 502, 503, 504 and transport failures are
retried; any other 4xx/5xx (404 included) fails the stream.

Retries run in restsync's retry loop: ``max_retries`` (default 5) per request, waits from the
first backoff strategy (``ExponentialBackoffStrategy``: ``factor * 2 ** n`` seconds, factor 5
by default; ``ConstantBackoffStrategy``; ``WaitTimeFromHeader``/``WaitUntilTimeFromHeader``
on ``Retry-After``). The client has one retry policy, taken from the first stream's handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.model import RateLimitConfig, RetryConfig, RetryRule
from restsync.spec.templated import ErrorRule

__all__ = ["DEFAULT_RETRY_STATUSES", "api_budget", "backoff", "composite_error_handler",
           "default_error_handler", "response_filter"]

DEFAULT_RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
_ACTIONS = {"SUCCESS": "success", "IGNORE": "ignore", "FAIL": "fail", "RETRY": "retry",
            "RATE_LIMITED": "rate_limited"}


def response_filter(c: Compiler, component: Mapping[str, Any]) -> ErrorRule:
    """``HttpResponseFilter``: statuses, body text or a predicate -> an action."""
    where = path_of(component)
    action = str(component.get("action") or "")
    if action not in _ACTIONS:
        if component.get("failure_type") and not action:
            action = "FAIL"
        else:
            raise Unsupported("HttpResponseFilter", f"{where}.action",
                              f"action must be one of {', '.join(_ACTIONS)}, got {action!r}")
    codes = frozenset(int(code) for code in component.get("http_codes") or [])
    predicate = component.get("predicate")
    message = component.get("error_message")
    return ErrorRule(
        action=_ACTIONS[action], statuses=codes,  # type: ignore[arg-type]
        message_contains=(str(component["error_message_contains"])
                          if component.get("error_message_contains") else None),
        predicate=(c.template(predicate, component, f"{where}.predicate", default="False")
                   if predicate else None),
        error_message=(c.template(message, component, f"{where}.error_message", literal=False)
                       if message else None))


def backoff(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """A backoff strategy as retry-rule settings."""
    where = path_of(component)
    kind = component.get("type")
    if kind == "ExponentialBackoffStrategy":
        factor = component.get("factor", 5)
        if isinstance(factor, str):
            factor = c.evaluate(factor, component, f"{where}.factor")
        return {"backoff_factor": 2 * float(factor), "backoff_base": 2.0}
    if kind == "ConstantBackoffStrategy":
        seconds = component.get("backoff_time_in_seconds")
        if isinstance(seconds, str):
            seconds = c.evaluate(seconds, component, f"{where}.backoff_time_in_seconds")
        return {"constant": float(seconds or 0)}
    if kind in ("WaitTimeFromHeader", "WaitUntilTimeFromHeader"):
        header = str(component.get("header") or "")
        if header.lower() != "retry-after":
            c.infer(f"{where}.header", f"{c.stream}: waits are read from Retry-After, not from "
                                       f"`{header}` (restsync reads Retry-After only)")
        out: dict[str, Any] = {"respect_retry_after": True}
        most = component.get("max_waiting_time_in_seconds")
        if most is not None:
            out["max_wait"] = float(most)
        return out
    raise Unsupported(str(kind), where, f"backoff strategy {kind} is not supported")


def default_error_handler(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """``DefaultErrorHandler``: ``{"rules": [ErrorRule], "retry": RetryRule settings}``."""
    where = path_of(component)
    rules = [c.build(f, "response filter") for f in component.get("response_filters") or []]
    settings: dict[str, Any] = {}
    strategies = component.get("backoff_strategies") or []
    if strategies:
        settings.update(c.build(strategies[0], "backoff strategy"))
    retries = component.get("max_retries", 5)
    if isinstance(retries, str):
        retries = c.evaluate(retries, component, f"{where}.max_retries")
    settings["max_retries"] = int(retries if retries is not None else 5)
    return {"rules": rules, "retry": settings}


def composite_error_handler(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """``CompositeErrorHandler``: the handlers' filters in order; the first handler's retry
    settings."""
    handlers = [c.build(h, "error handler") for h in component.get("error_handlers") or []]
    rules = [r for h in handlers for r in h["rules"]]
    retry = handlers[0]["retry"] if handlers else {"max_retries": 5}
    return {"rules": rules, "retry": retry}


def retry_config(handler: Mapping[str, Any] | None) -> RetryConfig:
    """The client's retry policy from a compiled error handler (``None``: the defaults)."""
    settings = dict((handler or {}).get("retry") or {"max_retries": 5})
    settings.setdefault("backoff_factor", 10.0)
    statuses: list[int | str] = list(DEFAULT_RETRY_STATUSES)
    for rule in (handler or {}).get("rules") or []:
        if rule.action in ("retry", "rate_limited"):
            statuses.extend(s for s in sorted(rule.statuses) if s not in statuses)
    statuses.append("transport")
    return RetryConfig(rules=[RetryRule(statuses=statuses, **settings)])  # type: ignore[arg-type]


def api_budget(c: Compiler, component: Mapping[str, Any]) -> RateLimitConfig | None:
    """``HTTPAPIBudget``: the first call-rate policy as restsync's proactive rate limit."""
    from restsync.spec.airbyte.datetimes import parse_duration

    where = path_of(component)
    for i, policy in enumerate(component.get("policies") or []):
        kind = policy.get("type") if isinstance(policy, Mapping) else None
        if kind == "UnlimitedCallRatePolicy":
            continue
        here = f"{where}.policies[{i}]"
        if kind == "FixedWindowCallRatePolicy":  # call_limit per period
            limit, interval = policy.get("call_limit"), policy.get("period")
        elif kind == "MovingWindowCallRatePolicy" and policy.get("rates"):
            rate = policy["rates"][0]  # the first rate, as documented
            limit = rate.get("limit") if isinstance(rate, Mapping) else None
            interval = rate.get("interval") if isinstance(rate, Mapping) else None
        else:
            c.infer(here, f"call-rate policy {kind!r} without a rate: not applied")
            continue
        if isinstance(limit, str):  # a template over the config
            limit = c.evaluate(limit, policy, f"{here}.limit")
        try:
            seconds = parse_duration(str(interval)).total_seconds()
            limit = int(limit)
        except (ValueError, AttributeError, TypeError):
            c.infer(here, f"call-rate policy not understood (limit {limit!r}, interval "
                          f"{interval!r}): not applied")
            continue
        c.infer(here, f"call-rate policy: at most {limit} requests per {seconds:g} s "
                      "(restsync's rate_limit)")
        return RateLimitConfig(requests=limit, per_seconds=seconds)
    return None
