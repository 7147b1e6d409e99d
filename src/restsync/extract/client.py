"""The API client: pages of records for one endpoint, with auth, retries and paging.

One :class:`ApiClient` per source run. It owns one transport (one keep-alive aiohttp
session), one auth flow (one token shared by every resource), one retry policy and one
pacer (:mod:`restsync.extract.ratelimit`: an in-flight limit per host that grows while
latency is flat and is cut on 429/503, plus an optional per-host token bucket; the same per
credential with ``client.token_limits``), so many
:meth:`ApiClient.pages` iterations can run concurrently (parent/child fan-out). The page
loop and the retry loop are here; one attempt on the wire (credentials, the auth flow,
redirects, pacing) is :class:`~restsync.extract.sending.RequestSending`, its base class.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any

from pydantic import SecretStr

from restsync.errors import (
    AuthError,
    LimitExceededError,
)
from restsync.events import (
    EventSink,
    Notice,
    PageFetched,
    RetryScheduled,
    RunTimeInference,
    discard,
)
from restsync.extract import auth_manifest_oauth as _auth_manifest_oauth  # noqa: F401
from restsync.extract import auth_oauth2 as _auth_oauth2  # noqa: F401  (registers its flows)
from restsync.extract import auth_session as _auth_session  # noqa: F401  (registers its flow)
from restsync.extract.aiohttp_transport import AiohttpTransport
from restsync.extract.auth import AuthContext, AuthFlow, build_auth
from restsync.extract.concurrency import LimitChange, limit_notice
from restsync.extract.credential_digest import CredentialDigest
from restsync.extract.detect import detect_records_path
from restsync.extract.http import Request, Response, Transport, host_key
from restsync.extract.page import Page, ResourceStats, page_limit_error
from restsync.extract.paginators import build_paginator
from restsync.extract.ratelimit import HostPacer
from restsync.extract.redact import Redactor, basic_auth_forms
from restsync.extract.request_building import AuthFlows, build_request, render_body_and_headers
from restsync.extract.responses import judge_response, located_limit_error, parse_json_body
from restsync.extract.resume import apply_resume_state, make_resume_state
from restsync.extract.retry import (
    AsyncioSleeper,
    RetryAgain,
    RetryDecision,
    RetryLoop,
    RetryPolicy,
    Sleeper,
    check_wait,
    status_reason,
    transport_again,
)
from restsync.extract.selectors import DataSelector
from restsync.extract.sending import RequestSending
from restsync.extract.templated import templated_pages
from restsync.spec.limits import Limits, effective_limits
from restsync.spec.model import ClientConfig, EndpointConfig, ResponseAction

__all__ = ["ApiClient", "Page", "ResourceStats"]

class ApiClient(RequestSending):
    """HTTP client of one source; an async context manager.

    Args:
        config: The source's client settings.
        events: Where progress events go.
        transport: Transport to use (default: a new :class:`AiohttpTransport`, closed on exit).
        sleeper: Waits between retries and rate-limit pauses (default: real ``asyncio.sleep``;
            :class:`~restsync.extract.retry.RecordingSleeper` in tests).
        config_values: The ``config`` name seen by ``stop_condition`` expressions.
        max_wait: Longest retry wait to sleep through (``--max-wait``); a longer one raises
            :class:`~restsync.errors.WaitTooLongError` instead (``None``: only
            ``limits.max_retry_wait`` applies).
        pacing_key: The run's key of credential digests (``client.token_limits``; default:
            a new random one; a scaled-out run hands its workers the driver's).

    Attributes:
        stats: Per resource name: requests, retries, pages, records.
        pacer: Per-host in-flight limits (adaptive, or fixed) and token buckets, and the
            same per credential with ``client.token_limits``.
        limits: The client's own limits (``client.limits`` and defaults): token requests and
            resources that bring none of their own.
    """

    def __init__(self, config: ClientConfig, *, events: EventSink = discard,
                 transport: Transport | None = None, sleeper: Sleeper | None = None,
                 config_values: Mapping[str, Any] | None = None,
                 max_wait: float | None = None, pacing_key: bytes | None = None):
        self.config = config
        self._events = events
        self._transport = transport
        self._owns_transport = transport is None
        self._sleeper: Sleeper = sleeper or AsyncioSleeper()
        self._policy = RetryPolicy(config.retry)
        self._retry = RetryLoop(self._policy, self._sleeper.monotonic)
        self._config_values = dict(config_values or {})
        self._base_host = host_key(config.base_url)
        self.max_wait = max_wait
        self.limits = effective_limits(config.limits)
        self.pacer = HostPacer.for_client(config, self._sleeper, on_change=self._limit_changed)
        self._plain_headers = {k: v for k, v in config.headers.items() if isinstance(v, str)}
        self._secret_headers = {k: v.get_secret_value() for k, v in config.headers.items()
                                if isinstance(v, SecretStr)}
        self._credentials = CredentialDigest(
            pacing_key, secret_headers=self._secret_headers,
            headers=config.token_limits.credential_headers if config.token_limits else ())
        self._basic_forms = basic_auth_forms(config.auth)
        self._redactor = Redactor()
        self._selectors: dict[str, DataSelector] = {}
        self.stats: dict[str, ResourceStats] = {}
        context = AuthContext(send_token_request=self._send_token_request, events=events,
                              clock=self._sleeper.monotonic, redact=self.redact)
        self.auth: AuthFlow | None = None
        if config.auth is not None:
            self.auth = build_auth(config.auth, context)
        self.auth_flows = AuthFlows(self.auth, context)

    async def __aenter__(self) -> ApiClient:
        if not self.config.verify_tls:
            self._events(Notice(resource=None, message=(
                "TLS certificate verification is OFF (client.verify_tls: false): responses "
                "could come from anyone on the network path; use it only for testing")))
        self._ensure_transport()
        return self

    def _limit_changed(self, change: LimitChange) -> None:
        if (message := limit_notice(change)) is not None:
            self._events(Notice(resource=None, message=message))

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Report where each host's in-flight limit settled; close our own transport."""
        for event in self.pacer.unreported_events():
            self._events(event)
        if self._transport is not None and self._owns_transport:
            await self._transport.close()
            self._transport = None

    def _ensure_transport(self) -> Transport:
        if self._transport is None:
            self._transport = AiohttpTransport(timeout=self.config.timeout,
                                               verify_tls=self.config.verify_tls,
                                               limit_per_host=self.pacer.concurrency.ceiling)
        return self._transport

    # ------------------------------------------------------------------ redaction

    def _secrets(self) -> list[str]:
        values = list(self._secret_headers.values())
        for flow in self.auth_flows.all():
            values.extend(flow.secret_values())
        values.extend(self._basic_forms)
        values.extend(v.get_secret_value() for v in self.config.extra_secrets)
        return values

    def redact(self, text: str) -> str:
        """Mask secret query values, userinfo and every known secret value in ``text``."""
        return self._redactor(text, self._secrets(), self.secret_query_names())

    def _location(self, resource: str, page: int, request: Request,
                  url: str | None = None) -> str:
        """Where an error happened; ``url``: the redacted URL when already at hand."""
        url = url if url is not None else self.redact(request.full_url())
        return f"resource '{resource}', page {page}, {request.method} {url}"

    # ------------------------------------------------------------------ pages

    def secret_query_names(self) -> tuple[str, ...]:
        """Query parameter names that carry credentials for this client."""
        return tuple(n for flow in self.auth_flows.all() for n in flow.secret_params)

    async def pages(self, *, resource: str, endpoint: EndpointConfig, paginator: Any,
                    path_values: Mapping[str, Any] | None = None,
                    extra_params: Mapping[str, Any] | None = None,
                    resume_from: Mapping[str, Any] | None = None,
                    limits: Limits | None = None, raw_records: bool = False
                    ) -> AsyncIterator[Page]:
        """Fetch the pages of one endpoint (one page sequence).

        Args:
            resource: Resource name (errors, events, stats).
            endpoint: The endpoint to request.
            paginator: The effective paginator config, or ``None`` for a single page.
            path_values: Values of the placeholders of the request's templates (path,
                params, json, data, headers), keyed by the text inside the braces.
            extra_params: Query parameters merged over ``endpoint.params``.
            resume_from: A ``Page.resume_state`` (or ``WaitTooLongError.resume_state``) of an
                earlier iteration of the same sequence: start there instead of page 1.
                ``path_values``/``extra_params`` are then ignored (the state holds them).
            limits: The resource's limits (default: the client's, :attr:`limits`).
            raw_records: The caller reads nothing of the records but the page body it loads
                them from: a manifest's page may then carry them unparsed
                (:class:`~restsync.extract.raw_records.RawRecords`, parsed at first use).

        Yields:
            Pages in order; paging stops as the paginator decides.

        Raises:
            FatalError: Subclasses of it for every failure (see :mod:`restsync.errors`);
                :class:`~restsync.errors.StoppedEarlyError` subclasses when a wait or the
                page count passes a limit (commit what was yielded, resume from its state).
            ConfigError: A placeholder has no value, a path/expression is invalid, or
                ``resume_from`` is not a resume state.
        """
        limits = limits or self.limits
        if endpoint.templated is not None:  # requests rendered from templates (manifests)
            async for page in templated_pages(self, resource=resource, endpoint=endpoint,
                                              path_values=path_values or {},
                                              resume_from=resume_from, limits=limits,
                                              raw_records=raw_records):
                yield page
            return
        stats = self.stats.setdefault(resource, ResourceStats())
        where = f"resources[{resource}].endpoint"
        pager = build_paginator(paginator, where=f"{where}.paginator",
                                config_values=self._config_values)
        selector = (self._selector(endpoint.data_selector, f"{where}.data_selector")
                    if endpoint.data_selector is not None else None)
        if resume_from is not None:
            request = Request(method=endpoint.method, url=self.config.base_url,
                              json=copy.deepcopy(endpoint.json_body))
            render_body_and_headers(request, endpoint, path_values or {}, where)
            number = apply_resume_state(resume_from, request, pager,
                                        where=f"resource '{resource}' resume state") - 1
        else:
            request = build_request(self.config.base_url, endpoint, path_values or {},
                                    extra_params or {}, where)
            pager.init_request(request)
            number = 0
        request.auth = self.auth_flows.for_endpoint(endpoint)
        fetched = 0  # pages of this call (a resumed sequence gets max_pages more)
        nesting_setting = limits.setting("max_nesting_depth")
        while True:
            number += 1
            here = number

            def resume_here(current: Request = request, page: int = here) -> dict[str, Any]:
                return self._resume_state(current, pager, page)
            response = await self._fetch(resource, number, request, endpoint.response_actions,
                                         resume_here, limits)
            if response is None:  # a response action said "ignore"
                return
            url = self.redact(response.url)  # the URL answered (after any redirects)
            location = self._location(resource, number, request, url)
            records: list[dict[str, Any]] = []
            if response.status != 204:
                body = parse_json_body(response, location, self.redact, nesting_setting)
                if selector is None:
                    selector = self._detected_selector(resource, where, body)
                records = selector.select(body, location=location)
            pager.update_state(response, records, location=location, page=number)
            if pager.inference:
                self._inferred(resource, f"{where}.paginator", pager.inference)
            stats.pages += 1
            stats.records += len(records)
            resume: dict[str, Any] | None = None
            if pager.has_next_page:
                pager.update_request(request)
                resume = self._resume_state(request, pager, number + 1)
            self._events(PageFetched(resource=resource, page=number, records=len(records), url=url))
            yield Page(resource=resource, number=number, records=records, url=url,
                       resume_state=resume, decision=self.redact(pager.decision),
                       # hook for Arrow-native pages (issue 13): the body, read again there
                       body=response.body if records else None,
                       records_keys=selector.plain_keys if selector is not None else None)
            if resume is None:
                return
            fetched += 1
            if fetched >= limits.max_pages:
                raise page_limit_error(
                    resource=resource, fetched=fetched, next_page=number + 1, resume=resume,
                    limits=limits, location=location,
                    hint="raise the limit if the feed is really that long; a feed that never "
                         "ends needs a stop_condition or a paginator that stops")

    def _resume_state(self, request: Request, pager: Any, page: int) -> dict[str, Any]:
        return make_resume_state(request, pager, page, secret_names=self.secret_query_names(),
                                 secret_values=self._secrets())

    def _inferred(self, resource: str, path: str, message: str) -> None:
        """Report a run-time inference once per resource (fan-out children repeat it)."""
        stats = self.stats.setdefault(resource, ResourceStats())
        text = f"{path}: {message}"
        if text not in stats.inferences:
            stats.inferences.append(text)
            self._events(RunTimeInference(resource=resource, message=message, path=path))

    def _detected_selector(self, resource: str, where: str, body: Any) -> DataSelector:
        found = detect_records_path(body)
        self._inferred(resource, f"{where}.data_selector",
                       "the whole body is the records" if found == "$" else
                       f"records read from `{found}` (detected on the first response, as dlt "
                       "does; set data_selector to make it explicit)")
        return self._selector(found, f"{where}.data_selector")

    def _selector(self, selector: Any, where: str) -> DataSelector:
        key = repr(selector)
        if key not in self._selectors:
            self._selectors[key] = DataSelector(selector, where=where)
        return self._selectors[key]

    # ------------------------------------------------------------------ one logical request

    async def _fetch(self, resource: str, page: int, request: Request,
                     actions: list[ResponseAction] | Callable[[Response], list[ResponseAction]],
                     resume: Callable[[], dict[str, Any]] | None = None,
                     limits: Limits | None = None) -> Response | None:
        """Send with retries; ``None`` when a response action says "ignore"."""
        stats = self.stats.setdefault(resource, ResourceStats())
        limits = limits or self.limits

        def where() -> str:  # built only for an error: redacting every URL costs time
            return self._location(resource, page, request)

        async def attempt(number: int) -> Response | RetryAgain[Response | None] | None:
            try:
                response = await self._send(resource, page, request, number,
                                            limits.max_response_bytes)
            except AuthError as exc:  # name the resource and page, keep the auth detail
                location = where()
                if exc.location and exc.location not in location:
                    location = f"{location} ({exc.location})"
                raise AuthError(exc.message, location=location, hint=exc.hint) from None
            except LimitExceededError as exc:  # the body was too large: name the setting
                raise located_limit_error(exc, limits, where()) from None
            found = actions(response) if callable(actions) else actions
            return judge_response(response, found, where=where, redact=self.redact,
                                  retriable=lambda status: self._policy.rule_for(status) is not None)

        async def wait(decision: RetryDecision, reason: str) -> None:
            await self._wait(resource, request, decision, reason, stats, resume, limits, page)
        return await self._retry.run(
            attempt, wait=wait,
            transport_failure=lambda exc: transport_again(exc, self.redact, location=where))

    async def _wait(self, resource: str, request: Request, decision: RetryDecision,
                    reason: str, stats: ResourceStats | None,
                    resume: Callable[[], dict[str, Any]] | None = None,
                    limits: Limits | None = None, page: int | None = None) -> None:
        """Report and sleep one retry wait, or stop when it is longer than allowed."""
        url = self.redact(request.full_url())
        check_wait(decision, reason, limits=limits or self.limits, max_wait=self.max_wait,
                   where=f"resource '{resource}'" + (f", page {page}" if page is not None else ""),
                   method=request.method, url=url, resource=resource, resume=resume)
        if stats is not None:
            stats.retries += 1
        self._events(RetryScheduled(resource=resource, url=url,
                                    attempt=decision.attempt, max_attempts=decision.max_attempts,
                                    wait_seconds=decision.wait, reason=reason))
        await self._sleeper.sleep(decision.wait)

    async def _send_token_request(self, request: Request) -> Response:
        """Token requests: retried like API requests (429/5xx/transport), no credentials scoping.

        A status the policy does not retry, or one it gave up on, is returned for the auth
        flow to judge.
        """
        async def attempt(number: int) -> Response | RetryAgain[Response]:
            try:
                response = await self._transmit(None, request, number,
                                                self.limits.max_response_bytes)
            except LimitExceededError as exc:
                raise located_limit_error(exc, self.limits, "token request") from None
            if self._policy.rule_for(response.status) is None:
                return response
            return RetryAgain(response.status, status_reason(response.status),
                              lambda _why: response,
                              retry_after=response.headers.get("Retry-After"))

        async def wait(decision: RetryDecision, reason: str) -> None:
            await self._wait("(auth)", request, decision, reason, None)
        return await self._retry.run(
            attempt, wait=wait,
            transport_failure=lambda exc: transport_again(exc, self.redact,
                                                         prefix="token request: "))
