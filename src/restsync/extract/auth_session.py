"""Session-token auth: a login request gives a token sent with every API request.

Airbyte's ``SessionTokenAuthenticator``: the login request (its own URL, method, parameters,
headers and body, all from the connector config) is sent once; the token is read at
``token_path`` of its JSON response and sent in a header or a query parameter (with a
``Bearer`` prefix when asked). It is shared like an OAuth2 token: renewed after
``expires_in`` seconds (``None``: kept until a 401), and once on a 401 before the request is
replayed.
"""

from __future__ import annotations

import json
from typing import Any

from restsync.extract.auth import AuthContext, _OAuth2Flow, register_auth
from restsync.extract.http import Request
from restsync.spec.auth_models import SessionTokenAuth

__all__ = ["SessionTokenFlow"]


@register_auth(SessionTokenAuth)
class SessionTokenFlow(_OAuth2Flow):
    """Log in, then send the session token with every request."""

    def __init__(self, config: SessionTokenAuth, context: AuthContext):
        super().__init__(context, config.login_url, config.expires_in)
        self._config = config
        self._login: dict[str, Any] = json.loads(config.login_request.get_secret_value())
        self._token_label = ".".join(config.token_path) or "a token"
        if config.location == "query":
            self.secret_params = (config.name,)

    def _static_secrets(self) -> list[str]:
        out: list[str] = []
        for part in ("params", "headers", "json", "data"):
            out.extend(_strings(self._login.get(part)))
        return [s for s in out if len(s) >= 6]  # masking short values ("POST", ids) hides nothing

    def _token_request(self) -> Request:
        c, login = self._config, self._login
        request = Request(method=c.login_method, url=c.login_url,
                          params=dict(login.get("params") or {}),
                          headers={"Accept": "application/json",
                                   **{k: str(v) for k, v in (login.get("headers") or {}).items()}})
        if c.login_method == "POST":
            if login.get("json"):
                request.json = login["json"]
            elif login.get("data"):
                request.data = login["data"]
        return request

    def _token_from(self, body: Any) -> Any:
        node = body
        for key in self._config.token_path:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, str) else (str(node) if isinstance(node, int) else None)

    def _with_token(self, request: Request, token: str) -> Request:
        c = self._config
        out = request.copy()
        if c.location == "query":
            out.params[c.name] = f"{c.prefix}{token}"
        else:
            out.headers[c.name] = f"{c.prefix}{token}"
        return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
