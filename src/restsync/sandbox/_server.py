"""The base class of every sandbox: HTTP plumbing, request log, faults, auth, token endpoint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from restsync.sandbox._common import (
    RecordedRequest,
    RequestLog,
    TokenIssuer,
    basic_credentials,
    json_response,
    nested_list_counts,
)
from restsync.sandbox._faults import FaultInjector, apply_fault

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class OAuthClient:
    """The one OAuth2 client a sandbox's token endpoint accepts (refresh-token grant).

    Attributes:
        client_id: Accepted client id.
        client_secret: Accepted client secret.
        refresh_token: Accepted refresh token.
        expires_in: ``expires_in`` sent in the token response (``None``: field left out).
        extra: Extra fields of the token response.
    """

    client_id: str
    client_secret: str
    refresh_token: str
    expires_in: int | None = 3599
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SandboxInfo:
    """What a started sandbox needs a caller to know (printed by the CLI, used by tests).

    Attributes:
        name: Registry name = seed document stem (``email_api``).
        base_url: Value for ``client.base_url``.
        token_url: Value for ``client.auth.token_url`` (``None`` without OAuth2).
        overrides: ``--set`` strings pointing the document at this sandbox.
        secrets: Demo secrets by the names the document asks for (``dlt.secrets[...]``).
        config: Config values by the names the document asks for (``dlt.config[...]``).
        params: ``--param`` values a user would pass (empty when nothing is needed).
        expected_records: Rows per resource a full run of the document yields.
    """

    name: str
    base_url: str
    token_url: str | None
    overrides: list[str]
    secrets: dict[str, str]
    config: dict[str, str]
    params: dict[str, list[str]]
    expected_records: dict[str, int]


class SandboxServer:
    """A loopback server imitating one seed API (subclasses add routes and data).

    Use ``async with Sandbox() as server:`` on a running loop, or
    :func:`restsync.sandbox.start_sandboxes` from synchronous code.

    Args:
        seed: Seed of the generated data (same seed, same data).
        latency: Seconds every request waits before it is answered.
        token_ttl: Seconds an access token stays valid server side (``None``: forever).
        token_max_uses: API calls one access token is good for (``None``: unlimited).

    Attributes:
        requests: Every request received (:class:`RequestLog`).
        faults: Fault injection (:class:`FaultInjector`).
        secrets: Demo secrets keyed by the names the document uses.
        config: Config values keyed by the names the document uses.
        params: ``--param`` values a user would pass (empty: the engine infers them).
        latency: Seconds added to every request (may be changed while running).
    """

    name: ClassVar[str] = ""
    resources: ClassVar[tuple[str, ...]] = ()
    api_root: ClassVar[str] = ""  # path part of client.base_url, e.g. "/v1/users/me/"
    token_path: ClassVar[str | None] = None
    token_on_separate_host: ClassVar[bool] = False
    token_prefix: ClassVar[str] = "sbx-at"

    def __init__(
        self,
        *,
        seed: int = 0,
        latency: float = 0.0,
        token_ttl: float | None = 3600.0,
        token_max_uses: int | None = None,
    ) -> None:
        self.seed = seed
        self.latency = latency
        self.requests = RequestLog()
        self.faults = FaultInjector()
        self.tokens = TokenIssuer(self.token_prefix, ttl=token_ttl, max_uses=token_max_uses)
        self.secrets: dict[str, str] = {}
        self.config: dict[str, str] = {}
        self.params: dict[str, list[str]] = {}
        self.oauth: OAuthClient | None = None
        self._runners: list[web.AppRunner] = []
        self._origin: str | None = None
        self._token_origin: str | None = None

    # ------------------------------------------------------------------ subclass hooks

    def add_routes(self, app: web.Application) -> None:
        """Register the API routes (subclasses)."""
        raise NotImplementedError

    def check_auth(self, request: web.Request) -> web.StreamResponse | None:
        """``None`` when the request is authorized, else the 401 response to send."""
        raise NotImplementedError

    def document_records(self) -> dict[str, list[dict[str, Any]]]:
        """Per resource of the document, the records a full run yields, in API order."""
        raise NotImplementedError

    # ------------------------------------------------------------------ public API

    @property
    def origin(self) -> str:
        """``http://host:port`` of the API server (after start)."""
        if self._origin is None:
            raise RuntimeError(f"sandbox {self.name!r} is not started")
        return self._origin

    @property
    def base_url(self) -> str:
        """The value for the document's ``client.base_url``."""
        return self.origin + self.api_root

    @property
    def token_url(self) -> str | None:
        """The value for ``client.auth.token_url`` (``None`` when the API has no OAuth2)."""
        if self.token_path is None:
            return None
        origin = self._token_origin if self.token_on_separate_host else self.origin
        if origin is None:
            raise RuntimeError(f"sandbox {self.name!r} is not started")
        return origin + self.token_path

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on the API server."""
        return self.origin + path

    def overrides(self) -> list[str]:
        """``--set`` strings that point the document at this sandbox."""
        result = [f"client.base_url={self.base_url}"]
        if self.token_url is not None:
            result.append(f"client.auth.token_url={self.token_url}")
        return result

    @property
    def expected_records(self) -> dict[str, int]:
        """Rows per resource a full run of the document yields (sum over parents)."""
        return {name: len(rows) for name, rows in self.document_records().items()}

    def expected_nested(self, resource: str) -> dict[tuple[str, ...], int]:
        """Elements of every nested list of ``resource``'s records (rows of child tables)."""
        return nested_list_counts(self.document_records()[resource])

    def invalidate_tokens(self) -> None:
        """Expire every access token now; the next API call answers 401."""
        self.tokens.invalidate_all()

    def info(self) -> SandboxInfo:
        """A summary for callers that print or pass the connection details on."""
        return SandboxInfo(
            name=self.name, base_url=self.base_url, token_url=self.token_url,
            overrides=self.overrides(), secrets=dict(self.secrets), config=dict(self.config),
            params={k: list(v) for k, v in self.params.items()},
            expected_records=self.expected_records,
        )

    async def start(self, host: str = "127.0.0.1", port: int = 0, token_port: int = 0) -> None:
        """Start listening (port 0 picks a free port)."""
        if self._runners:
            raise RuntimeError(f"sandbox {self.name!r} is already started")
        api_app = self._make_app("api")
        self.add_routes(api_app)
        if self.token_path is not None and not self.token_on_separate_host:
            api_app.router.add_post(self.token_path, self._token_endpoint)
        self._origin = await self._serve(api_app, host, port)
        if self.token_path is not None and self.token_on_separate_host:
            token_app = self._make_app("token")
            token_app.router.add_post(self.token_path, self._token_endpoint)
            self._token_origin = await self._serve(token_app, host, token_port)

    async def stop(self) -> None:
        """Stop every listener of this sandbox."""
        runners, self._runners = self._runners, []
        for runner in runners:
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        where = self._origin or "not started"
        return f"<{type(self).__name__} {self.name} {where}>"

    # ------------------------------------------------------------------ plumbing

    async def _serve(self, app: web.Application, host: str, port: int) -> str:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runners.append(runner)
        bound = runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in str(bound[0]) else str(bound[0])
        return f"http://{shown}:{bound[1]}"

    def _make_app(self, label: str) -> web.Application:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            return await self._handle(label, request, handler)

        return web.Application(middlewares=[middleware])

    async def _handle(self, label: str, request: web.Request, handler: Handler) -> web.StreamResponse:
        is_token_call = self.token_path is not None and request.path == self.token_path
        form: dict[str, str] | None = None
        if is_token_call and request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ):
            form = {k: str(v) for k, v in (await request.post()).items()}
        entry = RecordedRequest(
            server="token" if is_token_call else label,
            method=request.method, path=request.path, query=dict(request.query),
            query_string=request.query_string, headers=dict(request.headers), form=form,
            url=str(request.url), at=time.monotonic(),
        )
        self.requests.append(entry)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            fault = self.faults.take(request.method, request.path, request.query)
            response = await apply_fault(request, fault) if fault is not None else None
            routed = request.match_info.http_exception is None
            if response is None and routed and not is_token_call:
                response = self.check_auth(request)
            if response is None:
                response = await handler(request)
        except web.HTTPException as exc:
            entry.status = exc.status
            raise
        entry.status = 0 if fault is not None and fault.kind == "reset" else response.status
        return response

    async def _token_endpoint(self, request: web.Request) -> web.StreamResponse:
        """OAuth2 refresh-token grant: form POST, client credentials in body or Basic."""
        oauth = self.oauth
        if oauth is None:  # pragma: no cover - subclasses with a token_path set oauth
            raise web.HTTPNotFound()
        sensitive = {"client_secret", "refresh_token", "client_id", "access_token"}
        if sensitive & set(request.query):
            return _oauth_error(400, "invalid_request", "credentials must not be sent in the URL")
        if request.content_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request",
                                "expected an application/x-www-form-urlencoded body")
        form = await request.post()
        grant = str(form.get("grant_type", ""))
        if grant != "refresh_token":
            return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r} not supported")
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        basic = basic_credentials(request)
        if basic is not None:
            client_id, client_secret = basic
        if client_id != oauth.client_id or client_secret != oauth.client_secret:
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
        if form.get("refresh_token") != oauth.refresh_token:
            return _oauth_error(400, "invalid_grant", "refresh token is invalid or revoked")
        body: dict[str, Any] = {"access_token": self.tokens.issue(), "token_type": "Bearer"}
        if oauth.expires_in is not None:
            body["expires_in"] = oauth.expires_in
        body.update(oauth.extra)
        return json_response(body, headers={"Cache-Control": "no-store"})

    def bearer_ok(self, token: str | None) -> bool:
        """Whether a bearer token from the request is valid (counts one use)."""
        return token is not None and self.tokens.use(token)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return json_response({"error": error, "error_description": description}, status=status)
