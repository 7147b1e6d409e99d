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
from dataclasses import dataclass
from typing import Any

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


class RequestLog:
    """Every request a sandbox received, in arrival order, plus query helpers.

    Iterable and indexable like a list; ``clear()`` forgets everything (between runs).
    """

    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def append(self, request: RecordedRequest) -> None:
        """Record one request (server side)."""
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the log as a plain list."""
        with self._lock:
            return list(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> RecordedRequest:
        return self._items[index]

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
            r for r in self.snapshot()
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
    return web.HTTPBadRequest(text=orjson.dumps({"error": {"code": 400, "message": message}}).decode(),
                              content_type="application/json")


def not_found(message: str = "not found") -> web.HTTPNotFound:
    """A 404 with a JSON error body."""
    return web.HTTPNotFound(text=orjson.dumps({"error": {"code": 404, "message": message}}).decode(),
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
