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


class ManifestOAuth(TypedModel):
    """restsync: Airbyte's ``OAuthAuthenticator`` as the CDK runs it (manifests compile to it).

    One form POST to ``token_url``: ``grant_type`` (``refresh_token`` or
    ``client_credentials``), ``client_id``, ``client_secret``, ``refresh_token`` (when
    given), ``scopes`` (repeated), then each ``refresh_request_body`` field these do not
    already name; every field name is configurable as in the manifest. The access token and
    its expiry are found at any depth of the token response (``access_token_name``,
    ``expires_in_name``): seconds, or with ``token_expiry_is_time_of_expiration`` a date
    (``token_expiry_date_format``, else ISO 8601); without one a token lasts an hour. With
    ``rotate_refresh_token`` a refresh token in the response replaces the one sent.
    """

    type: Literal["manifest_oauth"] = "manifest_oauth"
    token_url: str
    grant_type: str = "refresh_token"
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr | None = None
    scopes: list[str] | None = None
    refresh_request_body: SecretStr = SecretStr("{}")
    """JSON object of the extra form fields (secret as a whole: it may carry credentials)."""
    grant_type_name: str = "grant_type"
    client_id_name: str = "client_id"
    client_secret_name: str = "client_secret"
    refresh_token_name: str = "refresh_token"
    access_token_name: str = "access_token"
    expires_in_name: str = "expires_in"
    token_expiry_is_time_of_expiration: bool = False
    token_expiry_date_format: str | None = None
    rotate_refresh_token: bool = False


AuthConfig = Annotated[
    BearerAuth | HttpBasicAuth | ApiKeyAuth | OAuth2RefreshTokenAuth | OAuth2ClientCredentialsAuth
    | SessionTokenAuth | ManifestOAuth,
    Field(discriminator="type"),
]

AUTHS = Registry(AuthConfig, "auth type")
"""The registered auth types (names, aliases, models)."""
