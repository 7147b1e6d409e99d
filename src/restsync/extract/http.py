"""The one transport seam of the extract stage.

Everything the extract stage sends goes through a :class:`Transport`: the real
:class:`~restsync.extract.aiohttp_transport.AiohttpTransport` (one keep-alive
``aiohttp.ClientSession`` per client) or the in-memory :class:`MemoryTransport` used by unit
tests. Requests and responses are our own
small dataclasses so auth flows, paginators and the retry policy never depend on aiohttp.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from restsync.errors import LimitExceededError

__all__ = [
    "MemoryTransport",
    "Request",
    "Response",
    "Transport",
    "encode_form",
    "encode_params",
    "host_key",
    "json_response",
    "parse_link_header",
]

_SAFE_URL_CHARS = ":/?#[]@!$&'()*+,;=%~"


def _param_text(value: Any) -> str:
    """A query value as text, the way ``requests`` (and so dlt) writes it: ``str(value)``
    (``True`` stays ``True``: write ``"true"`` in the spec when the API wants that)."""
    return value if isinstance(value, str) else str(value)


def encode_params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flatten query parameters: list values repeat the key, ``None`` values are left out.

    Args:
        params: Parameter name -> scalar or list of scalars.

    Returns:
        ``(name, text)`` pairs in order.
    """
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((name, _param_text(v)) for v in value if v is not None)
        else:
            pairs.append((name, _param_text(value)))
    return pairs


def encode_form(data: Any) -> tuple[bytes, str | None]:
    """A form body as ``requests`` sends it: ``(body, content type)``.

    A mapping or ``[name, value]`` pairs is URL-encoded (list values repeat the name, ``None``
    values are left out, other values are ``str()``-ed); a string is sent as UTF-8 with no
    content type; bytes as they are.
    """
    if isinstance(data, bytes):
        return data, None
    if isinstance(data, str):
        return data.encode(), None
    items = data.items() if isinstance(data, Mapping) else data
    pairs: list[tuple[str, str]] = []
    for name, value in items:
        for v in value if isinstance(value, list | tuple) else [value]:
            if v is not None:
                pairs.append((str(name), v if isinstance(v, str) else str(v)))
    return urlencode(pairs).encode(), "application/x-www-form-urlencoded"


def host_key(url: str) -> str:
    """``host:port`` of a URL (default ports made explicit, host lower-cased)."""
    scheme, sep, rest = url.partition("://")
    if sep:  # absolute: only scheme and host:port matter, and they repeat (cached)
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
        return _host_key(f"{scheme}://{authority}")
    return _host_key(url)


@lru_cache(maxsize=256)
def _host_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    return f"{host}:{port}"


@dataclass(repr=False)
class Request:
    """An HTTP request as the extract stage builds it.

    Attributes:
        method: ``GET`` or ``POST`` (upper case).
        url: Absolute URL; may already carry a query string (a next-page URL).
        params: Extra query parameters appended to ``url`` (lists repeat the key).
        headers: Request headers.
        json: JSON body, or ``None``.
        data: Form body: a mapping or ``[name, value]`` pairs (sent
            ``application/x-www-form-urlencoded``) or a string (sent as is), or ``None``.
        secret_headers: Headers holding secrets (from the spec's endpoint headers); the
            client adds them only to requests for the API's own host.
        auth: The auth flow that signs this request (``None``: the client's; see
            :class:`~restsync.extract.request_building.AuthFlows`).
    """

    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: Any = None
    secret_headers: dict[str, str] = field(default_factory=dict)
    auth: Any = None

    def full_url(self) -> str:
        """The URL actually requested: ``url`` plus encoded ``params``, properly quoted."""
        url = quote(self.url, safe=_SAFE_URL_CHARS)
        pairs = encode_params(self.params)
        if not pairs:
            return url
        scheme, netloc, path, query, fragment = urlsplit(url)
        extra = urlencode(pairs, quote_via=quote)
        query = f"{query}&{extra}" if query else extra
        return urlunsplit((scheme, netloc, path, query, fragment))

    def __repr__(self) -> str:
        # never show header/param/body values: they may hold credentials
        return (f"Request({self.method} {self.url.split('?')[0]}, params={sorted(self.params)}, "
                f"headers={sorted(self.headers)})")

    def copy(self) -> Request:
        """A copy whose params, headers and form data can be changed independently."""
        return Request(
            method=self.method,
            url=self.url,
            params=dict(self.params),
            headers=dict(self.headers),
            json=self.json,
            data=copy.copy(self.data),
            secret_headers=dict(self.secret_headers),
            auth=self.auth,
        )


_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_PARAM_RE = re.compile(r";\s*([\w*-]+)\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*))")


def parse_link_header(values: Iterable[str], base_url: str) -> dict[str, str]:
    """Parse RFC 8288 ``Link`` header values into ``{rel: absolute url}``.

    A link with several space-separated relation types is listed under each; the first
    link of a relation wins. Relative targets are resolved against ``base_url``.
    """
    links: dict[str, str] = {}
    for value in values:
        for match in _LINK_RE.finditer(value):
            target, params = match.group(1).strip(), match.group(2)
            for pmatch in _PARAM_RE.finditer(params):
                if pmatch.group(1).lower() != "rel":
                    continue
                rels = pmatch.group(2) if pmatch.group(2) is not None else pmatch.group(3)
                for rel in rels.split():
                    links.setdefault(rel.lower(), urljoin(base_url, target))
    return links


@dataclass
class Response:
    """An HTTP response, body fully read.

    Attributes:
        status: HTTP status code.
        headers: Case-insensitive headers (repeated headers kept).
        url: The URL that was requested.
        body: Raw body bytes (decoded from any content encoding); a ``bytearray`` when read
            from the network, so a large body is never copied.
    """

    status: int
    headers: CIMultiDictProxy[str]
    url: str
    body: bytes | bytearray = b""
    _json: Any = field(default=None, init=False, repr=False)
    _json_parsed: bool = field(default=False, init=False, repr=False)
    _links: dict[str, str] | None = field(default=None, init=False, repr=False)

    def json(self) -> Any:
        """The body parsed with orjson (cached).

        Raises:
            orjson.JSONDecodeError: The body is not JSON (a ``ValueError``).
        """
        if not self._json_parsed:
            self._json = orjson.loads(self.body)
            self._json_parsed = True
        return self._json

    @property
    def links(self) -> dict[str, str]:
        """The ``Link`` header parsed as ``{rel: absolute url}``."""
        if self._links is None:
            self._links = parse_link_header(self.headers.getall("Link", []), self.url)
        return self._links

    @property
    def content_type(self) -> str:
        """The media type of the body, lower case, without parameters."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def text_excerpt(self, limit: int = 200) -> str:
        """The first ``limit`` characters of the body as text (for error messages)."""
        text = self.body[: limit * 4].decode("utf-8", errors="replace")
        text = " ".join(text.split())
        return text if len(text) <= limit else text[:limit] + "..."


def make_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> CIMultiDictProxy[str]:
    """Build an immutable case-insensitive header mapping."""
    items = headers.items() if isinstance(headers, Mapping) else (headers or [])
    return CIMultiDictProxy(CIMultiDict(items))


def json_response(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None,
                  url: str = "") -> Response:
    """A JSON :class:`Response` (for tests and in-memory transports)."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return Response(status=status, headers=make_headers(all_headers), url=url,
                    body=orjson.dumps(body))


class Transport(Protocol):
    """Sends one request and returns the fully read response.

    Transport failures (connection refused/reset, timeouts, DNS) raise
    :class:`~restsync.errors.RetriableError` with ``status=None``. A body longer than
    ``max_bytes`` (counted after decompression) raises
    :class:`~restsync.errors.LimitExceededError` as soon as it is known, before the rest is
    read.
    """

    async def send(self, request: Request, *, max_bytes: int | None = None) -> Response: ...

    async def close(self) -> None: ...


def body_too_large(max_bytes: int, *, declared: int | None = None) -> LimitExceededError:
    """The error of a body beyond ``max_bytes`` (its ``setting`` is completed by the client)."""
    seen = f"declares {declared:,} bytes" if declared is not None else "goes on"
    return LimitExceededError(
        f"response body {seen}, more than the {max_bytes:,} bytes allowed (counted after "
        "decompression); the rest was not read", setting="max_response_bytes")


Handler = Callable[[Request], "Response | Awaitable[Response]"]


class MemoryTransport:
    """An in-memory transport for unit tests: ``handler(request) -> Response``.

    The handler may be sync or async and may raise ``RetriableError`` to simulate a transport
    failure. Every request sent is recorded in :attr:`requests` (a copy).

    Args:
        handler: Function answering each request.
    """

    def __init__(self, handler: Handler):
        self._handler = handler
        self.requests: list[Request] = []
        self.closed = False

    async def send(self, request: Request, *, max_bytes: int | None = None) -> Response:
        """Record ``request`` and return the handler's response (refused past ``max_bytes``)."""
        self.requests.append(request.copy())
        result = self._handler(request)
        if inspect.isawaitable(result):
            result = await result
        assert isinstance(result, Response)
        if max_bytes is not None and len(result.body) > max_bytes:
            raise body_too_large(max_bytes)
        if not result.url:
            result.url = request.full_url()
        return result

    async def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True
