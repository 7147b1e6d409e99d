"""Auth type models (``client.auth``). Registering a new type: add its model to ``AuthConfig``."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SecretStr

from restsync.spec.base import Registry, TypedModel


class BearerAuth(TypedModel):
    """``Authorization: Bearer <token>``."""

    type: Literal["bearer"] = "bearer"
    token: SecretStr


class HttpBasicAuth(TypedModel):
    """HTTP basic auth. ``basic`` is accepted as an alias of ``http_basic``."""

    aliases: ClassVar[tuple[str, ...]] = ("basic",)
    type: Literal["http_basic"] = "http_basic"
    username: str
    password: SecretStr


class ApiKeyAuth(TypedModel):
    """An API key in a header (default ``Authorization``), a query parameter (dlt's ``param``
    is the same) or a cookie."""

    type: Literal["api_key"] = "api_key"
    name: str = "Authorization"
    api_key: SecretStr
    location: Literal["header", "query", "cookie"] = "header"


class OAuth2RefreshTokenAuth(TypedModel):
    """restsync: OAuth2 refresh-token grant (the seeds' ``type: oauth2``).

    Form POST ``grant_type=refresh_token`` with ``refresh_token``, ``client_id`` and
    ``client_secret`` to ``token_url``; the access token is sent as a bearer token.
    """

    aliases: ClassVar[tuple[str, ...]] = ("oauth2_refresh_token",)

    type: Literal["oauth2"] = "oauth2"
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr
    token_url: str
    scopes: list[str] | None = None
    client_auth: Literal["body", "basic"] = "body"
    default_token_expiration: int | None = None  # seconds; None = until a 401


class OAuth2ClientCredentialsAuth(TypedModel):
    """OAuth2 client-credentials grant (dlt's ``oauth2_client_credentials``).

    Like dlt, the client id and secret go in the form body by default (``client_auth: basic``
    sends them as HTTP basic auth instead); ``access_token`` is accepted and, as in dlt, not
    used: a token is requested before the first API request.
    """

    type: Literal["oauth2_client_credentials"] = "oauth2_client_credentials"
    access_token_url: str
    client_id: SecretStr
    client_secret: SecretStr
    scopes: list[str] | None = None
    access_token_request_data: dict[str, Any] = Field(default_factory=dict)
    client_auth: Literal["body", "basic"] = "body"
    default_token_expiration: int = 3600
    access_token: SecretStr | None = None


class SessionTokenAuth(TypedModel):
    """restsync: a token obtained by a login request (Airbyte's
    ``SessionTokenAuthenticator``), then sent in a header or a query parameter.

    The login request (``login_request``: JSON of ``params``, ``headers``, ``json``,
    ``data``) is a secret as a whole: it carries passwords. The token is read at
    ``token_path`` of the login response, renewed after ``expires_in`` seconds (``None``:
    until a 401) and sent as ``prefix`` + token in ``name``.
    """

    type: Literal["session_token"] = "session_token"
    login_url: str
    login_method: Literal["GET", "POST"] = "POST"
    login_request: SecretStr = SecretStr("{}")
    token_path: list[str]
    location: Literal["header", "query"] = "header"
    name: str = "Authorization"
    prefix: str = ""
    expires_in: int | None = None


AuthConfig = Annotated[
    BearerAuth | HttpBasicAuth | ApiKeyAuth | OAuth2RefreshTokenAuth | OAuth2ClientCredentialsAuth
    | SessionTokenAuth,
    Field(discriminator="type"),
]

AUTHS = Registry(AuthConfig, "auth type")
"""The registered auth types (names, aliases, models)."""
