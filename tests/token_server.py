"""A loopback API that counts, per credential, when each request arrived and how many of
that credential's requests were in flight then: the server's own view of per-token limits.

The credential is the ``Authorization`` header's value (``Bearer x`` -> ``x``), else
``X-Api-Key``'s, else ``-``. Every GET answers ``[{"id": <path>}]`` after ``service_seconds``;
``throttle[token] = n`` answers that token's first ``n`` requests with 429 instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["TokenServer", "most_in_any_window", "token_server"]


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

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            status, body = api.respond(self.headers, self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
