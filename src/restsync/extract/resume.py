"""Resume states: where a page sequence stands, as a small JSON-able dict.

``Page.resume_state`` is the state that continues *after* that page; a
``WaitTooLongError.resume_state`` is the state that repeats the request that was not retried.
Either restarts the sequence through ``ApiClient.pages(..., resume_from=state)``. A state holds
the next request's URL, query parameters and JSON body, the paginator's counters and the
number of the page it fetches; never credentials (query values that are known secrets are
dropped; the client adds credentials again when it sends).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from restsync.errors import ConfigError
from restsync.extract.http import Request
from restsync.extract.paginator_base import Paginator

__all__ = ["RESUME_VERSION", "apply_resume_state", "make_resume_state"]

RESUME_VERSION = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _without_secrets(url: str, secret_names: Collection[str], secret_values: Collection[str]) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    names = {n.lower() for n in secret_names}
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(n, v) for n, v in pairs if n.lower() not in names and v not in secret_values]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path,
                       urlencode(kept, quote_via=quote), parts.fragment))


def make_resume_state(request: Request, paginator: Paginator, page: int, *,
                      secret_names: Collection[str] = (),
                      secret_values: Collection[str] = ()) -> dict[str, Any]:
    """The state that fetches ``request`` as page number ``page`` of its sequence.

    Args:
        request: The request to send next (not yet sent).
        paginator: The sequence's paginator, already advanced to ``request``.
        page: 1-based number of the page ``request`` fetches.
        secret_names: Query parameter names that hold credentials (dropped).
        secret_values: Known secret values (query parameters holding one are dropped).
    """
    values = {v for v in secret_values if v}
    names = {n.lower() for n in secret_names}
    params = {k: v for k, v in request.params.items()
              if k.lower() not in names and not (isinstance(v, str) and v in values)}
    return {
        "version": RESUME_VERSION,
        "page": page,
        "url": _without_secrets(request.url, names, values),
        "params": _jsonable(params),
        "json": _jsonable(request.json),
        "paginator": _jsonable(paginator.resume_state()),
    }


def apply_resume_state(state: Any, request: Request, paginator: Paginator, *,
                       where: str) -> int:
    """Turn ``request``/``paginator`` into the ones ``state`` describes.

    Returns:
        The number of the page the restored request fetches.

    Raises:
        ConfigError: ``state`` is not a resume state of this version.
    """
    if (not isinstance(state, Mapping) or state.get("version") != RESUME_VERSION
            or not isinstance(state.get("url"), str) or not isinstance(state.get("params"), dict)
            or not isinstance(state.get("page"), int) or state["page"] < 1
            or not isinstance(state.get("paginator", {}), dict)):
        raise ConfigError("unusable resume state (expected the dict of Page.resume_state, "
                          f"version {RESUME_VERSION})", location=where)
    request.url = state["url"]
    request.params = dict(state["params"])
    if "json" in state:
        request.json = state["json"]
    paginator.restore(dict(state.get("paginator") or {}))
    return int(state["page"])
