"""Authentication as request flows, in the style of httpx's ``auth_flow``.

A flow is an async generator: it receives the outgoing request, ``yield``s the request to
send (with credentials), receives the response, and may yield once more (a replay after a
token refresh). The client drives it::

    flow = auth.auth_flow(request)
    outgoing = await flow.__anext__()
    while True:
        response = await transmit(outgoing)
        try:
            outgoing = await flow.asend(response)
        except StopAsyncIteration:
            break

OAuth2 flows hold ONE token per client, shared by all resources and concurrent requests: an
``asyncio.Lock`` makes concurrent requests wait for a single token call. The token is renewed
before it expires (``expires_in`` minus a margin; without ``expires_in`` it is used until a
401) and once on a 401, after which the request is replayed; a second 401 or a failing token
endpoint raises :class:`~restsync.errors.AuthError` (remembered, so no retry storm).
Token requests go to the token URL by design (it may be on another host than the API).
"""

from __future__ import annotations

import asyncio
import base64
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel

from restsync.errors import AuthError, ConfigError, FatalError, RetriableError
from restsync.events import EventSink, TokenRefreshed, discard
from restsync.extract.http import Request, Response
from restsync.spec.model import ApiKeyAuth, BearerAuth, HttpBasicAuth

__all__ = [
    "AUTH_FLOWS",
    "ApiKeyAuthFlow",
    "AuthContext",
    "AuthFlow",
    "BasicAuthFlow",
    "BearerAuthFlow",
    "build_auth",
    "register_auth",
]

TokenSender = Callable[[Request], Awaitable[Response]]


@dataclass
class AuthContext:
    """What auth flows need from the client.

    Attributes:
        send_token_request: Sends a token request (retries transient failures, no auth).
        events: Event sink (``TokenRefreshed``).
        clock: Monotonic seconds (the sleeper's clock, virtual in tests).
        redact: Redacts a URL or text for error messages.
        expiry_margin: Seconds before ``expires_in`` at which a token is renewed.
    """

    send_token_request: TokenSender
    events: EventSink = discard
    clock: Callable[[], float] = lambda: 0.0
    redact: Callable[[str], str] = lambda text: text
    expiry_margin: float = 60.0


class AuthFlow(ABC):
    """Base class of auth flows."""

    #: Query parameter names whose values are credentials (redacted in URLs).
    secret_params: tuple[str, ...] = ()

    @abstractmethod
    def secret_values(self) -> list[str]:
        """Every secret value this flow knows (for :func:`~restsync.extract.redact.redact_text`)."""

    @abstractmethod
    def auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        """Yield ``request`` with credentials; may yield a replay after seeing the response."""

    def pacing_identity(self) -> str:
        """What tells this flow's credential from another's, for per-token pacing: its
        secret values when first asked (before a first token request, so a renewed or
        rotated token keeps the identity). Only ever hashed with a keyed digest
        (:mod:`restsync.extract.credential_digest`), never shown."""
        known: str | None = getattr(self, "_pacing_identity", None)
        if known is None:
            known = self._pacing_identity = "\x00".join(self.secret_values())
        return known


AuthFactory = Callable[[Any, AuthContext], AuthFlow]
#: Auth flow classes keyed by the spec model type.
AUTH_FLOWS: dict[type[BaseModel], AuthFactory] = {}

_F = TypeVar("_F", bound=AuthFactory)


def register_auth(model_type: type[BaseModel]) -> Callable[[_F], _F]:
    """Register an auth flow factory for ``model_type`` (decorator)."""
    def decorate(factory: _F) -> _F:
        AUTH_FLOWS[model_type] = factory
        return factory
    return decorate


class _StaticFlow(AuthFlow):
    @abstractmethod
    def apply(self, request: Request) -> Request:
        """Return a copy of ``request`` with credentials attached."""

    async def auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        yield self.apply(request)


def _basic_value(username: str, password: str) -> str:
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@register_auth(BearerAuth)
class BearerAuthFlow(_StaticFlow):
    """``Authorization: Bearer <token>``."""

    def __init__(self, config: BearerAuth, context: AuthContext):
        self._token = config.token.get_secret_value()

    def secret_values(self) -> list[str]:
        return [self._token]

    def apply(self, request: Request) -> Request:
        out = request.copy()
        out.headers["Authorization"] = f"Bearer {self._token}"
        return out


@register_auth(HttpBasicAuth)
class BasicAuthFlow(_StaticFlow):
    """HTTP basic auth."""

    def __init__(self, config: HttpBasicAuth, context: AuthContext):
        self._header = _basic_value(config.username, config.password.get_secret_value())
        self._password = config.password.get_secret_value()

    def secret_values(self) -> list[str]:
        return [self._password, self._header.split(" ", 1)[1]]

    def apply(self, request: Request) -> Request:
        out = request.copy()
        out.headers["Authorization"] = self._header
        return out


@register_auth(ApiKeyAuth)
class ApiKeyAuthFlow(_StaticFlow):
    """An API key in a header, a query parameter or a cookie (``Cookie: name=key``)."""

    def __init__(self, config: ApiKeyAuth, context: AuthContext):
        self._name = config.name
        self._key = config.api_key.get_secret_value()
        self._location = config.location
        if self._location == "query":
            self.secret_params = (config.name,)

    def secret_values(self) -> list[str]:
        return [self._key]

    def apply(self, request: Request) -> Request:
        out = request.copy()
        if self._location == "query":
            out.url = _drop_query_param(out.url, self._name)  # a next link may echo the key
            out.params[self._name] = self._key
        elif self._location == "cookie":
            cookie = f"{self._name}={self._key}"
            known = next((k for k in out.headers if k.lower() == "cookie"), None)
            if known is None:
                out.headers["Cookie"] = cookie
            else:
                out.headers[known] = f"{out.headers[known]}; {cookie}"
        else:
            out.headers[self._name] = self._key
        return out


def _drop_query_param(url: str, name: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(n, v) for n, v in pairs if n != name]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path,
                       urlencode(kept, quote_via=quote), parts.fragment))


class _OAuth2Flow(AuthFlow):
    """Shared token handling of the OAuth2 grants."""

    def __init__(self, context: AuthContext, token_url: str, default_expiration: int | None):
        self._ctx = context
        self._token_url = token_url
        self._default_expiration = default_expiration
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at: float | None = None
        self._failure: AuthError | None = None
        self.token_requests = 0

    @abstractmethod
    def _token_request(self) -> Request:
        """The request asking for a new access token."""

    def _static_secrets(self) -> list[str]:
        return []

    def secret_values(self) -> list[str]:
        return [*self._static_secrets(), *([self._token] if self._token else [])]

    def _valid(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._ctx.clock() < self._expires_at

    async def _current_token(self) -> str:
        if self._failure is not None:
            raise self._failure
        if self._valid():
            assert self._token is not None
            return self._token
        async with self._lock:
            if self._failure is not None:
                raise self._failure
            if not self._valid():
                await self._fetch("initial" if self._token is None else "expiring")
            assert self._token is not None
            return self._token

    async def _renew_after_401(self, rejected: str) -> str:
        async with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._token == rejected:  # nobody renewed it meanwhile
                await self._fetch("401")
            assert self._token is not None
            return self._token

    def _fail(self, message: str) -> AuthError:
        self._failure = AuthError(self._ctx.redact(message),
                                  location=f"token endpoint {self._ctx.redact(self._token_url)}")
        return self._failure

    async def _fetch(self, reason: str) -> None:
        self.token_requests += 1
        try:
            response = await self._ctx.send_token_request(self._token_request())
        except (FatalError, RetriableError) as exc:
            raise self._fail(f"token request failed: {exc.message}") from None
        if not 200 <= response.status < 300:
            raise self._fail(f"token endpoint answered {response.status}: "
                             f"{response.text_excerpt(160)}")
        try:
            body = response.json()
        except ValueError:
            raise self._fail("token response is not JSON: "
                             f"{response.text_excerpt(80)}") from None
        token = self._token_from(body)
        if not isinstance(token, str) or not token:
            keys = ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
            raise self._fail(f"token response has no {self._token_label} (found: {keys})")
        self._token = token
        self._accept_rotated_refresh_token(body)
        lifetime = self._lifetime(body)
        if lifetime is None and self._default_expiration is not None:
            lifetime = float(self._default_expiration)
        if lifetime is None:
            self._expires_at = None
        else:
            margin = min(self._ctx.expiry_margin, lifetime / 2)
            self._expires_at = self._ctx.clock() + lifetime - margin
        self._ctx.events(TokenRefreshed(reason=reason))

    _token_label = "access_token"

    def _lifetime(self, body: Any) -> float | None:
        """Seconds the new token lasts (``None``: not said)."""
        return _seconds(body.get("expires_in")) if isinstance(body, dict) else None

    def _token_from(self, body: Any) -> Any:
        """The token in a token response's JSON body."""
        return body.get("access_token") if isinstance(body, dict) else None

    def _accept_rotated_refresh_token(self, body: dict[str, Any]) -> None:
        """Keep a rotated refresh token (refresh-token grant only)."""

    def _with_token(self, request: Request, token: str) -> Request:
        out = request.copy()
        out.headers["Authorization"] = f"Bearer {token}"
        return out

    async def auth_flow(self, request: Request) -> AsyncGenerator[Request, Response]:
        token = await self._current_token()
        response = yield self._with_token(request, token)
        if response.status != 401:
            return
        token = await self._renew_after_401(token)
        response = yield self._with_token(request, token)
        if response.status == 401:
            raise AuthError("the API answered 401 again after the access token was renewed",
                            location=self._ctx.redact(request.full_url()),
                            hint="check the client's scopes and that the credentials belong "
                                 "to this API")


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return float(value.strip()) or None
    return None


def build_auth(config: BaseModel, context: AuthContext) -> AuthFlow:
    """The auth flow for an auth config.

    Raises:
        ConfigError: No flow is registered for the config's type.
    """
    factory = AUTH_FLOWS.get(type(config))
    if factory is None:
        known = ", ".join(sorted(m.__name__ for m in AUTH_FLOWS))
        raise ConfigError(f"no auth flow for {type(config).__name__} (known: {known})",
                          location="client.auth")
    return factory(config, context)
