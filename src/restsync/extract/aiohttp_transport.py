"""The real transport of the extract stage: one keep-alive ``aiohttp.ClientSession``.

It implements :class:`~restsync.extract.http.Transport`, the one seam every request goes
through; requests and responses stay the stage's own dataclasses.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from restsync.errors import RetriableError
from restsync.extract.http import Request, Response, body_too_large, encode_form

__all__ = ["AiohttpTransport"]


def _safe_exception_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    text = re.sub(r"\?[^\s'\"]*", "?...", text)  # drop query strings (may hold secrets)
    text = re.sub(r"//[^/@\s]*@", "//", text)  # drop userinfo
    return f"{type(exc).__name__}: {text}"[:300]


class AiohttpTransport:
    """The real transport: one keep-alive ``aiohttp.ClientSession``.

    Redirects are not followed here; :class:`~restsync.extract.client.ApiClient` follows them
    itself so credential scoping applies to every hop.

    Args:
        timeout: Total seconds per request.
        verify_tls: Verify TLS certificates.
        limit_per_host: Connection pool size per host.
    """

    def __init__(self, *, timeout: float = 60.0, verify_tls: bool = True,
                 limit_per_host: int = 8):
        self._timeout = timeout
        self._verify_tls = verify_tls
        self._limit_per_host = limit_per_host
        self._session: Any = None

    def _ensure_session(self) -> Any:
        if self._session is None:
            import aiohttp
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self._limit_per_host,
                ssl=self._verify_tls,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
                headers={"User-Agent": "restsync/0.1"},
            )
        return self._session

    async def send(self, request: Request, *, max_bytes: int | None = None) -> Response:
        """Send ``request``; transport failures become ``RetriableError(status=None)``.

        The body is read as it streams in (decompressed chunk by chunk by aiohttp, which
        bounds each chunk it inflates), and reading stops once it passes ``max_bytes``.

        Raises:
            RetriableError: Connection refused/reset, timeout, DNS, truncated body.
            LimitExceededError: The body is longer than ``max_bytes``.
        """
        import aiohttp
        from yarl import URL

        session = self._ensure_session()
        kwargs: dict[str, Any] = {"headers": request.headers, "allow_redirects": False}
        if request.json is not None:
            kwargs["data"] = orjson.dumps(request.json)
            kwargs["headers"] = {"Content-Type": "application/json", **request.headers}
        elif request.data is not None:
            body, content_type = encode_form(request.data)
            kwargs["data"] = body
            if content_type is not None:
                kwargs["headers"] = {"Content-Type": content_type, **request.headers}
            elif not any(k.lower() == "content-type" for k in request.headers):
                kwargs["skip_auto_headers"] = ("Content-Type",)
        url = request.full_url()
        try:
            async with session.request(request.method, URL(url, encoded=True), **kwargs) as resp:
                content = await _read_body(resp, max_bytes)
                return Response(status=resp.status, headers=resp.headers, url=url, body=content)
        except TimeoutError as exc:
            raise RetriableError(f"timeout after {self._timeout:g} s", status=None) from exc
        except aiohttp.ClientPayloadError as exc:
            raise RetriableError("truncated body: the connection closed before the whole "
                                 f"response arrived ({_safe_exception_text(exc)})",
                                 status=None) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise RetriableError(f"transport error ({_safe_exception_text(exc)})",
                                 status=None) from exc

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


_READ_CHUNK = 1 << 16


async def _read_body(resp: Any, max_bytes: int | None) -> bytes | bytearray:
    """The whole (decoded) body of an aiohttp response, refused past ``max_bytes``."""
    if max_bytes is None:
        return bytes(await resp.read())
    declared = resp.content_length
    if declared is not None and declared > max_bytes and not resp.headers.get("Content-Encoding"):
        raise body_too_large(max_bytes, declared=declared)
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_READ_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise body_too_large(max_bytes)
    return body  # a bytearray: no second copy of a large body (orjson reads it as is)
