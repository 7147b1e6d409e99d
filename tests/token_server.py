"""A loopback API that counts, per credential, when each request arrived and how many of
that credential's requests were in flight then: the server's own view of per-token limits.

The credential is the ``Authorization`` header's value (``Bearer x`` -> ``x``), else
``X-Api-Key``'s, else ``-``. Every GET answers ``[{"id": <path>}]`` after ``service_seconds``;
``throttle[token] = n`` answers that token's first ``n`` requests with 429 instead.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from restsync.spec import ValueResolver, load_spec
from restsync.spec.model import SourceConfig
from tests.json_server import json_server

__all__ = ["TokenServer", "most_in_any_window", "tenant_source", "token_server"]


@dataclass
class TokenServer:
    """What the server saw; ``url`` is its base URL."""

    service_seconds: float = 0.05
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrivals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    most_in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total_in_flight: int = 0
    most_total_in_flight: int = 0
    throttle: dict[str, int] = field(default_factory=dict)
    throttled: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def respond(self, headers: Any, path: str) -> tuple[int, Any]:
        auth = headers.get("Authorization") or ""
        token = auth.partition(" ")[2] or auth or headers.get("X-Api-Key") or "-"
        with self.lock:
            self.arrivals[token].append(time.monotonic())
            self.in_flight[token] += 1
            self.total_in_flight += 1
            self.most_in_flight[token] = max(self.most_in_flight[token], self.in_flight[token])
            self.most_total_in_flight = max(self.most_total_in_flight, self.total_in_flight)
            refuse = self.throttle.get(token, 0) > self.throttled[token]
            if refuse:
                self.throttled[token] += 1
        time.sleep(self.service_seconds)
        with self.lock:
            self.in_flight[token] -= 1
            self.total_in_flight -= 1
        if refuse:
            return 429, {"error": "too many requests for this token"}
        return 200, [{"id": path}]


def most_in_any_window(times: list[float], window: float) -> int:
    """The most arrivals within any ``window`` seconds (a window starting at an arrival)."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


@contextmanager
def token_server(service_seconds: float = 0.05) -> Iterator[TokenServer]:
    """Serve a :class:`TokenServer` on 127.0.0.1 for the block."""
    api = TokenServer(service_seconds=service_seconds)
    with json_server(lambda path, headers: api.respond(headers, path), with_headers=True) as url:
        api.url = url
        yield api


def tenant_source(url: str, tokens: Mapping[str, str], parts: list[str],
                  **client: Any) -> SourceConfig:
    """A source with one resource per tenant, each with its own bearer token (a secret) and
    one single-page request per fan-out value of ``part``."""
    return load_spec({
        "client": {"base_url": url, "paginator": "single_page", **client},
        "resources": [{"name": name, "endpoint": {
            "path": f"{name}/{{part}}", "data_selector": "$",
            "auth": {"type": "bearer", "token": f"${{secrets.{name}_token}}"}}}
            for name in tokens],
    }, params={"part": parts}, name="tenants",
        values=ValueResolver.from_values(secrets={f"{n}_token": t for n, t in tokens.items()}))
