"""One attempt of a request on the wire: credentials, the auth flow, redirects, pacing.

:class:`RequestSending` is the lower half of :class:`~restsync.extract.client.ApiClient`
(which inherits it): given a request the page loop and the retry loop built, it scopes the
credentials to the API host (:mod:`restsync.extract.credential_scope`), lets the auth flow
sign it (and replay it after a token refresh), follows redirects, takes the pacer's
in-flight slots and rate tokens (per host, and per credential with ``client.token_limits``:
the request's pacing key is ``(host, keyed digest of its credential)``,
:mod:`restsync.extract.credential_digest`), and hands it to the transport. Nothing here retries: a
failure goes back up to the client's :class:`~restsync.extract.retry.RetryLoop`.
"""

from __future__ import annotations

from collections.abc import Callable

from restsync.events import EventSink, RequestSent
from restsync.extract.credential_digest import CredentialDigest
from restsync.extract.credential_scope import scoped_request
from restsync.extract.http import Request, Response, Transport, host_key
from restsync.extract.page import ResourceStats
from restsync.extract.ratelimit import HostPacer
from restsync.extract.redirects import send_following_redirects
from restsync.extract.request_building import AuthFlows
from restsync.spec.model import ClientConfig

__all__ = ["RequestSending"]


class RequestSending:
    """The sending half of the API client (a base class of
    :class:`~restsync.extract.client.ApiClient`, which sets the attributes below)."""

    config: ClientConfig
    pacer: HostPacer  # or, in a scaled-out worker, a RemotePacer standing in for one
    auth_flows: AuthFlows
    stats: dict[str, ResourceStats]
    _events: EventSink
    _base_host: str
    _plain_headers: dict[str, str]
    _secret_headers: dict[str, str]
    _credentials: CredentialDigest
    _ensure_transport: Callable[[], Transport]
    redact: Callable[[str], str]
    _location: Callable[..., str]

    async def _send(self, resource: str, page: int, request: Request, attempt: int,
                    max_bytes: int) -> Response:
        """One attempt: credentials (scoped to the API host), auth flow, redirects."""
        return await send_following_redirects(
            lambda hop: self._send_scoped(resource, hop, attempt, max_bytes), request,
            where=lambda: self._location(resource, page, request))

    async def _send_scoped(self, resource: str, request: Request, attempt: int,
                           max_bytes: int) -> Response:
        auth = self.auth_flows.of(request)
        prepared, same_host = scoped_request(
            request, api_host=self._base_host, plain_headers=self._plain_headers,
            secret_headers=self._secret_headers, has_auth=auth is not None,
            foreign_host_credentials=self.config.foreign_host_credentials,
            where=lambda url: f"resource '{resource}', {self.redact(url)}")
        signer = auth if same_host else None
        token = (self._credentials.of_request(prepared.headers, request.secret_headers, signer)
                 if same_host and self.pacer.per_token is not None else None)
        if signer is None:
            return await self._transmit(resource, prepared, attempt, max_bytes, token)
        flow = signer.auth_flow(prepared)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = await self._transmit(resource, outgoing, attempt, max_bytes, token)
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return response
        finally:
            await flow.aclose()

    async def _transmit(self, resource: str | None, request: Request, attempt: int,
                        max_bytes: int, token: str | None = None) -> Response:
        """Send one request under the pacer's limits of its host and of ``token`` (its
        credential's digest; ``None``: the host's limits only)."""
        transport = self._ensure_transport()
        grant = await self.pacer.acquire(host_key(request.url), token)
        status: int | None = None
        try:
            if resource is not None:
                self.stats.setdefault(resource, ResourceStats()).requests += 1
                self._events(RequestSent(resource=resource, method=request.method,
                                         url=self.redact(request.full_url()), attempt=attempt))
            response = await transport.send(request, max_bytes=max_bytes)
            status = response.status
            return response
        finally:
            await self.pacer.release(grant, status=status)
