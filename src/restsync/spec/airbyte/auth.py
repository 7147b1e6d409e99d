"""Authenticators: ApiKey, Bearer, BasicHttp, OAuth (refresh token, client credentials),
Selective, NoAuth; each becomes one of restsync's auth types (evaluated with the config).

Credentials come from the config through templates (``{{ config['api_key'] }}``); they are
rendered once, when the manifest is compiled, and become secrets of the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.auth_models import ManifestOAuth
from restsync.spec.model import ApiKeyAuth, BearerAuth, HttpBasicAuth

__all__ = ["api_key", "basic", "bearer", "no_auth", "oauth", "selective"]


def _text(c: Compiler, component: Mapping[str, Any], key: str, *, required: bool = True,
          default: str = "") -> str:
    where = f"{path_of(component)}.{key}"
    value = component.get(key)
    if value is None:
        if required:
            raise Unsupported(str(component.get("type")), where, f"{key} is required")
        return default
    rendered = c.evaluate(value, component, where, literal=False)
    return "" if rendered is None else str(rendered)


def no_auth(c: Compiler, component: Mapping[str, Any]) -> None:
    """``NoAuth``: no credentials."""
    return None


def bearer(c: Compiler, component: Mapping[str, Any]) -> BearerAuth:
    """``BearerAuthenticator``: ``Authorization: Bearer <api_token>``."""
    return BearerAuth(token=SecretStr(_text(c, component, "api_token")))


def basic(c: Compiler, component: Mapping[str, Any]) -> HttpBasicAuth:
    """``BasicHttpAuthenticator``: ``username`` and ``password`` (default empty)."""
    return HttpBasicAuth(username=_text(c, component, "username"),
                         password=SecretStr(_text(c, component, "password", required=False)))


def api_key(c: Compiler, component: Mapping[str, Any]) -> ApiKeyAuth:
    """``ApiKeyAuthenticator``: the token in a header (``header`` or ``inject_into``) or a
    query parameter."""
    where = path_of(component)
    token = _text(c, component, "api_token")
    option = component.get("inject_into")
    if isinstance(option, Mapping):
        inject = option.get("inject_into")
        name = option.get("field_name")
        if inject not in ("header", "request_parameter") or not name:
            raise Unsupported("ApiKeyAuthenticator", f"{where}.inject_into",
                              f"the key can go in a header or a request parameter, not "
                              f"{inject!r}")
        rendered = c.evaluate(name, option, f"{where}.inject_into.field_name", literal=False)
        return ApiKeyAuth(name=str(rendered), api_key=SecretStr(token),
                          location="header" if inject == "header" else "query")
    header = component.get("header")
    if not header:
        raise Unsupported("ApiKeyAuthenticator", where, "header or inject_into is required")
    rendered = c.evaluate(header, component, f"{where}.header", literal=False)
    return ApiKeyAuth(name=str(rendered), api_key=SecretStr(token), location="header")


def oauth(c: Compiler, component: Mapping[str, Any]) -> Any:
    """``OAuthAuthenticator``: refresh-token grant (default) or client credentials, with the
    CDK's token request and response handling (:class:`ManifestOAuth`)."""
    where = path_of(component)
    grant = str(c.evaluate(component.get("grant_type") or "refresh_token", component,
                           f"{where}.grant_type", literal=False))
    if not component.get("token_refresh_endpoint") and component.get("access_token_value"):
        c.infer(where, f"{c.stream}: the access token from the config is sent as a bearer "
                       "token (no token_refresh_endpoint to renew it)")
        return BearerAuth(token=SecretStr(_text(c, component, "access_token_value")))
    if grant not in ("refresh_token", "client_credentials"):
        raise Unsupported("OAuthAuthenticator", f"{where}.grant_type",
                          f"grant_type {grant!r} is not supported (refresh_token, "
                          "client_credentials)")
    rotate = bool(component.get("refresh_token_updater"))
    if rotate:
        c.infer(f"{where}.refresh_token_updater",
                f"{c.stream}: a rotated refresh token is used for this run but not written "
                "back to the config (restsync does not change config files)")
    body = component.get("refresh_request_body") or {}
    extra = {str(k): c.evaluate(v, component, f"{where}.refresh_request_body.{k}",
                                literal=False) if isinstance(v, str) else v
             for k, v in body.items() if k not in ("__path__", "$parameters")} \
        if isinstance(body, Mapping) else {}
    scopes = component.get("scopes")
    refresh = _text(c, component, "refresh_token", required=grant == "refresh_token") or None
    names: dict[str, Any] = {key: str(component[key]) for key in (
        "grant_type_name", "client_id_name", "client_secret_name", "refresh_token_name",
        "access_token_name", "expires_in_name") if component.get(key)}
    return ManifestOAuth(
        token_url=_text(c, component, "token_refresh_endpoint"), grant_type=grant,
        client_id=SecretStr(_text(c, component, "client_id")),
        client_secret=SecretStr(_text(c, component, "client_secret")),
        refresh_token=SecretStr(refresh) if refresh else None,
        scopes=[str(s) for s in scopes] if scopes else None,
        refresh_request_body=SecretStr(json.dumps(extra, default=str)),
        token_expiry_is_time_of_expiration=bool(
            component.get("token_expiry_is_time_of_expiration")),
        token_expiry_date_format=(str(component["token_expiry_date_format"])
                                  if component.get("token_expiry_date_format") else None),
        rotate_refresh_token=rotate, **names)


def selective(c: Compiler, component: Mapping[str, Any]) -> Any:
    """``SelectiveAuthenticator``: the authenticator named by a config value."""
    where = path_of(component)
    path = component.get("authenticator_selection_path") or []
    value: Any = c.config
    for key in path:
        value = value.get(str(key)) if isinstance(value, Mapping) else None
    choices = component.get("authenticators") or {}
    chosen = choices.get(value) if isinstance(value, str) else None
    if not isinstance(chosen, Mapping):
        raise Unsupported("SelectiveAuthenticator", f"{where}.authenticators",
                          f"config {'.'.join(map(str, path))} = {value!r} names no "
                          f"authenticator (known: {', '.join(map(str, choices))})")
    c.infer(where, f"{c.stream}: authenticator `{value}` chosen by config "
                   f"{'.'.join(map(str, path))}")
    return c.build(chosen, "authenticator")
