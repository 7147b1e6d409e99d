"""Loopback HTTP servers that misbehave on purpose (hostile-server tests).

:class:`HostileServer` speaks just enough HTTP/1.1, on raw asyncio streams in a thread of its
own, to do what a well-behaved framework would not: send headers a byte at a time, close in
the middle of a body, stream a gigabyte that never exists in memory, inflate a gzip bomb,
echo credentials. Every request is recorded with its raw request target.
"""

from __future__ import annotations

import asyncio
import re
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

__all__ = ["HostileServer", "RawRequest", "Reply", "gzip_stream", "repeated"]


@dataclass
class RawRequest:
    """One request as it arrived.

    Attributes:
        method: ``GET``, ``POST``...
        target: The request target exactly as sent (``/items/%2E%2E?x=1``).
        headers: Header names lower-cased.
        body: The request body.
    """

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The target's path (still percent-encoded)."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        """The target's query parameters."""
        return dict(parse_qsl(urlsplit(self.target).query))


class Reply:
    """Writes one raw HTTP response."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.sent = 0
        self.keep_alive = True

    async def raw(self, data: bytes, *, pause: float = 0.0) -> None:
        """Send bytes as they are (``pause``: seconds to wait afterwards)."""
        self.writer.write(data)
        await self.writer.drain()
        self.sent += len(data)
        if pause:
            await asyncio.sleep(pause)

    async def send(self, status: int, body: bytes | Iterable[bytes] | AsyncIterator[bytes] = b"",
                   headers: dict[str, str] | None = None, *, length: int | None = None) -> None:
        """A response; an iterable body is sent chunked unless ``length`` is given."""
        heads = dict(headers or {})
        if isinstance(body, bytes):
            heads.setdefault("Content-Length", str(len(body)))
            head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in heads.items())
            await self.raw((head + "\r\n").encode() + body)
            return
        if length is not None:
            heads["Content-Length"] = str(length)
        else:
            heads["Transfer-Encoding"] = "chunked"
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in heads.items())
        await self.raw((head + "\r\n").encode())
        self.keep_alive = False
        chunked = "Transfer-Encoding" in heads
        async for chunk in _aiter(body):
            await self.raw(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            await self.raw(b"0\r\n\r\n")

    async def json(self, value: Any, status: int = 200, headers: dict[str, str] | None = None
                   ) -> None:
        """A JSON response."""
        await self.send(status, orjson.dumps(value),
                        {"Content-Type": "application/json", **(headers or {})})


async def _aiter(body: Iterable[bytes] | AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if isinstance(body, AsyncIterator):
        async for chunk in body:
            yield chunk
    else:
        for chunk in body:
            yield chunk
            await asyncio.sleep(0)


Route = Callable[[RawRequest, Reply], Awaitable[None]]


@dataclass
class HostileServer:
    """A loopback server; ``routes`` map a path regex to a handler.

    Attributes:
        requests: Every request received, in order.
    """

    routes: dict[str, Route]
    requests: list[RawRequest] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", 0, limit=1 << 20))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True, name="hostile-server")
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                          ) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                reply = Reply(writer)
                await self._route(request)(request, reply)
                if not reply.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up: often what the test is about
        finally:
            writer.close()

    def _route(self, request: RawRequest) -> Route:
        for pattern, route in self.routes.items():
            if re.fullmatch(pattern, request.path):
                return route
        return _not_found


async def _not_found(request: RawRequest, reply: Reply) -> None:
    await reply.json({"error": f"no route {request.path}"}, status=404)


async def _read_request(reader: asyncio.StreamReader) -> RawRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawRequest(method, target, headers, body)


def repeated(chunk: bytes, total: int) -> Iterable[bytes]:
    """``total`` bytes made of ``chunk`` repeated (never all in memory)."""
    while total > 0:
        yield chunk[:total]
        total -= len(chunk)


def gzip_stream(parts: Iterable[bytes]) -> Iterable[bytes]:
    """gzip-compress ``parts`` on the fly (a bomb costs the server no memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    for part in parts:
        out = compressor.compress(part)
        if out:
            yield out
    yield compressor.flush()
