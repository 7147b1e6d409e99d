"""The API client: pages of records for one endpoint, with auth, retries and paging.

One :class:`ApiClient` per source run. It owns one transport (one keep-alive aiohttp
session), one auth flow (one token shared by every resource), one retry policy and one
semaphore per host (``max_concurrency`` requests in flight per host), so many
:meth:`ApiClient.pages` iterations can run concurrently (parent/child fan-out).
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

from pydantic import SecretStr

from restsync.errors import (
    CredentialLeakError,
    FatalError,
    HTTPStatusError,
    ResponseError,
    RetriableError,
)
from restsync.events import EventSink, PageFetched, RequestSent, RetryScheduled, discard
from restsync.extract.auth import AuthContext, AuthFlow, build_auth
from restsync.extract.http import AiohttpTransport, Request, Response, Transport, host_key
from restsync.extract.paginators import build_paginator
from restsync.extract.redact import redact_text, redact_url
from restsync.extract.retry import (
    AsyncioSleeper,
    RetryDecision,
    RetryPolicy,
    RetryState,
    Sleeper,
    status_reason,
)
from restsync.extract.selectors import DataSelector
from restsync.extract.urls import fill_path, join_url
from restsync.spec.model import (
    ClientConfig,
    EndpointConfig,
    ResolveParam,
    ResponseAction,
    RetryRule,
)

__all__ = ["ApiClient", "Page", "ResourceStats"]

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")


@dataclass
class Page:
    """One page of records.

    Attributes:
        resource: Resource name.
        number: 1-based page number within this page sequence.
        records: The selected records.
        url: The requested URL, redacted.
    """

    resource: str
    number: int
    records: list[dict[str, Any]]
    url: str


@dataclass
class ResourceStats:
    """Counters of one resource (summed over all its page sequences)."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    records: int = 0


def _action_matches(action: ResponseAction, response: Response) -> bool:
    if action.status_code is None and action.content is None:
        return False
    if action.status_code is not None and action.status_code != response.status:
        return False
    if action.content is not None:
        return action.content in response.body.decode("utf-8", errors="replace")
    return True


class ApiClient:
    """HTTP client of one source; an async context manager.

    Args:
        config: The source's client settings.
        events: Where progress events go.
        transport: Transport to use (default: a new :class:`AiohttpTransport`, closed on exit).
        sleeper: Waits between retries (default: real ``asyncio.sleep``).
        config_values: The ``config`` name seen by ``stop_condition`` expressions.

    Attributes:
        stats: Per resource name: requests, retries, pages, records.
    """

    def __init__(self, config: ClientConfig, *, events: EventSink = discard,
                 transport: Transport | None = None, sleeper: Sleeper | None = None,
                 config_values: Mapping[str, Any] | None = None):
        self.config = config
        self._events = events
        self._transport = transport
        self._owns_transport = transport is None
        self._sleeper: Sleeper = sleeper or AsyncioSleeper()
        self._policy = RetryPolicy(config.retry)
        self._config_values = dict(config_values or {})
        self._base_host = host_key(config.base_url)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._plain_headers = {k: v for k, v in config.headers.items() if isinstance(v, str)}
        self._secret_headers = {k: v.get_secret_value() for k, v in config.headers.items()
                                if isinstance(v, SecretStr)}
        self._selectors: dict[str, DataSelector] = {}
        self.stats: dict[str, ResourceStats] = {}
        self.auth: AuthFlow | None = None
        if config.auth is not None:
            context = AuthContext(send_token_request=self._send_token_request, events=events,
                                  clock=self._sleeper.monotonic, redact=self.redact)
            self.auth = build_auth(config.auth, context)

    async def __aenter__(self) -> ApiClient:
        self._ensure_transport()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the transport if this client created it."""
        if self._transport is not None and self._owns_transport:
            await self._transport.close()
            self._transport = None

    def _ensure_transport(self) -> Transport:
        if self._transport is None:
            self._transport = AiohttpTransport(timeout=self.config.timeout,
                                               verify_tls=self.config.verify_tls,
                                               limit_per_host=self.config.max_concurrency)
        return self._transport

    # ------------------------------------------------------------------ redaction

    def _secrets(self) -> list[str]:
        values = list(self._secret_headers.values())
        if self.auth is not None:
            values.extend(self.auth.secret_values())
        return values

    def redact(self, text: str) -> str:
        """Mask secret query values, userinfo and every known secret value in ``text``."""
        params = self.auth.secret_params if self.auth is not None else ()
        text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0), params), text)
        return redact_text(text, self._secrets())

    def _location(self, resource: str, page: int, request: Request) -> str:
        return f"resource '{resource}', page {page}, {request.method} {self.redact(request.full_url())}"

    # ------------------------------------------------------------------ pages

    async def pages(self, *, resource: str, endpoint: EndpointConfig, paginator: Any,
                    path_values: Mapping[str, Any] | None = None,
                    extra_params: Mapping[str, Any] | None = None) -> AsyncIterator[Page]:
        """Fetch the pages of one endpoint (one page sequence).

        Args:
            resource: Resource name (errors, events, stats).
            endpoint: The endpoint to request.
            paginator: The effective paginator config, or ``None`` for a single page.
            path_values: Values of the ``{placeholders}`` in ``endpoint.path``.
            extra_params: Query parameters merged over ``endpoint.params``.

        Yields:
            Pages in order; paging stops as the paginator decides.

        Raises:
            FatalError: Subclasses of it for every failure (see :mod:`restsync.errors`).
            ConfigError: A placeholder has no value, or a path/expression is invalid.
        """
        stats = self.stats.setdefault(resource, ResourceStats())
        where = f"resources[{resource}].endpoint"
        pager = build_paginator(paginator, where=f"{where}.paginator",
                                config_values=self._config_values)
        selector = self._selector(endpoint.data_selector, f"{where}.data_selector")
        url = join_url(self.config.base_url, fill_path(endpoint.path, path_values or {}, where))
        params = {k: v for k, v in endpoint.params.items() if not isinstance(v, ResolveParam)}
        params.update(extra_params or {})
        request = Request(
            method=endpoint.method, url=url, params=params,
            headers={k: v for k, v in endpoint.headers.items() if isinstance(v, str)},
            secret_headers={k: v.get_secret_value() for k, v in endpoint.headers.items()
                            if not isinstance(v, str)},
            json=copy.deepcopy(endpoint.json_body))
        pager.init_request(request)
        number = 0
        while True:
            number += 1
            response = await self._fetch(resource, number, request, endpoint.response_actions)
            if response is None:  # a response action said "ignore"
                return
            location = self._location(resource, number, request)
            records = selector.select(self._parse_body(response, location), location=location) \
                if response.status != 204 else []
            pager.update_state(response, records, location=location)
            stats.pages += 1
            stats.records += len(records)
            url = self.redact(response.url)
            self._events(PageFetched(resource=resource, page=number, records=len(records), url=url))
            yield Page(resource=resource, number=number, records=records, url=url)
            if not pager.has_next_page:
                return
            pager.update_request(request)

    def _selector(self, selector: Any, where: str) -> DataSelector:
        key = repr(selector)
        if key not in self._selectors:
            self._selectors[key] = DataSelector(selector, where=where)
        return self._selectors[key]

    def _parse_body(self, response: Response, location: str) -> Any:
        excerpt = self.redact(response.text_excerpt(200))
        ctype = response.content_type
        if "html" in ctype or response.body.lstrip()[:1] == b"<":
            raise ResponseError(f"expected JSON, got {ctype or 'HTML'} (status "
                                f"{response.status}): {excerpt}", location=location)
        if not response.body.strip():
            raise ResponseError(f"empty body with status {response.status}", location=location)
        try:
            return response.json()
        except ValueError:
            kind = f"content type {ctype}" if ctype else "no content type"
            raise ResponseError(f"body is not valid JSON ({kind}): {excerpt}",
                                location=location) from None

    # ------------------------------------------------------------------ one logical request

    async def _fetch(self, resource: str, page: int, request: Request,
                     actions: list[ResponseAction]) -> Response | None:
        """Send with retries; ``None`` when a response action says "ignore"."""
        state = self._policy.start(self._sleeper.monotonic())
        stats = self.stats.setdefault(resource, ResourceStats())
        attempt = 0
        while True:
            attempt += 1
            location = self._location(resource, page, request)
            try:
                response = await self._send(resource, request, attempt)
            except RetriableError as exc:
                decision = state.decide(status=None, retry_after_header=None,
                                        now=self._sleeper.monotonic())
                reason = status_reason(None, self.redact(exc.message))
                if not decision.retry:
                    raise FatalError(f"{reason}; {decision.why_not or 'not retried'}",
                                     location=location) from None
                await self._wait(resource, request, decision, reason, stats)
                continue
            forced_rule: RetryRule | None = None
            action = next((a.action for a in actions if _action_matches(a, response)), None)
            if action == "ignore":
                return None
            if action == "fail":
                raise self._status_error(response, location, "a response action says fail")
            if action == "retry":
                forced_rule = self._policy.rule_for(response.status) or \
                    RetryRule(statuses=[response.status])
            elif 200 <= response.status < 300:
                return response
            elif self._policy.rule_for(response.status) is None:
                raise self._status_error(response, location)
            decision = state.decide(status=response.status,
                                    retry_after_header=response.headers.get("Retry-After"),
                                    now=self._sleeper.monotonic(), rule=forced_rule)
            if not decision.retry:
                raise self._status_error(response, location, decision.why_not)
            await self._wait(resource, request, decision, status_reason(response.status), stats)

    async def _wait(self, resource: str, request: Request, decision: RetryDecision,
                    reason: str, stats: ResourceStats | None) -> None:
        if stats is not None:
            stats.retries += 1
        self._events(RetryScheduled(resource=resource, url=self.redact(request.full_url()),
                                    attempt=decision.attempt, max_attempts=decision.max_attempts,
                                    wait_seconds=decision.wait, reason=reason))
        await self._sleeper.sleep(decision.wait)

    def _status_error(self, response: Response, location: str, why: str = "") -> HTTPStatusError:
        excerpt = self.redact(response.text_excerpt(200))
        message = f"{status_reason(response.status)}"
        if why:
            message += f" ({why})"
        if excerpt:
            message += f": {excerpt}"
        hint = None
        if response.status in (401, 403):
            hint = "check the credentials and their permissions"
        elif response.status == 404:
            hint = "check the path and its placeholder values"
        return HTTPStatusError(message, status=response.status, location=location, hint=hint)

    # ------------------------------------------------------------------ one attempt

    async def _send(self, resource: str, request: Request, attempt: int) -> Response:
        """One attempt: credentials (scoped to the API host), auth flow, redirects."""
        current = request
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._send_scoped(resource, current, attempt)
            location_header = response.headers.get("Location")
            if response.status not in _REDIRECT_STATUSES or not location_header:
                return response
            redirected = current.copy()
            redirected.url = urljoin(response.url, location_header)
            redirected.params = {}
            if response.status == 303 or (response.status in (301, 302) and current.method == "POST"):
                redirected.method, redirected.json, redirected.data = "GET", None, None
            current = redirected
        raise FatalError(f"more than {MAX_REDIRECTS} redirects",
                         location=self.redact(request.full_url()))

    async def _send_scoped(self, resource: str, request: Request, attempt: int) -> Response:
        prepared = request.copy()
        same_host = host_key(prepared.url) == self._base_host
        if same_host:
            prepared.headers = {**self._plain_headers, **self._secret_headers, **request.headers,
                                **request.secret_headers}
        else:
            prepared.headers = {**self._plain_headers, **request.headers}
            has_credentials = (self.auth is not None or bool(self._secret_headers)
                               or bool(request.secret_headers))
            if has_credentials and self.config.foreign_host_credentials == "refuse":
                raise CredentialLeakError(
                    f"next request goes to {host_key(prepared.url)}, not the API host "
                    f"{self._base_host}; credentials are not sent there",
                    location=f"resource '{resource}', {self.redact(prepared.full_url())}",
                    hint="set client.foreign_host_credentials to 'strip' to send it "
                         "without credentials")
        if not same_host or self.auth is None:
            return await self._transmit(resource, prepared, attempt)
        flow = self.auth.auth_flow(prepared)
        try:
            outgoing = await flow.__anext__()
            while True:
                response = await self._transmit(resource, outgoing, attempt)
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return response
        finally:
            await flow.aclose()

    def _semaphore(self, url: str) -> asyncio.Semaphore:
        key = host_key(url)
        if key not in self._semaphores:
            self._semaphores[key] = asyncio.Semaphore(self.config.max_concurrency)
        return self._semaphores[key]

    async def _transmit(self, resource: str | None, request: Request, attempt: int) -> Response:
        transport = self._ensure_transport()
        async with self._semaphore(request.url):
            if resource is not None:
                self.stats.setdefault(resource, ResourceStats()).requests += 1
                self._events(RequestSent(resource=resource, method=request.method,
                                         url=self.redact(request.full_url()), attempt=attempt))
            return await transport.send(request)

    async def _send_token_request(self, request: Request) -> Response:
        """Token requests: retried like API requests (429/5xx/transport), no credentials scoping."""
        state: RetryState = self._policy.start(self._sleeper.monotonic())
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._transmit(None, request, attempt)
            except RetriableError as exc:
                decision = state.decide(status=None, retry_after_header=None,
                                        now=self._sleeper.monotonic())
                if not decision.retry:
                    raise FatalError(self.redact(exc.message)) from None
                await self._wait("(auth)", request, decision,
                                 status_reason(None, self.redact(exc.message)), None)
                continue
            if self._policy.rule_for(response.status) is None:
                return response
            decision = state.decide(status=response.status,
                                    retry_after_header=response.headers.get("Retry-After"),
                                    now=self._sleeper.monotonic())
            if not decision.retry:
                return response
            await self._wait("(auth)", request, decision, status_reason(response.status), None)
