"""Auth flows: static credentials, OAuth2 token sharing, refresh on expiry and on 401."""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from restsync.errors import AuthError, CredentialLeakError
from restsync.events import TokenRefreshed
from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper, Request
from restsync.extract.http import Response, make_headers

from .conftest import BASE, EventLog, client_config, endpoint, reply

TOKEN_URL = "https://login.test/oauth2/token"
OAUTH = {"type": "oauth2", "client_id": "cid-1234", "client_secret": "csecret-5678",
         "refresh_token": "rtoken-9999", "token_url": TOKEN_URL}
EP = endpoint(path="/items", data_selector="data")


class FakeApi:
    """Token endpoint + API; tokens are tok-1, tok-2...; ``valid`` decides what the API accepts."""

    def __init__(self, expires_in: int | None = None, token_status: int = 200):
        self.issued = 0
        self.valid: set[str] = set()
        self.expires_in = expires_in
        self.token_status = token_status
        self.token_requests: list[Request] = []
        self.api_requests: list[Request] = []
        self.reject_all = False

    async def __call__(self, request: Request) -> Any:
        await asyncio.sleep(0)  # let concurrent requests interleave
        if request.url == TOKEN_URL:
            self.token_requests.append(request)
            if self.token_status != 200:
                return reply({"error": "invalid_grant"}, status=self.token_status)
            self.issued += 1
            token = f"tok-{self.issued}"
            self.valid = {token}
            body: dict[str, Any] = {"access_token": token, "token_type": "bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return reply(body)
        self.api_requests.append(request)
        auth = request.headers.get("Authorization", "")
        if self.reject_all or auth.removeprefix("Bearer ") not in self.valid:
            return reply({"error": "unauthorized"}, status=401)
        return reply({"data": [{"auth": auth}]})


async def fetch_all(client: ApiClient, resource: str = "items") -> list[Any]:
    return [r for p in [p async for p in client.pages(resource=resource, endpoint=EP, paginator=None)]
            for r in p.records]


async def test_refresh_token_grant_form_post() -> None:
    api = FakeApi(expires_in=3600)
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(api)) as client:
        records = await fetch_all(client)
    assert records == [{"auth": "Bearer tok-1"}]
    (token_request,) = api.token_requests
    assert token_request.method == "POST"
    assert token_request.data == {"grant_type": "refresh_token", "refresh_token": "rtoken-9999",
                                  "client_id": "cid-1234", "client_secret": "csecret-5678"}


async def test_client_auth_basic_puts_client_credentials_in_header() -> None:
    api = FakeApi()
    config = client_config(auth={**OAUTH, "client_auth": "basic"})
    async with ApiClient(config, transport=MemoryTransport(api)) as client:
        await fetch_all(client)
    request = api.token_requests[0]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid-1234:csecret-5678").decode()
    assert request.data is not None and "client_secret" not in request.data


async def test_one_token_call_for_many_concurrent_requests(events: EventLog) -> None:
    api = FakeApi(expires_in=3600)
    config = client_config(auth=OAUTH, max_concurrency=4)
    async with ApiClient(config, transport=MemoryTransport(api), events=events) as client:
        results = await asyncio.gather(*(fetch_all(client, f"r{i}") for i in range(30)))
    assert len(api.token_requests) == 1
    assert all(r == [{"auth": "Bearer tok-1"}] for r in results)
    assert [e.reason for e in events.of(TokenRefreshed)] == ["initial"]


async def test_401_refreshes_once_and_replays(events: EventLog) -> None:
    api = FakeApi()  # no expires_in: valid until a 401
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(api),
                         events=events) as client:
        await fetch_all(client)
        api.valid = {"tok-other"}  # server revokes tok-1
        api.issued = 1
        # next token will be tok-2; make the server accept it once issued
        records = await fetch_all(client)
    assert records == [{"auth": "Bearer tok-2"}]
    assert len(api.token_requests) == 2
    assert [e.reason for e in events.of(TokenRefreshed)] == ["initial", "401"]
    assert client.stats["items"].requests == 3  # 1 + (401, replay)


async def test_concurrent_401s_trigger_a_single_refresh() -> None:
    api = FakeApi()
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(api)) as client:
        await fetch_all(client)
        api.valid = set()
        await asyncio.gather(*(fetch_all(client, f"r{i}") for i in range(10)))
    assert len(api.token_requests) == 2


async def test_second_401_is_auth_error_without_loop() -> None:
    api = FakeApi()
    api.reject_all = True
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(api)) as client:
        with pytest.raises(AuthError, match="401 again"):
            await fetch_all(client)
    assert len(api.token_requests) == 2 and len(api.api_requests) == 2


async def test_token_renewed_before_expiry_margin(events: EventLog) -> None:
    api = FakeApi(expires_in=600)  # margin 60 s -> renew after 540 s
    sleeper = RecordingSleeper()
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(api),
                         sleeper=sleeper, events=events) as client:
        await fetch_all(client)
        sleeper.now += 530
        assert await fetch_all(client) == [{"auth": "Bearer tok-1"}]
        sleeper.now += 20
        assert await fetch_all(client) == [{"auth": "Bearer tok-2"}]
    assert [e.reason for e in events.of(TokenRefreshed)] == ["initial", "expiring"]
    assert len(api.api_requests) == 3  # no 401 was needed


async def test_token_endpoint_failure_is_auth_error_and_remembered() -> None:
    api = FakeApi(token_status=400)
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(api)) as client:
        with pytest.raises(AuthError) as info:
            await fetch_all(client)
        with pytest.raises(AuthError):
            await fetch_all(client, "other")
    message = str(info.value)
    assert "token endpoint https://login.test/oauth2/token" in message and "400" in message
    assert len(api.token_requests) == 1 and api.api_requests == []
    for secret in ("cid-1234", "csecret-5678", "rtoken-9999"):
        assert secret not in message


@pytest.mark.parametrize("body", [b"<html>login</html>", b'{"token_type": "bearer"}'])
async def test_bad_token_response_is_auth_error(body: bytes) -> None:
    def handler(request: Request) -> Response:
        return Response(status=200, headers=make_headers({"Content-Type": "text/html"}),
                        url=request.url, body=body)
    async with ApiClient(client_config(auth=OAUTH), transport=MemoryTransport(handler)) as client:
        with pytest.raises(AuthError, match=r"login\.test.*(not JSON|no access_token)"):
            await fetch_all(client)


async def test_client_credentials_grant() -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Any:
        if request.url.endswith("/token"):
            seen.append(request)
            return reply({"access_token": "cc-token", "expires_in": "3600"})
        return reply({"data": [{"auth": request.headers["Authorization"]}]})
    config = client_config(auth={"type": "oauth2_client_credentials", "access_token_url":
                                 "https://api.test/token", "client_id": "id-1",
                                 "client_secret": "sec-1", "scopes": ["read", "write"]})
    async with ApiClient(config, transport=MemoryTransport(handler)) as client:
        assert await fetch_all(client) == [{"auth": "Bearer cc-token"}]
    # dlt's default: the client credentials go in the form body, no basic auth header
    assert seen[0].data == {"grant_type": "client_credentials", "scope": "read write",
                            "client_id": "id-1", "client_secret": "sec-1"}
    assert "Authorization" not in seen[0].headers


@pytest.mark.parametrize(("auth", "check"), [
    ({"type": "bearer", "token": "b-token"},
     lambda r: r.headers["Authorization"] == "Bearer b-token"),
    ({"type": "http_basic", "username": "api", "password": "pw-1"},
     lambda r: r.headers["Authorization"] == "Basic " + base64.b64encode(b"api:pw-1").decode()),
    ({"type": "api_key", "name": "X-Key", "api_key": "k-1"},
     lambda r: r.headers["X-Key"] == "k-1"),
    ({"type": "api_key", "name": "api_key", "api_key": "k-2", "location": "query"},
     lambda r: parse_qs(r.full_url().split("?")[1])["api_key"] == ["k-2"]),
])
async def test_static_auth(auth: dict[str, Any], check: Any) -> None:
    transport = MemoryTransport(lambda r: reply({"data": []}))
    async with ApiClient(client_config(auth=auth), transport=transport) as client:
        await fetch_all(client)
    assert check(transport.requests[0])


# ------------------------------------------------------------------ credential scoping

def two_host_handler(request: Request) -> Any:
    if request.url.startswith("https://cdn.other"):
        return reply({"data": [{"host": "other", "auth": request.headers.get("Authorization"),
                                "key": request.params.get("api_key")}]})
    return reply({"data": [{"host": "api"}], "next": "https://cdn.other/page2"})


PAGED = endpoint(path="/items", data_selector="data",
                 paginator={"type": "json_link", "next_url_path": "next"})


@pytest.mark.parametrize("auth", [{"type": "bearer", "token": "b-token"},
                                  {"type": "api_key", "name": "api_key", "api_key": "k-2",
                                   "location": "query"}])
async def test_foreign_host_strip_sends_no_credentials(auth: dict[str, Any]) -> None:
    transport = MemoryTransport(two_host_handler)
    config = client_config(auth=auth, headers={"X-Plain": "p"})
    async with ApiClient(config, transport=transport) as client:
        pages = [p async for p in client.pages(resource="r", endpoint=PAGED, paginator=PAGED.paginator)]
    assert pages[1].records == [{"host": "other", "auth": None, "key": None}]
    assert transport.requests[1].headers == {"X-Plain": "p"}


async def test_foreign_host_refuse_raises_credential_leak_error() -> None:
    transport = MemoryTransport(two_host_handler)
    config = client_config(auth={"type": "bearer", "token": "b-token"},
                           foreign_host_credentials="refuse")
    async with ApiClient(config, transport=transport) as client:
        with pytest.raises(CredentialLeakError, match=r"cdn\.other:443") as info:
            _ = [p async for p in client.pages(resource="r", endpoint=PAGED, paginator=PAGED.paginator)]
    assert len(transport.requests) == 1  # nothing sent to the foreign host
    assert "b-token" not in str(info.value)


async def test_secret_client_headers_are_scoped_too() -> None:
    transport = MemoryTransport(two_host_handler)
    config = client_config(headers={"X-Secret": SecretStr("hdr-secret"), "X-Plain": "p"})
    async with ApiClient(config, transport=transport) as client:
        _ = [p async for p in client.pages(resource="r", endpoint=PAGED, paginator=PAGED.paginator)]
    assert transport.requests[0].headers == {"X-Plain": "p", "X-Secret": "hdr-secret"}
    assert transport.requests[1].headers == {"X-Plain": "p"}


async def test_same_host_other_port_is_foreign() -> None:
    def handler(request: Request) -> Any:
        if ":8443" in request.url:
            return reply({"data": [{"auth": request.headers.get("Authorization")}]})
        return reply({"data": [{"id": 1}], "next": "https://api.test:8443/p2"})
    async with ApiClient(client_config(auth={"type": "bearer", "token": "b-token"}),
                         transport=MemoryTransport(handler)) as client:
        pages = [p async for p in client.pages(resource="r", endpoint=PAGED, paginator=PAGED.paginator)]
    assert pages[1].records == [{"auth": None}]
    assert BASE.startswith("https://api.test/")
