"""A loopback JSON API in a thread: every GET answered by a function (127.0.0.1 only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Respond", "json_server"]

Respond = Callable[..., "tuple[int, Any] | None"]
"""Answers a GET of a path (with its query; with ``with_headers``, and its request headers)
with ``(status, JSON body)`` (``bytes``: sent as they are), or ``None`` for no answer at all."""


@contextmanager
def json_server(respond: Respond, *, with_headers: bool = False) -> Iterator[str]:
    """A loopback HTTP server answering with ``respond``; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            answer = respond(self.path, self.headers) if with_headers else respond(self.path)
            if answer is None:
                return
            status, body = answer
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
