"""Building an endpoint's first request, and choosing the auth flow of each request.

dlt's rules: the endpoint's ``params`` (minus ``resolve`` params and static values that fill
path placeholders), the incremental start/end params, the ``json`` body (or the form
``data``) and the endpoint ``headers`` over the client's; every string rendered from the
work item's values (:mod:`restsync.extract.interpolate`). An endpoint's ``auth`` replaces
the client's; ``auth: null`` sends none.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from restsync.extract.auth import AuthContext, AuthFlow, build_auth
from restsync.extract.http import Request
from restsync.extract.interpolate import render, render_headers, render_path
from restsync.extract.urls import join_url
from restsync.spec import templates
from restsync.spec.model import AuthConfig, EndpointConfig, ResolveParam

__all__ = ["NO_AUTH", "AuthFlows", "build_request", "path_param_names", "render_body_and_headers"]

NO_AUTH: Any = object()
"""``Request.auth`` value of an endpoint whose spec says ``auth: null``."""


@lru_cache(maxsize=256)
def path_param_names(path: str) -> frozenset[str]:
    """Plain ``{name}`` placeholders of a path (their ``params`` values fill the path)."""
    try:
        return frozenset(f.text for f in templates.fields(path) if f.root is None)
    except templates.TemplateError:
        return frozenset()


def query_params(endpoint: EndpointConfig, values: Mapping[str, Any],
                 where: str) -> dict[str, Any]:
    """The endpoint's query parameters, rendered (resolve params and path values left out)."""
    in_path = path_param_names(endpoint.path)
    params = {k: v for k, v in endpoint.params.items()
              if not isinstance(v, ResolveParam) and k not in in_path}
    rendered = render(params, values, f"{where}.params")
    assert isinstance(rendered, dict)
    return rendered


def render_body_and_headers(request: Request, endpoint: EndpointConfig,
                            values: Mapping[str, Any], where: str) -> None:
    """Set the endpoint's headers and form body on ``request``, rendered from ``values``."""
    request.headers = render_headers(
        {k: v for k, v in endpoint.headers.items() if isinstance(v, str)}, values,
        f"{where}.headers")
    request.secret_headers = {k: v.get_secret_value() for k, v in endpoint.headers.items()
                              if not isinstance(v, str)}
    if endpoint.data:  # as requests: an empty form sends no body at all
        request.data = render(endpoint.data, values, f"{where}.data")


def build_request(base_url: str, endpoint: EndpointConfig, values: Mapping[str, Any],
                  extra_params: Mapping[str, Any], where: str) -> Request:
    """The first request of one page sequence (before the paginator's ``init_request``).

    Args:
        base_url: The client's base URL.
        endpoint: The endpoint.
        values: Placeholder values of the work item and the incremental window.
        extra_params: Query parameters set over the endpoint's (incremental start/end).
        where: ``resources[x].endpoint`` for errors.

    Raises:
        ConfigError: A placeholder has no value.
        ResponseError: A header rendered from the data holds a line break.
    """
    request = Request(method=endpoint.method, url=base_url)
    request.url = join_url(base_url, render_path(endpoint.path, values, f"{where}.path"))
    request.params = query_params(endpoint, values, where)
    request.params.update(extra_params)
    request.json = render(copy.deepcopy(endpoint.json_body), values, f"{where}.json",
                          preserve_type=True)
    render_body_and_headers(request, endpoint, values, where)
    return request


class AuthFlows:
    """The client's auth flow and one flow per endpoint ``auth`` (built once, shared).

    Args:
        default: The flow of ``client.auth`` (``None``: no auth).
        context: What new flows need from the client.
    """

    def __init__(self, default: AuthFlow | None, context: AuthContext) -> None:
        self.default = default
        self._context = context
        self._own: list[tuple[AuthConfig, AuthFlow]] = []

    def for_endpoint(self, endpoint: EndpointConfig) -> Any:
        """``None`` (use the client's), :data:`NO_AUTH`, or the endpoint's own flow."""
        auth = endpoint.auth
        if auth is None:
            return None
        if auth == "none":
            return NO_AUTH
        for config, flow in self._own:
            if config is auth:
                return flow
        flow = build_auth(auth, self._context)
        self._own.append((auth, flow))
        return flow

    def of(self, request: Request) -> AuthFlow | None:
        """The flow that signs ``request`` (``None``: send it without credentials)."""
        chosen: AuthFlow | None = request.auth
        if chosen is None:
            return self.default
        return None if chosen is NO_AUTH else chosen

    def all(self) -> list[AuthFlow]:
        """Every flow in use (for redaction)."""
        return ([self.default] if self.default is not None else []) + [f for _, f in self._own]
