"""Fault injection of the sandboxes: status codes, resets, delays, broken bodies."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import orjson
from aiohttp import web

from restsync.sandbox._common import json_response

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
        status: int | None = None,
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
            status: Answer status: default 500 for ``kind="status"``, 200 for ``html``.
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
            path_regex=path_regex, kind=kind,
            status=status if status is not None else (200 if kind == "html" else 500), times=times,
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
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.kind == "delay":
        return None
    if fault.kind == "reset":
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=599)  # never sent: the connection is gone
    if fault.kind == "invalid_json":
        return web.Response(status=200, body=b'{"data": [{"id": "1", ', content_type="application/json")
    if fault.kind == "html":
        body = fault.body if fault.body is not None else (
            "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
            "<body><h1>We'll be right back</h1></body></html>"
        )
        return web.Response(status=fault.status,
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
