"""Python objects a dlt user passes to ``rest_api_source(dict)``, turned into spec data.

dlt's built-in paginators and auth classes and ``dlt.sources.incremental`` are read by their
attributes (duck-typed: dlt is never imported) into the equivalent mappings, so they go
through the same normalization as written specs. Callables are kept (as
:class:`~restsync.spec.code.UserCode`) where dlt calls them: ``processing_steps``,
``response_actions``, incremental ``convert`` and ``table_name``. Anything else (a subclass
with its own logic, a ``requests.Session``, a ``DltResource``) is refused with a located
message saying what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from restsync.spec.code import wrap
from restsync.spec.issues import Issues, RawPath

__all__ = ["from_python_object", "is_dlt_object"]

_PAGINATORS = "dlt.sources.helpers.rest_client.paginators"
_AUTH = "dlt.sources.helpers.rest_client.auth"
_INCREMENTAL = "dlt.extract.incremental"
_CODE_PLACES = ("processing_steps", "response_actions")
_CODE_KEYS = ("convert", "table_name")
_CONVERTIBLE = frozenset({
    "SinglePagePaginator", "JSONLinkPaginator", "JSONResponsePaginator", "HeaderLinkPaginator",
    "HeaderCursorPaginator", "JSONResponseCursorPaginator", "OffsetPaginator",
    "PageNumberPaginator", "BearerTokenAuth", "APIKeyAuth", "HttpBasicAuth",
    "OAuth2ClientCredentials", "Incremental"})


def _text(value: Any) -> Any:
    """A compiled JSONPath back to its text (dlt compiles ``next_url_path`` etc.)."""
    return None if value is None else (value if isinstance(value, str) else str(value))


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _paginator(obj: Any, name: str) -> dict[str, Any] | None:
    a = obj.__dict__
    if name == "SinglePagePaginator":
        return {"type": "single_page"}
    if name in ("JSONLinkPaginator", "JSONResponsePaginator"):
        return {"type": "json_link", "next_url_path": _text(a.get("next_url_path"))}
    if name == "HeaderLinkPaginator":
        return {"type": "header_link", "links_next_key": a.get("links_next_key")}
    if name == "HeaderCursorPaginator":
        return {"type": "header_cursor", "cursor_key": a.get("cursor_key"),
                "cursor_param": a.get("cursor_param")}
    more = _text(a.get("has_more_path"))
    if name == "JSONResponseCursorPaginator":
        body = a.get("cursor_body_path")
        return {"type": "cursor", "cursor_path": _text(a.get("cursor_path")),
                **_given(cursor_param=None if body else a.get("cursor_param"),
                         cursor_body_path=body, has_more_path=more),
                "stop_after_empty_page": bool(a.get("stop_after_empty_page"))}
    common = {"total_path": _text(a.get("total_path")),
              "stop_after_empty_page": bool(a.get("stop_after_empty_page")),
              **_given(has_more_path=more)}
    if name == "OffsetPaginator":
        return {"type": "offset", "limit": a.get("limit"), "offset": a.get("initial_value"),
                **_given(offset_param=a.get("param_name"),
                         offset_body_path=a.get("param_body_path"),
                         limit_param=a.get("limit_param"),
                         limit_body_path=a.get("limit_body_path"),
                         maximum_offset=a.get("maximum_value")), **common}
    if name == "PageNumberPaginator":
        return {"type": "page_number", "base_page": a.get("base_index"),
                "page": a.get("initial_value"),
                **_given(page_param=a.get("param_name"), page_body_path=a.get("param_body_path"),
                         maximum_page=a.get("maximum_value")), **common}
    return None


def _auth(obj: Any, name: str) -> dict[str, Any] | None:
    a = obj.__dict__
    if name == "BearerTokenAuth":
        return {"type": "bearer", **_given(token=a.get("token"))}
    if name == "APIKeyAuth":
        return {"type": "api_key", **_given(name=a.get("name"), api_key=a.get("api_key"),
                                            location=a.get("location"))}
    if name == "HttpBasicAuth":
        return {"type": "http_basic", **_given(username=a.get("username"),
                                               password=a.get("password"))}
    if name == "OAuth2ClientCredentials":
        return {"type": "oauth2_client_credentials", **_given(
            access_token_url=a.get("access_token_url"), client_id=a.get("client_id"),
            client_secret=a.get("client_secret"),
            access_token_request_data=a.get("access_token_request_data") or None,
            default_token_expiration=a.get("default_token_expiration"))}
    return None


def _incremental(obj: Any) -> dict[str, Any]:
    a = obj.__dict__
    func = a.get("last_value_func")
    func_name = getattr(func, "__name__", None)
    out = {"type": "incremental", **_given(
        cursor_path=a.get("cursor_path"), initial_value=a.get("initial_value"),
        end_value=a.get("end_value"), lag=a.get("lag"), row_order=a.get("row_order"),
        on_cursor_value_missing=a.get("on_cursor_value_missing"),
        range_start=a.get("range_start"), range_end=a.get("range_end"))}
    if func is not None and func_name != "max":
        out["last_value_func"] = func_name if func_name in ("min",) else wrap(func)
    if a.get("primary_key") not in (None, (), []):
        out["primary_key"] = a.get("primary_key")
    return out


def _dlt_base(cls: type) -> tuple[str, str] | None:
    """``(module, class name)`` of the dlt class ``cls`` is or derives from."""
    for base in cls.__mro__:
        module = getattr(base, "__module__", "")
        if module in (_PAGINATORS, _AUTH) or module.startswith(_INCREMENTAL):
            return module, base.__name__
    return None


def is_dlt_object(value: Any) -> bool:
    """Whether ``value`` is (or derives from) one of dlt's paginator/auth/incremental classes
    (some of them are mappings: they must not be read as plain dicts)."""
    return _dlt_base(type(value)) is not None


def from_python_object(value: Any, path: RawPath, issues: Issues,
                       convert: Callable[[Any, RawPath], Any]) -> Any:
    """Spec data for a Python object found at ``path`` of a Python API spec.

    Args:
        value: The object (not a plain data value).
        path: Where it is.
        issues: Collector for refusals.
        convert: Prepares the mapping the object becomes (the caller's ``prepare_raw``).

    Returns:
        The equivalent data, or ``None`` after reporting why it is refused.
    """
    cls = type(value)
    found = _dlt_base(cls)
    if found is not None:
        module, name = found
        if cls.__name__ != name or cls.__module__ != module:
            known = name in _CONVERTIBLE
            what = (f"write the {name} settings as a mapping" if known else
                    "write one of the built-in paginator/auth types as a mapping")
            issues.add(path, f"{cls.__name__} is a subclass of dlt's {name}: its own Python "
                             f"logic cannot run in restsync; {what} (see docs/spec.md, "
                             "'Coming from dlt')")
            return None
        data = (_incremental(value) if module.startswith(_INCREMENTAL)
                else _paginator(value, name) if module == _PAGINATORS else _auth(value, name))
        if data is None:
            issues.add(path, f"dlt's {name} is not supported; use one of the built-in "
                             "paginator/auth types written as a mapping")
            return None
        return convert(data, path)
    if any(b.__name__ == "DltResource" for b in cls.__mro__):
        issues.add(path, f"a dlt resource ({getattr(value, 'name', cls.__name__)}) runs Python "
                         "generators restsync cannot run; describe it as an endpoint resource "
                         "(name + endpoint), or load it with dlt")
        return None
    if any(b.__name__ == "Session" and b.__module__.startswith("requests") for b in cls.__mro__):
        issues.add(path, "a requests Session is not supported: restsync uses its own HTTP "
                         "client (see client.timeout, client.verify_tls, client.retry)")
        return None
    if callable(value):
        keys = [p for p in path if isinstance(p, str)]
        if any(k in _CODE_PLACES for k in keys) or (keys and keys[-1] in _CODE_KEYS):
            return wrap(value)
        issues.add(path, f"a callable ({getattr(value, '__name__', cls.__name__)}) is accepted "
                         "only in processing_steps, response_actions, incremental convert and "
                         "table_name")
        return None
    issues.add(path, f"a {cls.__name__} object is not supported here: use plain data (dicts, "
                     "lists, strings, numbers, booleans)")
    return None
