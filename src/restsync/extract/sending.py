"""One attempt of a request on the wire: credentials, the auth flow, redirects, pacing.

:class:`RequestSending` is the lower half of :class:`~restsync.extract.client.ApiClient`
(which inherits it): given a request the page loop and the retry loop built, it scopes the
credentials to the API host (:mod:`restsync.extract.credential_scope`), lets the auth flow
sign it (and replay it after a token refresh), follows redirects, takes the pacer's
in-flight slot and rate token, and hands it to the transport. Nothing here retries: a
failure goes back up to the client's :class:`~restsync.extract.retry.RetryLoop`.
"""

from __future__ import annotations

from collections.abc import Callable

from restsync.events import EventSink, RequestSent
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
        if not same_host or auth is None:
            return await self._transmit(resource, prepared, attempt, max_bytes)
        flow = auth.auth_flow(prepared)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = await self._transmit(resource, outgoing, attempt, max_bytes)
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return response
        finally:
            await flow.aclose()

    async def _transmit(self, resource: str | None, request: Request, attempt: int,
                        max_bytes: int) -> Response:
        transport = self._ensure_transport()
        host = host_key(request.url)
        limit = self.pacer.limit(host)
        ticket = await limit.acquire()
        status: int | None = None
        try:
            bucket = self.pacer.bucket(host)
            if bucket is not None:
                await bucket.acquire()
            if resource is not None:
                self.stats.setdefault(resource, ResourceStats()).requests += 1
                self._events(RequestSent(resource=resource, method=request.method,
                                         url=self.redact(request.full_url()), attempt=attempt))
            response = await transport.send(request, max_bytes=max_bytes)
            status = response.status
            return response
        finally:
            await limit.release(ticket, status=status)
