"""A loopback HTTP server that answers scripted exchanges and records every request raw.

Used by the dlt-dialect tables (``tests/e2e/test_dlt_dialect.py``), the differential oracle
(``tests/e2e/test_dlt_oracle.py``) and the hostile-id tests. It is a plain
``http.server.ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread, so clients of any kind
(restsync's aiohttp, dlt's requests) talk to it over real HTTP.

An exchange is keyed by its request line in a canonical form: ``"GET /posts?limit=2&page=1"``
(the path as sent, the query decoded and sorted, then re-encoded); its reply is a JSON body
(status 200) or a :class:`Reply`. A request no exchange expects gets a 404 whose body names
the key, so a failing test says which request was unexpected.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

__all__ = ["Recorded", "RecordingServer", "Reply", "canonical_key", "recording_server"]


@dataclass(frozen=True)
class Reply:
    """A scripted answer.

    Attributes:
        body: JSON-able body (``bytes`` are sent as they are).
        status: HTTP status.
        headers: Extra response headers (``{base}`` in a value is the server's base URL).
    """

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it.

    Attributes:
        method: Request method.
        target: The raw request target (path and query exactly as sent).
        path: The raw path part of the target.
        query: Query pairs, decoded, in the order sent.
        headers: Header names lower-cased -> value (repeated headers joined with ``, ``).
        body: Raw body.
    """

    method: str
    target: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes

    @property
    def key(self) -> str:
        """The canonical request line (see :func:`canonical_key`)."""
        return canonical_key(self.method, self.path, self.query)

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None

    def form(self) -> list[tuple[str, str]]:
        """The body parsed as an URL-encoded form."""
        return parse_qsl(self.body.decode(), keep_blank_values=True)


def canonical_key(method: str, path: str, query: Any = ()) -> str:
    """``"GET /posts?a=1&b=2"``: method, path as sent, query pairs sorted and re-encoded."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True) if isinstance(query, str)
                   else [(str(k), str(v)) for k, v in query])
    return f"{method.upper()} {path}" + (f"?{urlencode(pairs)}" if pairs else "")


def normalize_key(text: str) -> str:
    """The canonical form of a key written by hand (``"GET /p?b=2&a=1"``)."""
    method, _, target = text.partition(" ")
    parts = urlsplit(target)
    return canonical_key(method, parts.path, parts.query)


Handler = Callable[[Recorded, str], Reply | None]


class RecordingServer:
    """Serves scripted exchanges on 127.0.0.1 and records every request.

    Args:
        exchanges: Canonical request line -> reply (a :class:`Reply` or a JSON body).
        handler: Called first for every request ``(request, base_url)``; a reply it returns
            wins over ``exchanges`` (for token endpoints, computed answers).

    Attributes:
        requests: Every request received, in arrival order.
    """

    def __init__(self, exchanges: Mapping[str, Any] | None = None,
                 handler: Handler | None = None) -> None:
        self.exchanges = {normalize_key(k): v for k, v in (exchanges or {}).items()}
        self.handler = handler
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                headers: dict[str, str] = {}
                for name, value in self.headers.items():
                    low = name.lower()
                    headers[low] = f"{headers[low]}, {value}" if low in headers else value
                recorded = Recorded(self.command, self.path, parts.path,
                                    tuple(parse_qsl(parts.query, keep_blank_values=True)),
                                    headers, body)
                with server._lock:
                    server.requests.append(recorded)
                reply = server.reply_for(recorded)
                payload = reply.body if isinstance(reply.body, bytes) else \
                    json.dumps(reply.body).encode()
                self.send_response(reply.status)
                if not any(k.lower() == "content-type" for k in reply.headers):
                    self.send_header("Content-Type", "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value.replace("{base}", server.base_url))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="recording-server")

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reply_for(self, request: Recorded) -> Reply:
        """The reply to one request (handler, else exchanges, else a 404 naming it)."""
        if self.handler is not None:
            answer = self.handler(request, self.base_url)
            if answer is not None:
                return answer
        found = self.exchanges.get(request.key)
        if found is None:
            return Reply({"error": f"unexpected request {request.key}"}, status=404)
        if isinstance(found, Reply):
            return found
        return Reply(_with_base(found, self.base_url))

    def keys(self, *, skip: Callable[[Recorded], bool] | None = None) -> list[str]:
        """The canonical request lines received, sorted (``skip``: leave some out)."""
        return sorted(r.key for r in self.requests if skip is None or not skip(r))

    def find(self, key: str) -> list[Recorded]:
        """The requests received with this (hand-written) request line."""
        wanted = normalize_key(key)
        return [r for r in self.requests if r.key == wanted]

    def start(self) -> RecordingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _with_base(body: Any, base: str) -> Any:
    """``{base}`` in strings of a scripted body is the server's base URL."""
    if isinstance(body, str):
        return body.replace("{base}", base)
    if isinstance(body, dict):
        return {k: _with_base(v, base) for k, v in body.items()}
    if isinstance(body, list):
        return [_with_base(v, base) for v in body]
    return body


@contextmanager
def recording_server(exchanges: Mapping[str, Any] | None = None,
                     handler: Handler | None = None) -> Iterator[RecordingServer]:
    """Start a :class:`RecordingServer` for the ``with`` block."""
    server = RecordingServer(exchanges, handler).start()
    try:
        yield server
    finally:
        server.stop()
