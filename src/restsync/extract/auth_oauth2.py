"""The OAuth2 grants of restsync's own dialect: refresh token and client credentials.

Token handling (one token per client, renewal before expiry and once after a 401) is
:class:`restsync.extract.auth._OAuth2Flow`'s; each grant only builds its token request.
"""

from __future__ import annotations

from typing import Any

from restsync.extract.auth import AuthContext, _basic_value, _OAuth2Flow, register_auth
from restsync.extract.http import Request
from restsync.spec.model import OAuth2ClientCredentialsAuth, OAuth2RefreshTokenAuth

__all__ = ["OAuth2ClientCredentialsFlow", "OAuth2RefreshTokenFlow"]


@register_auth(OAuth2RefreshTokenAuth)
class OAuth2RefreshTokenFlow(_OAuth2Flow):
    """OAuth2 refresh-token grant (form POST to ``token_url``)."""

    def __init__(self, config: OAuth2RefreshTokenAuth, context: AuthContext):
        super().__init__(context, config.token_url, config.default_token_expiration)
        self._config = config
        self._refresh_token = config.refresh_token.get_secret_value()

    def _static_secrets(self) -> list[str]:
        c = self._config
        return [c.client_id.get_secret_value(), c.client_secret.get_secret_value(),
                self._refresh_token, c.refresh_token.get_secret_value()]

    def _accept_rotated_refresh_token(self, body: dict[str, Any]) -> None:
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated

    def _token_request(self) -> Request:
        c = self._config
        client_id, secret = c.client_id.get_secret_value(), c.client_secret.get_secret_value()
        data = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        headers = {"Accept": "application/json"}
        if c.client_auth == "basic":
            headers["Authorization"] = _basic_value(client_id, secret)
        else:
            data.update(client_id=client_id, client_secret=secret)
        if c.scopes:
            data["scope"] = " ".join(c.scopes)
        return Request(method="POST", url=c.token_url, headers=headers, data=data)


@register_auth(OAuth2ClientCredentialsAuth)
class OAuth2ClientCredentialsFlow(_OAuth2Flow):
    """OAuth2 client-credentials grant."""

    def __init__(self, config: OAuth2ClientCredentialsAuth, context: AuthContext):
        super().__init__(context, config.access_token_url, config.default_token_expiration)
        self._config = config

    def _static_secrets(self) -> list[str]:
        c = self._config
        return [c.client_id.get_secret_value(), c.client_secret.get_secret_value()]

    def _token_request(self) -> Request:
        c = self._config
        client_id, secret = c.client_id.get_secret_value(), c.client_secret.get_secret_value()
        # dlt's order: client_id, client_secret, grant_type, then access_token_request_data
        data = {} if c.client_auth == "basic" else {"client_id": client_id,
                                                    "client_secret": secret}
        data.update(grant_type="client_credentials",
                    **{k: str(v) for k, v in c.access_token_request_data.items()})
        headers = {"Accept": "application/json"}
        if c.client_auth == "basic":
            headers["Authorization"] = _basic_value(client_id, secret)
        if c.scopes:
            data["scope"] = " ".join(c.scopes)
        return Request(method="POST", url=c.access_token_url, headers=headers, data=data)
