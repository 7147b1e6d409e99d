"""The ``limits`` block in the extract stage: response size, retry wait, pages, parser depth.

Response-size tests talk HTTP to a loopback aiohttp server (streamed, chunked, gzip); the
others use the in-memory transport and the recording sleeper (nothing is slept).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from aiohttp import web

from restsync.errors import LimitExceededError, PageLimitError, WaitTooLongError
from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper, Request
from restsync.extract.http import Response, make_headers
from restsync.spec.limits import DEFAULT_LIMITS, LimitsConfig, effective_limits, parse_size

from .conftest import EventLog, client_config, endpoint, reply

# --------------------------------------------------------------------------- the model


def test_effective_limits_resource_wins_then_client_then_default() -> None:
    client = LimitsConfig(max_pages=50, max_response_bytes="1MiB")
    resource = LimitsConfig(max_pages=5)
    limits = effective_limits(client, resource, resource_name="events")
    assert (limits.max_pages, limits.max_response_bytes) == (5, 1024**2)
    assert limits.max_columns == DEFAULT_LIMITS.max_columns
    assert limits.setting("max_pages") == "resources[events].limits.max_pages=5"
    assert limits.setting("max_response_bytes") == "client.limits.max_response_bytes=1048576"
    assert limits.setting("max_columns") == "client.limits.max_columns=1000"  # where to set it
    assert effective_limits(LimitsConfig(max_retry_wait="PT2M")).max_retry_wait == 120.0


def test_limits_from_a_spec_defaults_and_set() -> None:
    from restsync.spec import load_spec
    spec = {"client": {"base_url": "https://api.test/", "limits": {"max_retry_wait": "PT1H"}},
            "resource_defaults": {"limits": {"max_pages": 7}},
            "resources": [{"name": "a", "limits": {"max_pages": 2}}, "b"]}
    source = load_spec(spec, overrides=["resources.b.limits.max_columns=50",
                                        "client.limits.max_response_bytes=1MB"])
    a, b = (effective_limits(source.client.limits, r.limits, resource_name=r.name)
            for r in source.resources)
    assert (a.max_pages, b.max_pages, b.max_columns) == (2, 7, 50)
    assert a.setting("max_pages") == "resources[a].limits.max_pages=2"
    assert b.setting("max_pages") == "resources[b].limits.max_pages=7"  # from resource_defaults
    assert a.setting("max_retry_wait") == "client.limits.max_retry_wait=3600"
    assert a.max_response_bytes == 1_000_000


def test_bad_limits_are_located_spec_errors() -> None:
    from restsync.errors import SpecError
    from restsync.spec import load_spec
    spec = {"client": {"base_url": "https://api.test/",
                       "limits": {"max_colums": 5, "max_nesting_depth": 5000}},
            "resources": [{"name": "a", "limits": {"max_response_bytes": "lots"}}]}
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    text = str(caught.value)
    assert "client.limits.max_colums: unknown key 'max_colums' (did you mean 'max_columns'?" \
        in text
    assert "client.limits.max_nesting_depth" in text and "1024" in text
    assert "resources[a].limits.max_response_bytes" in text and "'lots' is not a size" in text


@pytest.mark.parametrize(("text", "size"), [
    (1024, 1024), ("256MB", 256_000_000), ("256 MiB", 256 * 1024**2), ("1.5kb", 1500),
    ("2GiB", 2 * 1024**3), (4096.0, 4096)])
def test_sizes(text: Any, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-5", 0, True, "12 parsecs", 1.5])
def test_bad_sizes(text: Any) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


# --------------------------------------------------------------------------- response size

BIG = 200_000_000  # bytes the server offers (streamed, never held in memory)
LIMIT = 1_000_000
CHUNK = 65536


def json_of_size(size: int) -> bytes:
    head, tail = b'{"data": [{"id": 1}], "pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def big_json_chunks(size: int) -> Iterator[bytes]:
    """A JSON document of ``size`` bytes in 64 KiB chunks."""
    head, tail = b'{"data": [{"id": 1}], "pad": "', b'"}'
    yield head
    left = size - len(head) - len(tail)
    pad = b"x" * CHUNK
    while left > 0:
        yield pad[:left]
        left -= CHUNK
    yield tail


class SizeServer:
    """Serves bodies larger than the limit in every form a server can send them, and counts
    what it managed to send before the client hung up."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/declared", self.declared)
        app.router.add_get("/chunked", self.chunked)
        app.router.add_get("/gzip-bomb", self.gzip_bomb)
        app.router.add_get("/gzip-small", self.gzip_small)
        return app

    async def _stream(self, request: web.Request, name: str, chunks: Iterable[bytes],
                      headers: dict[str, str]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json", **headers})
        await response.prepare(request)
        self.sent[name] = 0
        try:
            for chunk in chunks:
                await response.write(chunk)
                self.sent[name] += len(chunk)
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading: what we wanted
        return response

    async def declared(self, request: web.Request) -> web.StreamResponse:
        return await self._stream(request, "declared", big_json_chunks(BIG),
                                  {"Content-Length": str(BIG)})

    async def chunked(self, request: web.Request) -> web.StreamResponse:
        return await self._stream(request, "chunked", big_json_chunks(BIG), {})

    async def gzip_bomb(self, request: web.Request) -> web.StreamResponse:
        raw = json_of_size(50_000_000)  # 50 MB of JSON that gzips to ~50 KB
        return await self._stream(request, "gzip-bomb", [gzip.compress(raw, 9)],
                                  {"Content-Encoding": "gzip"})

    async def gzip_small(self, request: web.Request) -> web.StreamResponse:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        body = compressor.compress(json_of_size(LIMIT // 2)) + compressor.flush()
        return await self._stream(request, "gzip-small", [body], {"Content-Encoding": "gzip"})


@pytest.fixture
async def size_server() -> AsyncIterator[SizeServer]:
    server = SizeServer()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.base = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


async def fetch(server: SizeServer, path: str, **limits: Any) -> list[Any]:
    config = client_config(base_url=server.base, limits={"max_response_bytes": LIMIT, **limits})
    async with ApiClient(config, sleeper=RecordingSleeper()) as client:
        return [p async for p in client.pages(resource="big", endpoint=endpoint(
            path=path, data_selector="data"), paginator=None)]


@pytest.mark.parametrize("path", ["/declared", "/chunked", "/gzip-bomb"])
async def test_bodies_past_the_limit_are_refused_while_streaming(size_server: SizeServer,
                                                                 path: str) -> None:
    with pytest.raises(LimitExceededError) as caught:
        await fetch(size_server, path)
    error = caught.value
    assert str(error).startswith(f"resource 'big', page 1, GET {size_server.base}{path}: ")
    assert f"more than the {LIMIT:,} bytes allowed" in error.message
    assert error.setting == f"client.limits.max_response_bytes={LIMIT}"
    assert error.setting in str(error)
    if path != "/gzip-bomb":  # the client hung up long before the 200 MB were sent
        assert size_server.sent[path.strip("/")] < BIG // 4
    if path == "/declared":
        assert "declares 200,000,000 bytes" in error.message  # refused from the header
    else:
        assert "declares" not in error.message  # found while inflating, not from a header


async def test_a_compressed_body_under_the_limit_is_read(size_server: SizeServer) -> None:
    [page] = await fetch(size_server, "/gzip-small")
    assert page.records == [{"id": 1}]


async def test_resource_limit_names_the_resource_setting() -> None:
    config = client_config(limits={"max_response_bytes": 10_000})
    client = ApiClient(config, transport=MemoryTransport(lambda r: reply({"x": "y" * 500})),
                       sleeper=RecordingSleeper())
    own = effective_limits(config.limits, LimitsConfig(max_response_bytes=100),
                           resource_name="small")
    async with client:
        with pytest.raises(LimitExceededError, match=r"resources\[small\]"
                                                     r"\.limits\.max_response_bytes=100"):
            _ = [p async for p in client.pages(resource="small", endpoint=endpoint(path="/x"),
                                               paginator=None, limits=own)]


# --------------------------------------------------------------------------- retry wait


async def test_a_huge_retry_after_stops_instead_of_sleeping_by_default() -> None:
    sleeper = RecordingSleeper()
    handler = MemoryTransport(lambda r: reply({}, status=429, **{"Retry-After": "999999999"}))
    async with ApiClient(client_config(), transport=handler, sleeper=sleeper) as client:
        with pytest.raises(WaitTooLongError) as caught:
            _ = [p async for p in client.pages(resource="items", endpoint=endpoint(path="/i"),
                                               paginator=None)]
    error = caught.value
    assert sleeper.waits == []
    assert error.wait_seconds == 999999999 and error.max_wait == DEFAULT_LIMITS.max_retry_wait
    assert error.setting == "client.limits.max_retry_wait=7200"
    assert str(error).startswith("resource 'items', page 1, GET https://api.test/v1/i: 429")
    assert error.resume_state is not None and error.resume_state["page"] == 1


async def test_waits_up_to_the_limit_are_slept_and_max_wait_option_is_named() -> None:
    sleeper = RecordingSleeper()
    answers = [reply({}, status=503, **{"Retry-After": "7200"}), reply({"data": [{"id": 1}]})]
    transport = MemoryTransport(lambda r: answers.pop(0))
    async with ApiClient(client_config(), transport=transport, sleeper=sleeper) as client:
        pages = [p async for p in client.pages(resource="items", endpoint=endpoint(
            path="/i", data_selector="data"), paginator=None)]
    assert sleeper.waits == [7200.0] and pages[0].records == [{"id": 1}]
    transport = MemoryTransport(lambda r: reply({}, status=503, **{"Retry-After": "120"}))
    async with ApiClient(client_config(), transport=transport, sleeper=RecordingSleeper(),
                         max_wait=60) as client:
        with pytest.raises(WaitTooLongError, match=r"more than the 60 s allowed "
                                                   r"\(max_wait=60, --max-wait\)"):
            _ = [p async for p in client.pages(resource="items", endpoint=endpoint(path="/i"),
                                               paginator=None)]


# --------------------------------------------------------------------------- pages


def endless(request: Request) -> Response:
    """A cursor feed that never ends: every page links to the next."""
    n = int(request.params.get("cursor", 0))
    return reply({"data": [{"id": n}], "next": str(n + 1)})


CURSOR = {"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"}


async def test_max_pages_stops_an_endless_feed_with_a_resume_state() -> None:
    ep = endpoint(path="/feed", data_selector="data", paginator=CURSOR)
    config = client_config(limits={"max_pages": 5})
    async with ApiClient(config, transport=MemoryTransport(endless),
                         sleeper=RecordingSleeper()) as client:
        got: list[Any] = []
        with pytest.raises(PageLimitError) as caught:
            async for page in client.pages(resource="feed", endpoint=ep, paginator=ep.paginator):
                got.append(page)
        error = caught.value
        assert [p.number for p in got] == [1, 2, 3, 4, 5]
        assert error.pages == 5 and error.setting == "client.limits.max_pages=5"
        assert "page 5" in str(error) and "next run resumes at page 6" in str(error)
        assert error.resume_state == got[-1].resume_state
        more: list[Any] = []
        with pytest.raises(PageLimitError):
            async for page in client.pages(resource="feed", endpoint=ep, paginator=ep.paginator,
                                           resume_from=error.resume_state):
                more.append(page)
    assert [p.number for p in more] == [6, 7, 8, 9, 10]
    assert [r["id"] for p in more for r in p.records] == [5, 6, 7, 8, 9]


async def test_a_feed_that_ends_at_the_limit_is_complete() -> None:
    def three(request: Request) -> Response:
        n = int(request.params.get("cursor", 0))
        return reply({"data": [{"id": n}], "next": str(n + 1) if n < 2 else None})
    ep = endpoint(path="/feed", data_selector="data", paginator=CURSOR)
    async with ApiClient(client_config(limits={"max_pages": 3}), transport=MemoryTransport(three),
                         sleeper=RecordingSleeper()) as client:
        pages = [p async for p in client.pages(resource="feed", endpoint=ep,
                                               paginator=ep.paginator)]
    assert [p.number for p in pages] == [1, 2, 3]


async def test_stop_condition_sees_the_page_number() -> None:
    paginator = {**CURSOR, "stop_condition": "page >= 3"}
    ep = endpoint(path="/feed", data_selector="data", paginator=paginator)
    async with ApiClient(client_config(), transport=MemoryTransport(endless),
                         sleeper=RecordingSleeper()) as client:
        pages = [p async for p in client.pages(resource="feed", endpoint=ep,
                                               paginator=ep.paginator)]
    assert [p.number for p in pages] == [1, 2, 3]


# --------------------------------------------------------------------------- parser depth


async def test_a_body_deeper_than_the_parser_reads_is_not_called_invalid() -> None:
    depth = 50_000
    body = b'{"data": [' + b"[" * depth + b"]" * depth + b"]}"

    def deep(request: Request) -> Response:
        return Response(status=200, headers=make_headers({"Content-Type": "application/json"}),
                        url=request.full_url(), body=body)
    events = EventLog()
    async with ApiClient(client_config(), transport=MemoryTransport(deep), events=events,
                         sleeper=RecordingSleeper()) as client:
        with pytest.raises(LimitExceededError) as caught:
            _ = [p async for p in client.pages(resource="deep", endpoint=endpoint(
                path="/d", data_selector="data"), paginator=None)]
    text = str(caught.value)
    assert "not valid JSON" not in text
    assert text.startswith("resource 'deep', page 1, GET https://api.test/v1/d: body nests")
    assert "more than 1,024 levels deep" in text
    assert "client.limits.max_nesting_depth=64" in text
