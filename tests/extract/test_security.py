"""Credential scoping over real HTTP (two loopback servers) and the TLS-off warning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from restsync.errors import CredentialLeakError
from restsync.events import Notice
from restsync.extract import ApiClient, RecordingSleeper
from restsync.spec.model import ClientConfig

from .conftest import EventLog, endpoint

TOKEN = "bearer-secret-7f3a9c"
HEADER_SECRET = "hdr-secret-55aa11"


class Hosts:
    def __init__(self) -> None:
        self.api = ""
        self.other = ""
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # (host, path?query, headers)

    def app(self, name: str) -> web.Application:
        async def items(request: web.Request) -> web.Response:
            self.seen.append((name, request.path_qs, dict(request.headers)))
            page = int(request.query.get("page", "1"))
            nxt = f"{self.other}/v1/items?page={page + 1}" if page == 1 else None
            headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
            return web.json_response({"data": [{"id": page}], "nextPageUrl": nxt},
                                     headers=headers)
        app = web.Application()
        app.router.add_get("/v1/items", items)
        return app


@pytest.fixture
async def hosts() -> AsyncIterator[Hosts]:
    state = Hosts()
    runners = []
    for name in ("api", "other"):
        runner = web.AppRunner(state.app(name))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        setattr(state, name, f"http://127.0.0.1:{runner.addresses[0][1]}")
    yield state
    for runner in runners:
        await runner.cleanup()


PAGINATORS = {
    "link_header": {"type": "header_link"},
    "next_page_url": {"type": "cursor", "cursor_path": "nextPageUrl"},
    "json_link": {"type": "json_link", "next_url_path": "nextPageUrl"},
}


def config(hosts: Hosts, **extra: Any) -> ClientConfig:
    return ClientConfig.model_validate({
        "base_url": f"{hosts.api}/v1", "auth": {"type": "bearer", "token": TOKEN},
        "headers": {"X-Api-Secret": HEADER_SECRET}, **extra})


def secret_header_values(headers: dict[str, str]) -> list[str]:
    return [v for v in headers.values() if TOKEN in v or HEADER_SECRET in v]


@pytest.mark.parametrize("kind", sorted(PAGINATORS))
async def test_strip_follows_foreign_link_without_credentials(hosts: Hosts, kind: str) -> None:
    from pydantic import SecretStr
    cfg = config(hosts)
    cfg.headers["X-Api-Secret"] = SecretStr(HEADER_SECRET)
    ep = endpoint(path="/items", data_selector="data", paginator=PAGINATORS[kind])
    async with ApiClient(cfg, sleeper=RecordingSleeper()) as client:
        pages = [p async for p in client.pages(resource="items", endpoint=ep,
                                               paginator=ep.paginator)]
    assert [p.records for p in pages] == [[{"id": 1}], [{"id": 2}]]
    api_hits = [h for h in hosts.seen if h[0] == "api"]
    other_hits = [h for h in hosts.seen if h[0] == "other"]
    assert len(api_hits) == 1 and len(other_hits) == 1
    assert api_hits[0][2]["Authorization"] == f"Bearer {TOKEN}"
    assert api_hits[0][2]["X-Api-Secret"] == HEADER_SECRET
    assert secret_header_values(other_hits[0][2]) == []
    assert "Authorization" not in other_hits[0][2]


@pytest.mark.parametrize("kind", sorted(PAGINATORS))
async def test_refuse_stops_before_sending_to_the_foreign_host(hosts: Hosts, kind: str) -> None:
    ep = endpoint(path="/items", data_selector="data", paginator=PAGINATORS[kind])
    async with ApiClient(config(hosts, foreign_host_credentials="refuse"),
                         sleeper=RecordingSleeper()) as client:
        got = []
        with pytest.raises(CredentialLeakError) as info:
            async for page in client.pages(resource="items", endpoint=ep, paginator=ep.paginator):
                got.append(page.number)
    assert got == [1]
    assert [h[0] for h in hosts.seen] == ["api"]  # nothing went to the other host
    assert hosts.other.split("//")[1] in str(info.value) and TOKEN not in str(info.value)


async def test_tls_off_emits_a_warning_notice(hosts: Hosts) -> None:
    events = EventLog()
    async with ApiClient(config(hosts, verify_tls=False), events=events):
        pass
    [notice] = events.of(Notice)
    assert "TLS certificate verification is OFF" in notice.message
    events = EventLog()
    async with ApiClient(config(hosts), events=events):
        pass
    assert events.of(Notice) == []
    assert ClientConfig.model_validate({"base_url": "https://x"}).verify_tls is True
