"""ApiClient over real HTTP: a loopback aiohttp.web server started in the test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from restsync.errors import ConfigError, FatalError, ResponseError
from restsync.events import PageFetched, RequestSent
from restsync.extract import ApiClient, RecordingSleeper, fill_path, join_url
from restsync.spec.model import ClientConfig

from .conftest import EventLog, endpoint


class Server:
    def __init__(self) -> None:
        self.in_flight = 0
        self.max_in_flight = 0
        self.peers: set[Any] = set()
        self.hits: dict[str, int] = {}
        self.token_calls = 0
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/users/me/profile", self.profile)
        app.router.add_get("/v1/items", self.items)
        app.router.add_get("/v1/slow/{n}", self.slow)
        app.router.add_get("/v1/flaky", self.flaky)
        app.router.add_get("/v1/html", self.html)
        app.router.add_get("/v1/echo/{name}", self.echo)
        app.router.add_get("/v1/redirect", self.redirect)
        app.router.add_post("/oauth/token", self.token)
        return app

    def _seen(self, request: web.Request) -> None:
        self.peers.add(request.transport.get_extra_info("peername") if request.transport else None)
        self.hits[request.path] = self.hits.get(request.path, 0) + 1

    async def profile(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.json_response({"emailAddress": "me@example.com",
                                  "auth": request.headers.get("Authorization")})

    async def items(self, request: web.Request) -> web.Response:
        self._seen(request)
        page = int(request.query.get("page", "1"))
        headers = {}
        if page < 3:
            headers["Link"] = f'<{self.base}/v1/items?page={page + 1}>; rel="next"'
        return web.json_response({"data": [{"id": page * 10 + i} for i in range(2)]},
                                 headers=headers)

    async def slow(self, request: web.Request) -> web.Response:
        self._seen(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.02)
        self.in_flight -= 1
        return web.json_response([{"n": int(request.match_info["n"])}])

    async def flaky(self, request: web.Request) -> web.Response:
        self._seen(request)
        if self.hits[request.path] < 3:
            return web.json_response({"e": 1}, status=503, headers={"Retry-After": "0"})
        return web.json_response({"data": [{"ok": True}]})

    async def html(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(text="<html><body>Please log in</body></html>",
                            content_type="text/html")

    async def echo(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.json_response({"name": request.match_info["name"],
                                  "tags": request.query.getall("tag", [])})

    async def redirect(self, request: web.Request) -> web.Response:
        self._seen(request)
        raise web.HTTPFound("/v1/users/me/profile")

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert form["grant_type"] == "refresh_token"
        self.token_calls += 1
        return web.json_response({"access_token": f"live-{self.token_calls}", "expires_in": 3600})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    runner = web.AppRunner(state.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.base = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


def config(server: Server, **extra: Any) -> ClientConfig:
    return ClientConfig.model_validate({"base_url": f"{server.base}/v1/", **extra})


async def test_profile_path_appended_to_base_with_oauth(server: Server) -> None:
    auth = {"type": "oauth2", "client_id": "c", "client_secret": "s", "refresh_token": "r",
            "token_url": f"{server.base}/oauth/token"}
    cfg = ClientConfig.model_validate({"base_url": f"{server.base}/v1/users/me/", "auth": auth})
    async with ApiClient(cfg) as client:
        pages = [p async for p in client.pages(resource="profile", endpoint=endpoint(path="/profile"),
                                               paginator=None)]
    assert pages[0].records == [{"emailAddress": "me@example.com", "auth": "Bearer live-1"}]
    assert server.token_calls == 1


async def test_link_header_paging_with_keep_alive(server: Server, events: EventLog) -> None:
    ep = endpoint(path="/items", data_selector="data", paginator={
        "type": "cursor", "cursor_path": "headers.link.next.url",
        "stop_condition": "not headers.link.next.url"})
    async with ApiClient(config(server), events=events) as client:
        pages = [p async for p in client.pages(resource="items", endpoint=ep, paginator=ep.paginator)]
    assert [r["id"] for p in pages for r in p.records] == [10, 11, 20, 21, 30, 31]
    assert len(server.peers) == 1  # one connection reused for all three requests
    assert [e.page for e in events.of(PageFetched)] == [1, 2, 3]
    assert client.stats["items"].pages == 3 and client.stats["items"].records == 6


async def test_concurrency_capped_per_host(server: Server) -> None:
    async with ApiClient(config(server, max_concurrency=3)) as client:
        async def one(n: int) -> list[Any]:
            ep = endpoint(path="/slow/{n}")
            return [p async for p in client.pages(resource="slow", endpoint=ep, paginator=None,
                                                  path_values={"n": n})]
        results = await asyncio.gather(*(one(n) for n in range(12)))
    assert sorted(r[0].records[0]["n"] for r in results) == list(range(12))
    assert server.max_in_flight == 3
    assert client.stats["slow"].requests == 12


async def test_retry_on_503_over_http(server: Server, events: EventLog) -> None:
    sleeper = RecordingSleeper()
    async with ApiClient(config(server), sleeper=sleeper, events=events) as client:
        pages = [p async for p in client.pages(resource="flaky", paginator=None,
                                               endpoint=endpoint(path="/flaky", data_selector="data"))]
    assert pages[0].records == [{"ok": True}]
    assert sleeper.waits == [0.0, 0.0]  # Retry-After: 0 wins over backoff
    assert [e.attempt for e in events.of(RequestSent)] == [1, 2, 3]


async def test_html_with_status_200_is_response_error(server: Server) -> None:
    async with ApiClient(config(server)) as client:
        with pytest.raises(ResponseError, match="expected JSON, got text/html") as info:
            _ = [p async for p in client.pages(resource="h", endpoint=endpoint(path="/html"),
                                               paginator=None)]
    assert "Please log in" in str(info.value) and "resource 'h', page 1" in str(info.value)


async def test_path_values_encoded_and_list_params_repeat(server: Server) -> None:
    ep = endpoint(path="/echo/{name}", params={"tag": ["a", "b c"]}, data_selector="$")
    async with ApiClient(config(server)) as client:
        pages = [p async for p in client.pages(resource="e", endpoint=ep, paginator=None,
                                               path_values={"name": "x/y z"},
                                               extra_params={"since": "2024-01-01"})]
    assert pages[0].records == [{"name": "x/y z", "tags": ["a", "b c"]}]
    assert "since=2024-01-01" in pages[0].url and "%2F" in pages[0].url


async def test_redirect_followed(server: Server) -> None:
    async with ApiClient(config(server)) as client:
        pages = [p async for p in client.pages(resource="r", endpoint=endpoint(path="/redirect"),
                                               paginator=None)]
    assert pages[0].records[0]["emailAddress"] == "me@example.com"


async def test_connection_refused_retried_then_fatal() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    sleeper = RecordingSleeper()
    cfg = ClientConfig.model_validate({"base_url": f"http://127.0.0.1:{port}/?api_key=zzz"})
    async with ApiClient(cfg, sleeper=sleeper) as client:
        with pytest.raises(FatalError, match="transport") as info:
            _ = [p async for p in client.pages(resource="x", endpoint=endpoint(path=""),
                                               paginator=None)]
    assert sleeper.waits == [2.0, 4.0, 8.0]
    assert "zzz" not in str(info.value)


def test_join_url_like_dlt() -> None:
    assert join_url("https://h/v1/users/me/", "/profile") == "https://h/v1/users/me/profile"
    assert join_url("https://h/v1", "items") == "https://h/v1/items"
    assert join_url("https://h/v1/", "https://other/x") == "https://other/x"


def test_missing_placeholder_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"\{thread_id\} has no value") as info:
        fill_path("/threads/{thread_id}", {"label_id": 1}, "resources[threads_details].endpoint")
    assert "resources[threads_details].endpoint.path" in str(info.value)
