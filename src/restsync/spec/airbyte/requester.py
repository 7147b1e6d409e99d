"""HttpRequester and where values go in a request (RequestOption, RequestPath).

A requester becomes a :class:`~restsync.spec.templated.TemplatedEndpoint` (URL, method,
request parameters, headers and bodies as templates) plus the stream's auth and error
handling, which :mod:`restsync.spec.airbyte.auth` and :mod:`restsync.spec.airbyte.errors`
compile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.airbyte.manifest import PATH_KEY
from restsync.spec.templated import RequestOption

__all__ = ["compile_mapping", "compile_nested", "http_requester", "request_option",
           "request_path"]

_REQUEST_VALUE_TYPES = (str, list)
_NOT_DATA = frozenset({PATH_KEY, "$parameters"})
_INJECT = ("request_parameter", "header", "body_data", "body_json")


def request_option(c: Compiler, component: Mapping[str, Any]) -> RequestOption:
    """``RequestOption``: ``inject_into`` + ``field_name`` (or ``field_path`` for body_json)."""
    where = path_of(component)
    inject = component.get("inject_into")
    if inject not in _INJECT:
        raise Unsupported("RequestOption", f"{where}.inject_into",
                          f"inject_into must be one of {', '.join(_INJECT)}, got {inject!r}")
    name = component.get("field_name")
    path = component.get("field_path")
    if name is not None and path is not None and "field_path" in (component.get("$parameters") or {}):
        path = None  # a stream parameter named field_path, not this option's own
    if (name is None) == (path is None):
        raise Unsupported("RequestOption", where, "give exactly one of field_name and field_path")
    if path is not None:
        if inject != "body_json":
            raise Unsupported("RequestOption", f"{where}.field_path",
                              "field_path is only for inject_into: body_json")
        return RequestOption(inject, field_path=tuple(
            c.template(p, component, f"{where}.field_path[{i}]", literal=False)
            for i, p in enumerate(path)))
    return RequestOption(inject, field_name=c.template(name, component, f"{where}.field_name",
                                                       literal=False))


def request_path(c: Compiler, component: Mapping[str, Any]) -> RequestOption:
    """``RequestPath``: the token is the next request's URL path (or whole URL)."""
    return RequestOption("path")


def compile_mapping(c: Compiler, value: Any, component: Mapping[str, Any], where: str, *,
                    value_types: tuple[type, ...] | None = _REQUEST_VALUE_TYPES) -> Any:
    """A flat mapping of templates (keys too), or one template rendering to a mapping."""
    if value is None:
        return None
    if isinstance(value, str):
        return c.template(value, component, where, default="self")
    if not isinstance(value, Mapping):
        raise Unsupported("HttpRequester", where, f"expected a mapping or a template string, "
                                                   f"got {type(value).__name__}")
    out: dict[Any, Any] = {}
    for key, item in value.items():
        if key in _NOT_DATA:
            continue
        key_t = c.template(str(key), component, f"{where}.{key}", valid_types=(str,))
        out[key_t] = (c.template(item, component, f"{where}.{key}", default=None,
                                 valid_types=value_types)
                      if isinstance(item, str) else item)
    return out


def compile_nested(c: Compiler, value: Any, component: Mapping[str, Any], where: str) -> Any:
    """A nested JSON body: every string (keys too) is a template; ``None`` drops a key."""
    if isinstance(value, str):
        return c.template(value, component, where, default=None)
    if isinstance(value, Mapping):
        return {c.template(str(k), component, f"{where}.{k}", default=None):
                compile_nested(c, v, component, f"{where}.{k}") for k, v in value.items()
                if k not in _NOT_DATA}
    if isinstance(value, list):
        return [compile_nested(c, v, component, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _request_body(c: Compiler, body: Any, component: Mapping[str, Any], where: str
                  ) -> tuple[Any, Any]:
    """``request_body`` (typed): ``(json, data)``."""
    if not isinstance(body, Mapping):
        return None, None
    kind = body.get("type")
    value = body.get("value")
    if kind == "RequestBodyJsonObject":
        return compile_nested(c, value, component, f"{where}.value"), None
    if kind in ("RequestBodyUrlEncodedForm", "RequestBodyPlainText"):
        return None, compile_mapping(c, value, component, f"{where}.value")
    if kind == "RequestBodyGraphQL":
        query = {k: v for k, v in (value or {}).items() if v is not None} \
            if isinstance(value, Mapping) else value
        return compile_nested(c, query, component, f"{where}.value"), None
    raise Unsupported(str(kind), where, f"request_body type {kind!r} is not supported")


def http_requester(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """``HttpRequester`` -> the parts of a templated endpoint (see :mod:`.streams`)."""
    where = path_of(component)
    url_base = component.get("url_base")
    url = component.get("url")
    path = component.get("path")
    if url_base is None and url is None:
        raise Unsupported("HttpRequester", where, "url_base (or url) is required")
    base = c.template(url_base if url_base is not None else url, component,
                      f"{where}.url_base" if url_base is not None else f"{where}.url")
    method = str(component.get("http_method") or "GET").upper()
    if method not in ("GET", "POST"):
        raise Unsupported("HttpRequester", f"{where}.http_method",
                          f"http_method {method} is not supported (GET, POST)")
    if component.get("query_properties") or (isinstance(component.get("request_parameters"),
                                                        Mapping) and any(
            isinstance(v, Mapping) and v.get("type") == "QueryProperties"
            for v in component["request_parameters"].values())):
        raise Unsupported("QueryProperties", f"{where}.request_parameters",
                          "QueryProperties is not supported")
    body_json = compile_nested(c, component.get("request_body_json"), component,
                               f"{where}.request_body_json") \
        if component.get("request_body_json") is not None else None
    body_data = compile_mapping(c, component.get("request_body_data"), component,
                                f"{where}.request_body_data")
    if component.get("request_body") is not None:
        body_json, body_data = _request_body(c, component["request_body"], component,
                                             f"{where}.request_body")
    if body_json and body_data:
        raise Unsupported("HttpRequester", where,
                          "request_body_json and request_body_data cannot both be set")
    return {
        "url_base": base,
        "path": c.template(path, component, f"{where}.path") if path else None,
        "method": method,
        "params": compile_mapping(c, component.get("request_parameters"), component,
                                  f"{where}.request_parameters"),
        "headers": compile_mapping(c, component.get("request_headers"), component,
                                   f"{where}.request_headers", value_types=None),
        "body_json": body_json,
        "body_data": body_data,
    }
