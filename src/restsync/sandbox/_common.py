"""Shared helpers of the sandbox servers: request log, fault injection, tokens, JSON, paging.

Everything here is used from two threads: the servers run on an asyncio loop (possibly in a
background thread, see :mod:`restsync.sandbox._group`) while tests read the request log and
add faults from the test thread. Mutable shared state is guarded by locks.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets as _secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from aiohttp import web

# --------------------------------------------------------------------------- request log


@dataclass
class RecordedRequest:
    """One request a sandbox received.

    Attributes:
        server: ``"api"`` or ``"token"`` (the separate token host, when the API has one).
        method: HTTP method.
        path: URL path as received (not normalized).
        query: Query parameters (last value wins when repeated).
        query_string: The raw query string.
        headers: Request headers (names as sent).
        form: Parsed form body of token-endpoint calls, else ``None``.
        url: The full URL as the server saw it.
        at: ``time.monotonic()`` when the request arrived.
        status: Response status (0 while in flight or when the connection was reset).
    """

    server: str
    method: str
    path: str
    query: dict[str, str]
    query_string: str
    headers: dict[str, str]
    form: dict[str, str] | None
    url: str
    at: float
    status: int = 0


class RequestLog(list[RecordedRequest]):
    """Every request a sandbox received, in arrival order, plus query helpers."""

    def matching(
        self,
        path_prefix: str | None = None,
        *,
        path_regex: str | None = None,
        method: str | None = None,
        status: int | None = None,
        server: str | None = None,
    ) -> list[RecordedRequest]:
        """Requests that match every given filter.

        Args:
            path_prefix: Keep requests whose path starts with this.
            path_regex: Keep requests whose path matches this (``re.search``).
            method: Keep this HTTP method only.
            status: Keep requests answered with this status.
            server: ``"api"`` or ``"token"``.

        Returns:
            The matching requests in arrival order.
        """
        pattern = re.compile(path_regex) if path_regex else None
        return [
            r for r in list(self)
            if (path_prefix is None or r.path.startswith(path_prefix))
            and (pattern is None or pattern.search(r.path))
            and (method is None or r.method == method.upper())
            and (status is None or r.status == status)
            and (server is None or r.server == server)
        ]

    def count(self, path_prefix: str | None = None, **filters: Any) -> int:
        """Number of requests matching the filters of :meth:`matching`."""
        return len(self.matching(path_prefix, **filters))

    def duplicates(self, path_prefix: str | None = None, **filters: Any) -> dict[str, int]:
        """Request targets (path + query) asked for more than once, with their counts.

        Answers "was every page requested exactly once" (retries of faulted requests show up
        here too, so filter on ``status=200`` to ignore them).
        """
        seen: dict[str, int] = {}
        for r in self.matching(path_prefix, **filters):
            key = r.path + ("?" + r.query_string if r.query_string else "")
            seen[key] = seen.get(key, 0) + 1
        return {k: n for k, n in seen.items() if n > 1}

    def authorization_headers(self, server: str = "api") -> set[str]:
        """The distinct ``Authorization`` header values sent to ``server``."""
        return {r.headers.get("Authorization", "") for r in self.matching(server=server)}


# --------------------------------------------------------------------------- faults

FaultKind = Literal["status", "reset", "delay", "invalid_json", "html", "truncated"]
FAULT_KINDS: tuple[str, ...] = ("status", "reset", "delay", "invalid_json", "html", "truncated")


@dataclass
class Fault:
    """One configured fault; see :meth:`FaultInjector.add`.

    Attributes:
        fired: How many times it fired so far.
    """

    path_regex: str
    kind: FaultKind
    status: int
    times: int | None
    retry_after: str | None
    body: str | bytes | None
    delay: float
    method: str | None
    query: dict[str, str] | None
    headers: dict[str, str] = field(default_factory=dict)
    fired: int = 0

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        """Whether this fault applies to a request (ignores the remaining count)."""
        if self.method and self.method.upper() != method:
            return False
        if not re.search(self.path_regex, path):
            return False
        return all(query.get(k) == v for k, v in (self.query or {}).items())

    @property
    def exhausted(self) -> bool:
        """True once the fault fired ``times`` times."""
        return self.times is not None and self.fired >= self.times


class FaultInjector:
    """Faults a sandbox applies to matching requests, before authentication and handlers."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        path_regex: str,
        status: int = 500,
        *,
        times: int | None = 1,
        retry_after: str | None = None,
        body: str | bytes | None = None,
        kind: FaultKind = "status",
        delay: float = 0.0,
        method: str | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Add a fault; the first matching, not exhausted fault fires per request.

        Args:
            path_regex: ``re.search`` pattern on the request path (e.g. ``r"/drafts$"``).
            status: Status for ``kind="status"`` (also used for ``html``, default 200 there
                only when given explicitly).
            times: How many requests it hits; ``None`` = every matching request.
            retry_after: ``Retry-After`` header value (``"0"``, seconds or an HTTP date).
            body: Response body for ``status``/``html``; a JSON error body by default.
            kind: ``status`` (answer ``status``), ``reset`` (close the connection without an
                answer), ``delay`` (sleep ``delay`` seconds, then answer normally),
                ``invalid_json`` (200 with a broken JSON body), ``html`` (200 HTML page),
                ``truncated`` (announce a longer body than sent, then close).
            delay: Seconds to wait for ``kind="delay"`` (other kinds wait too when set).
            method: Only this HTTP method.
            query: Only requests whose query has these exact values.
            headers: Extra response headers for ``status``/``html``.

        Returns:
            The fault (its ``fired`` counter shows how often it hit).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        re.compile(path_regex)
        fault = Fault(
            path_regex=path_regex, kind=kind, status=status, times=times,
            retry_after=retry_after, body=body, delay=delay, method=method,
            query=dict(query) if query else None, headers=dict(headers or {}),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str, query: Mapping[str, str]) -> Fault | None:
        """Find the fault for a request and count it as fired (server side)."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(method, path, query):
                    fault.fired += 1
                    return fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


async def apply_fault(request: web.Request, fault: Fault) -> web.StreamResponse | None:
    """Carry out a fault; ``None`` means "go on and answer normally" (``delay``)."""
    import asyncio

    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.kind == "delay":
        return None
    if fault.kind == "reset":
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("sandbox fault: connection reset")
    if fault.kind == "invalid_json":
        return web.Response(status=200, body=b'{"data": [{"id": "1", ', content_type="application/json")
    if fault.kind == "html":
        body = fault.body if fault.body is not None else (
            "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
            "<body><h1>We'll be right back</h1></body></html>"
        )
        return web.Response(status=fault.status if fault.status != 500 else 200,
                            body=body, content_type="text/html", headers=fault.headers)
    if fault.kind == "truncated":
        full = orjson.dumps({"data": [{"id": str(i), "pad": "x" * 64} for i in range(50)]})
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.content_length = len(full)
        await response.prepare(request)
        await response.write(full[: len(full) // 2])
        if request.transport is not None:
            request.transport.close()
        return response
    headers = dict(fault.headers)
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    if fault.body is None:
        return json_response({"error": {"code": fault.status, "message": "sandbox fault"}},
                             status=fault.status, headers=headers)
    return web.Response(status=fault.status, body=fault.body, headers=headers)


# --------------------------------------------------------------------------- tokens


class TokenIssuer:
    """Issues opaque access tokens and decides whether one is (still) valid.

    Args:
        prefix: Readable token prefix (``"sbx-email-at"``).
        ttl: Seconds a token lives server side (``None``: until invalidated).
        max_uses: API calls a token is good for (``None``: unlimited).
    """

    def __init__(self, prefix: str, *, ttl: float | None = 3600.0, max_uses: int | None = None):
        self.prefix = prefix
        self.ttl = ttl
        self.max_uses = max_uses
        self.issued = 0
        self._tokens: dict[str, tuple[float, int]] = {}  # token -> (issued_at, uses)
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new access token (older tokens stay valid until they expire)."""
        with self._lock:
            self.issued += 1
            token = f"{self.prefix}-{self.issued}-{_secrets.token_hex(8)}"
            self._tokens[token] = (time.monotonic(), 0)
            return token

    def use(self, token: str) -> bool:
        """Count one API call with ``token``; False when unknown, expired or used up."""
        with self._lock:
            state = self._tokens.get(token)
            if state is None:
                return False
            issued_at, uses = state
            if self.ttl is not None and time.monotonic() - issued_at > self.ttl:
                return False
            if self.max_uses is not None and uses >= self.max_uses:
                return False
            self._tokens[token] = (issued_at, uses + 1)
            return True

    def invalidate_all(self) -> None:
        """Make every token issued so far invalid (the next API call gets a 401)."""
        with self._lock:
            self._tokens.clear()

    @property
    def current(self) -> str | None:
        """The most recently issued token that is still known, if any."""
        with self._lock:
            return next(reversed(self._tokens), None) if self._tokens else None


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, else ``None``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """``(user, password)`` of an ``Authorization: Basic ...`` header, else ``None``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


# --------------------------------------------------------------------------- JSON & paging


def json_response(
    payload: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response serialized with orjson."""
    return web.Response(status=status, body=orjson.dumps(payload),
                        content_type="application/json", headers=headers)


def encode_cursor(kind: str, position: int) -> str:
    """An opaque page token that encodes ``kind`` and a position."""
    raw = f"{kind}|{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, kind: str) -> int | None:
    """The position of a token made by :func:`encode_cursor`; ``None`` if it is not valid."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    got_kind, _, position = raw.partition("|")
    if got_kind != kind or not position.isdigit():
        return None
    return int(position)


def int_param(
    request: web.Request, name: str, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """Read an integer query parameter, clamped to ``maximum``.

    Raises:
        web.HTTPBadRequest: When the value is not an integer or is below ``minimum``.
    """
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"parameter {name!r} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise bad_request(f"parameter {name!r} must be >= {minimum}, got {value}")
    return min(value, maximum) if maximum is not None else value


def bad_request(message: str) -> web.HTTPBadRequest:
    """A 400 with a JSON error body."""
    return web.HTTPBadRequest(body=orjson.dumps({"error": {"code": 400, "message": message}}),
                              content_type="application/json")


def not_found(message: str = "not found") -> web.HTTPNotFound:
    """A 404 with a JSON error body."""
    return web.HTTPNotFound(body=orjson.dumps({"error": {"code": 404, "message": message}}),
                            content_type="application/json")


def nested_list_counts(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, ...], int]:
    """Count the elements of every nested list, keyed by the key path from the record root.

    A list of dicts inside a list of dicts counts under the concatenated path (``("payload",
    "headers")``, ``("messages", "labelIds")``). This is what child tables hold (one row per
    element), independent of how table and column names are normalized.
    """
    counts: dict[tuple[str, ...], int] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, Mapping):
            for key, child in value.items():
                walk_child(child, (*path, str(key)))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    walk(item, path)

    def walk_child(child: Any, path: tuple[str, ...]) -> None:
        if isinstance(child, list):
            counts[path] = counts.get(path, 0) + len(child)
            walk(child, path)
        elif isinstance(child, Mapping):
            walk(child, path)

    for record in records:
        walk(record, ())
    return counts
