"""Airbyte's ``OAuthAuthenticator`` as the CDK runs it (:class:`ManifestOAuth`).

The token request is the CDK's: a form POST of ``grant_type``, ``client_id``,
``client_secret``, ``refresh_token`` (left out when there is none, as ``requests`` leaves out
``None``), ``scopes`` and the ``refresh_request_body`` fields these do not already name. The
access token and its expiry are looked up at any depth of the response (at most 5 levels,
as the CDK). An expiry is seconds, or a date when ``token_expiry_is_time_of_expiration``;
none means an hour (the CDK's default). Token handling (one token per client, renewal
before expiry and after a 401) is :class:`restsync.extract.auth._OAuth2Flow`'s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from restsync.extract.auth import AuthContext, _OAuth2Flow, register_auth
from restsync.extract.http import Request
from restsync.spec.auth_models import ManifestOAuth

__all__ = ["ManifestOAuthFlow", "find_key"]

DEFAULT_LIFETIME = 3600.0
MAX_DEPTH = 5


def find_key(body: Any, name: str, depth: int = 0) -> Any:
    """The value of the first key ``name`` in ``body``, searched breadth first at each level
    then into nested objects and lists (at most :data:`MAX_DEPTH` levels); ``None`` if absent."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(body, dict):
        if name in body:
            return body[name]
        children: list[Any] = list(body.values())
    elif isinstance(body, list):
        children = body
    else:
        return None
    for child in children:
        found = find_key(child, name, depth + 1)
        if found is not None:
            return found
    return None


def expiry_seconds(value: Any, *, is_date: bool, date_format: str | None,
                   now: datetime | None = None) -> float | None:
    """Seconds until a token expires from the response's expiry value (``None``: unreadable)."""
    if value is None or isinstance(value, bool):
        return None
    if not is_date:
        try:
            seconds = float(str(value))
        except ValueError:
            return None
        return seconds if seconds > 0 else None
    moment = _parse_date(str(value), date_format)
    if moment is None:
        return None
    left = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(left, 1.0)


def _parse_date(text: str, date_format: str | None) -> datetime | None:
    attempts = [date_format] if date_format else []
    for fmt in attempts:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@register_auth(ManifestOAuth)
class ManifestOAuthFlow(_OAuth2Flow):
    """The token requests and responses of Airbyte's ``OAuthAuthenticator``."""

    def __init__(self, config: ManifestOAuth, context: AuthContext):
        super().__init__(context, config.token_url, None)
        self._config = config
        self._refresh_token = (config.refresh_token.get_secret_value()
                               if config.refresh_token is not None else None)
        self._token_label = config.access_token_name
        extra = json.loads(config.refresh_request_body.get_secret_value() or "{}")
        self._extra: dict[str, Any] = extra if isinstance(extra, dict) else {}

    def _static_secrets(self) -> list[str]:
        c = self._config
        given = c.refresh_token.get_secret_value() if c.refresh_token is not None else None
        return [v for v in (c.client_id.get_secret_value(), c.client_secret.get_secret_value(),
                            self._refresh_token, given) if v]

    def _token_request(self) -> Request:
        c = self._config
        data: dict[str, Any] = {
            c.grant_type_name: c.grant_type,
            c.client_id_name: c.client_id.get_secret_value(),
            c.client_secret_name: c.client_secret.get_secret_value(),
            c.refresh_token_name: self._refresh_token,
        }
        if c.scopes:
            data["scopes"] = list(c.scopes)
        for key, value in self._extra.items():
            data.setdefault(key, value)
        return Request(method="POST", url=c.token_url, headers={"Accept": "application/json"},
                       data=data)

    def _token_from(self, body: Any) -> Any:
        return find_key(body, self._config.access_token_name)

    def _lifetime(self, body: Any) -> float | None:
        c = self._config
        found = expiry_seconds(find_key(body, c.expires_in_name),
                               is_date=c.token_expiry_is_time_of_expiration,
                               date_format=c.token_expiry_date_format)
        return DEFAULT_LIFETIME if found is None else found

    def _accept_rotated_refresh_token(self, body: dict[str, Any]) -> None:
        if not self._config.rotate_refresh_token:
            return
        rotated = find_key(body, self._config.refresh_token_name)
        if isinstance(rotated, str) and rotated:
            self._refresh_token = rotated
