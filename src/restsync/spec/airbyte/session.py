"""SessionTokenAuthenticator: a login request whose response holds the token.

The login requester is an ``HttpRequester`` whose templates read only the config: it is
rendered here, when the manifest compiles, into restsync's ``session_token`` auth
(:class:`~restsync.spec.auth_models.SessionTokenAuth`), whose flow
(:mod:`restsync.extract.auth_session`) logs in once and sends the token. The login
requester's own authenticator (basic, bearer or an API key) becomes headers or parameters of
the login request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.airbyte.interpolation import TemplateRenderError
from restsync.spec.auth_models import ApiKeyAuth, BearerAuth, HttpBasicAuth, SessionTokenAuth
from restsync.spec.templated import join_manifest_url, render_nested

__all__ = ["session_token"]


def _login_credentials(c: Compiler, login: Mapping[str, Any], params: dict[str, Any],
                       headers: dict[str, Any]) -> None:
    component = login.get("authenticator")
    if not isinstance(component, Mapping) or component.get("type") == "NoAuth":
        return
    auth = c.build(component, "authenticator")
    if isinstance(auth, HttpBasicAuth):
        import base64

        pair = f"{auth.username}:{auth.password.get_secret_value()}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif isinstance(auth, BearerAuth):
        headers["Authorization"] = f"Bearer {auth.token.get_secret_value()}"
    elif isinstance(auth, ApiKeyAuth) and auth.location in ("header", "query"):
        (headers if auth.location == "header" else params)[auth.name] = \
            auth.api_key.get_secret_value()
    else:
        raise Unsupported(str(component.get("type")), path_of(component),
                          "the login request can use basic, bearer or API-key auth only")


def session_token(c: Compiler, component: Mapping[str, Any]) -> SessionTokenAuth:
    """``SessionTokenAuthenticator`` -> restsync's ``session_token`` auth."""
    where = path_of(component)
    login = component.get("login_requester")
    if not isinstance(login, Mapping):
        raise Unsupported("SessionTokenAuthenticator", f"{where}.login_requester",
                          "login_requester is required")
    parts = c.build(login, "requester")
    scope = {"config": c.config, "parameters": login.get("$parameters") or {}}
    try:
        base = str(parts["url_base"].render(scope))
        path = str(parts["path"].render(scope)).lstrip("/") if parts["path"] is not None else ""
        request = {key: render_nested(parts[part], scope) or {}
                   for key, part in (("params", "params"), ("headers", "headers"),
                                     ("json", "body_json"), ("data", "body_data"))}
    except TemplateRenderError as exc:
        raise Unsupported("SessionTokenAuthenticator", f"{where}.login_requester",
                          f"cannot be rendered with the config: {exc}") from None
    if not all(isinstance(request[k], dict) for k in ("params", "headers")):
        raise Unsupported("SessionTokenAuthenticator", f"{where}.login_requester",
                          "request_parameters and request_headers must be mappings")
    _login_credentials(c, login, request["params"], request["headers"])
    token_path = [str(p) for p in component.get("session_token_path") or []]
    if not token_path:
        raise Unsupported("SessionTokenAuthenticator", f"{where}.session_token_path",
                          "session_token_path is required")
    expires_in = None
    written = str(component.get("expiration_duration") or "").strip()
    if written.isdigit():  # seconds, not an ISO-8601 duration
        expires_in = int(written)
        c.infer(f"{where}.expiration_duration", f"{c.stream}: expiration_duration {written} "
                                                "read as seconds")
    elif written:
        from restsync.spec.airbyte.datetimes import parse_duration

        try:
            expires_in = int(parse_duration(str(component["expiration_duration"]))
                             .total_seconds())
        except (ValueError, AttributeError):
            raise Unsupported("SessionTokenAuthenticator", f"{where}.expiration_duration",
                              f"not an ISO-8601 duration: {component['expiration_duration']!r}"
                              ) from None
    location, name, prefix = "header", "Authorization", ""
    sending = component.get("request_authentication")
    kind = sending.get("type") if isinstance(sending, Mapping) else None
    if kind == "Bearer":
        prefix = "Bearer "
    elif kind == "ApiKey":
        option = sending.get("inject_into") if isinstance(sending, Mapping) else None
        if not isinstance(option, Mapping):
            option = {}
        inject = option.get("inject_into")
        if inject not in ("header", "request_parameter") or not option.get("field_name"):
            raise Unsupported("SessionTokenAuthenticator", f"{where}.request_authentication",
                              f"the token can go in a header or a request parameter, not "
                              f"{inject!r}")
        location = "header" if inject == "header" else "query"
        name = str(c.evaluate(option["field_name"], option,
                              f"{where}.request_authentication.inject_into.field_name",
                              literal=False))
    else:
        raise Unsupported("SessionTokenAuthenticator", f"{where}.request_authentication",
                          f"request_authentication type {kind!r} is not known (Bearer, ApiKey)")
    body_kinds = [k for k in ("json", "data") if request[k]]
    if len(body_kinds) > 1:
        raise Unsupported("SessionTokenAuthenticator", f"{where}.login_requester",
                          "request_body_json and request_body_data cannot both be set")
    return SessionTokenAuth(
        login_url=join_manifest_url(base, path), login_method=parts["method"],
        login_request=SecretStr(json.dumps(request, default=str)), token_path=token_path,
        location=location, name=name, prefix=prefix, expires_in=expires_in)  # type: ignore[arg-type]
