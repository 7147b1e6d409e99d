"""Resume states: continuing a page sequence from any page gives exactly the remaining pages."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from restsync.errors import ConfigError, WaitTooLongError
from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper, Request
from restsync.spec.model import EndpointConfig

from .conftest import BASE, client_config, reply

N, SIZE = 7, 2
ROWS = [{"id": i} for i in range(1, N + 1)]


def start_index(request: Request) -> int:
    query = dict(parse_qsl(urlsplit(request.full_url()).query))
    body = request.json if isinstance(request.json, dict) else {}
    if "offset" in query:
        return int(query["offset"])
    if "page" in query:
        return (int(query["page"]) - 1) * SIZE
    if "cursor" in query:
        return int(query["cursor"][1:])
    if "after_id" in query:
        return int(query["after_id"])  # ids are index + 1
    if "start" in query:
        return int(query["start"])
    if body.get("paging", {}).get("cursor"):
        return int(body["paging"]["cursor"][1:])
    return 0


def api(request: Request) -> Any:
    start = start_index(request)
    nxt = start + SIZE if start + SIZE < N else None
    headers = {}
    if nxt is not None:
        headers = {"Link": f'<{BASE}/items?start={nxt}>; rel="next"', "X-Next": f"c{nxt}"}
    return reply({"data": ROWS[start:start + SIZE], "next": f"c{nxt}" if nxt else None,
                  "next_url": f"{BASE}/items?start={nxt}" if nxt else None,
                  "pages": -(-N // SIZE)}, **headers)


PAGINATORS: dict[str, tuple[dict[str, Any] | None, str]] = {
    "single_page": ({"type": "single_page"}, "GET"),
    "cursor_param": ({"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"}, "GET"),
    "cursor_last_record": ({"type": "cursor", "cursor_value": "last_record.id",
                            "cursor_param": "after_id", "limit": SIZE}, "GET"),
    "cursor_url": ({"type": "cursor", "cursor_path": "next_url"}, "GET"),
    "cursor_body": ({"type": "cursor", "cursor_path": "next",
                     "cursor_body_path": "paging.cursor"}, "POST"),
    "cursor_link_header": ({"type": "cursor", "cursor_path": "headers.link.next.url"}, "GET"),
    "json_link": ({"type": "json_link", "next_url_path": "next_url"}, "GET"),
    "header_link": ({"type": "header_link"}, "GET"),
    "header_cursor": ({"type": "header_cursor", "cursor_key": "X-Next",
                       "cursor_param": "cursor"}, "GET"),
    "offset": ({"type": "offset", "limit": SIZE}, "GET"),
    "page_number_total": ({"type": "page_number", "base_page": 1, "total_path": "pages"}, "GET"),
    "page_number_size": ({"type": "page_number", "base_page": 1, "page_size": SIZE}, "GET"),
}


def make_endpoint(paginator: dict[str, Any] | None, method: str) -> EndpointConfig:
    data: dict[str, Any] = {"path": "/items", "data_selector": "data", "method": method,
                            "params": {"fixed": "yes"}}
    if paginator is not None:
        data["paginator"] = paginator
    if method == "POST":
        data["json"] = {"query": "all"}
    return EndpointConfig.model_validate(data)


async def collect(client: ApiClient, ep: EndpointConfig,
                  resume: dict[str, Any] | None = None) -> list[Any]:
    return [p async for p in client.pages(resource="items", endpoint=ep,
                                          paginator=ep.paginator, resume_from=resume)]


@pytest.mark.parametrize("name", sorted(PAGINATORS))
async def test_resume_from_every_page_yields_exactly_the_rest(name: str) -> None:
    paginator, method = PAGINATORS[name]
    ep = make_endpoint(paginator, method)
    transport = MemoryTransport(api)
    async with ApiClient(client_config(), transport=transport,
                         sleeper=RecordingSleeper()) as client:
        pages = await collect(client, ep)
        all_ids = [r["id"] for p in pages for r in p.records]
        assert all_ids == ([1, 2] if name == "single_page" else [r["id"] for r in ROWS])
        assert pages[-1].resume_state is None
        for k, page in enumerate(pages[:-1]):
            state = json.loads(json.dumps(page.resume_state))  # JSON round trip
            assert state["page"] == page.number + 1
            sent_before = len(transport.requests)
            rest = await collect(client, ep, state)
            assert [(p.number, p.records) for p in rest] == \
                [(p.number, p.records) for p in pages[k + 1:]], (name, k)
            resumed_first = transport.requests[sent_before]
            assert resumed_first.method == method
            if method == "POST":
                assert resumed_first.json["query"] == "all"


async def test_resume_state_never_holds_query_credentials() -> None:
    secret = "qs-secret-0123456789"

    def echoing(request: Request) -> Any:
        start = start_index(request)
        nxt = start + SIZE
        # a server that echoes the api key into its next links
        return reply({"data": ROWS[start:start + SIZE],
                      "next_url": f"{BASE}/items?start={nxt}&hkey={secret}" if nxt < N else None})
    ep = make_endpoint({"type": "json_link", "next_url_path": "next_url"}, "GET")
    config = client_config(auth={"type": "api_key", "name": "hkey", "api_key": secret,
                                 "location": "query"})
    transport = MemoryTransport(echoing)
    async with ApiClient(config, transport=transport, sleeper=RecordingSleeper()) as client:
        pages = await collect(client, ep)
        assert len(pages) == 4
        for page in pages[:-1]:
            assert secret not in json.dumps(page.resume_state)
        rest = await collect(client, ep, pages[0].resume_state)
    assert [p.records for p in rest] == [p.records for p in pages[1:]]
    # the credential is added again when sending, exactly once
    for sent in transport.requests:
        assert [v for n, v in parse_qsl(urlsplit(sent.full_url()).query) if n == "hkey"] == [secret]


async def test_wait_too_long_stops_with_state_of_the_failed_page() -> None:
    calls: list[int] = []

    def limited(request: Request) -> Any:
        start = start_index(request)
        calls.append(start)
        if start == 4 and calls.count(4) == 1:
            return reply({"error": "quota"}, status=429, **{"Retry-After": "7200"})
        return api(request)
    ep = make_endpoint({"type": "offset", "limit": SIZE}, "GET")
    sleeper = RecordingSleeper()
    async with ApiClient(client_config(), transport=MemoryTransport(limited), sleeper=sleeper,
                         max_wait=60) as client:
        got: list[Any] = []
        with pytest.raises(WaitTooLongError) as info:
            async for page in client.pages(resource="items", endpoint=ep, paginator=ep.paginator):
                got.append(page)
        error = info.value
        assert [p.number for p in got] == [1, 2]
        assert sleeper.waits == []  # nothing slept
        assert error.resource == "items" and error.wait_seconds == 7200 and error.max_wait == 60
        assert "offset=4" in error.url and "max_wait=60" in str(error)
        assert error.resume_state == got[-1].resume_state
        rest = await collect(client, ep, error.resume_state)
    assert [r["id"] for p in rest for r in p.records] == [5, 6, 7]
    assert [p.number for p in rest] == [3, 4]


async def test_waits_within_max_wait_are_slept() -> None:
    statuses = [503]

    def flaky(request: Request) -> Any:
        if statuses:
            return reply({}, status=statuses.pop())
        return api(request)
    sleeper = RecordingSleeper()
    ep = make_endpoint(None, "GET")
    async with ApiClient(client_config(), transport=MemoryTransport(flaky), sleeper=sleeper,
                         max_wait=2) as client:
        pages = await collect(client, ep)
    assert sleeper.waits == [2.0] and pages[0].records


@pytest.mark.parametrize("state", [None, {}, {"version": 99, "url": "x", "params": {}, "page": 1},
                                   {"version": 1, "url": 3, "params": {}, "page": 1},
                                   {"version": 1, "url": "u", "params": {}, "page": 0}])
async def test_bad_resume_state_is_config_error(state: Any) -> None:
    ep = make_endpoint(None, "GET")
    async with ApiClient(client_config(), transport=MemoryTransport(api),
                         sleeper=RecordingSleeper()) as client:
        with pytest.raises(ConfigError, match="resume state"):
            async for _ in client.pages(resource="items", endpoint=ep, paginator=None,
                                        resume_from=state if state is not None else []):  # type: ignore[arg-type]
                pass
