"""Paginators driven through ApiClient over an in-memory transport."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from restsync.errors import ConfigError, PaginationError
from restsync.extract import ApiClient, MemoryTransport, Request
from restsync.extract.paginators import build_paginator
from restsync.spec import model

from .conftest import BASE, client_config, endpoint, reply


async def collect(handler: Any, ep: model.EndpointConfig, **kwargs: Any) -> tuple[list[Any], MemoryTransport]:
    transport = MemoryTransport(handler)
    async with ApiClient(client_config(**kwargs), transport=transport) as client:
        pages = [p async for p in client.pages(resource="r", endpoint=ep, paginator=ep.paginator)]
    return pages, transport


def query(request: Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.full_url()).query)


async def test_no_paginator_is_a_single_page() -> None:
    pages, transport = await collect(lambda r: reply({"data": [{"id": 1}], "next": "x"}),
                                     endpoint(path="/a", data_selector="data"))
    assert [p.records for p in pages] == [[{"id": 1}]]
    assert len(transport.requests) == 1


async def test_cursor_from_body_with_stop_condition_and_limit() -> None:
    # seed email_api drafts: pageToken cursor, stop when nextPageToken is absent
    tokens = {None: ("t2", [{"id": 1}, {"id": 2}]), "t2": ("t3", [{"id": 3}]), "t3": (None, [{"id": 4}])}

    def handler(request: Request) -> Any:
        nxt, rows = tokens[request.params.get("pageToken")]
        body: dict[str, Any] = {"drafts": rows}
        if nxt:
            body["nextPageToken"] = nxt
        return reply(body)

    ep = endpoint(path="/drafts", data_selector="drafts", paginator={
        "type": "cursor", "cursor_path": "nextPageToken", "cursor_param": "pageToken",
        "limit": 100, "limit_param": "maxResults",
        "stop_condition": "not response.get('nextPageToken', {})"})
    pages, transport = await collect(handler, ep)
    assert [r["id"] for p in pages for r in p.records] == [1, 2, 3, 4]
    assert [p.number for p in pages] == [1, 2, 3]
    assert all(query(r)["maxResults"] == ["100"] for r in transport.requests)
    assert [query(r).get("pageToken") for r in transport.requests] == [None, ["t2"], ["t3"]]


async def test_cursor_url_value_is_followed_not_sent_as_param() -> None:
    # seed marketing_api campaigns: nextPageUrl is a full URL
    def handler(request: Request) -> Any:
        q = query(request)
        if "nextPageUrl" in q:
            raise AssertionError("the URL must be followed, not sent as a parameter")
        if q.get("page") == ["2"]:
            return reply({"values": [{"id": 2}]})
        return reply({"values": [{"id": 1}], "nextPageUrl": f"{BASE}/v5/objects/campaigns?page=2"})

    ep = endpoint(path="/v5/objects/campaigns", data_selector="values", paginator={
        "type": "cursor", "cursor_path": "nextPageUrl", "cursor_param": "nextPageUrl",
        "stop_condition": "not response.get('nextPageUrl', {})"})
    pages, transport = await collect(handler, ep)
    assert [r["id"] for p in pages for r in p.records] == [1, 2]
    assert transport.requests[1].full_url() == f"{BASE}/v5/objects/campaigns?page=2"


async def test_events_paging_next_present_on_last_page_stops_on_empty_page() -> None:
    # seed email_events_api: paging.next always present, end = empty items page
    def handler(request: Request) -> Any:
        n = int(query(request).get("p", ["1"])[0])
        rows = [{"id": n}] if n <= 2 else []
        return reply({"items": rows, "paging": {"next": f"{BASE}/v1/events?p={n + 1}"}})

    ep = endpoint(path="/v1/events", data_selector="items", paginator={
        "type": "cursor", "cursor_param": "from", "cursor_path": "paging.next"})
    pages, transport = await collect(handler, ep)
    assert [len(p.records) for p in pages] == [1, 1, 0]
    assert len(transport.requests) == 3


async def test_link_header_cursor_with_seed_stop_condition() -> None:
    # seed project_api: cursor_path headers.link.next.url, stop when absent
    def handler(request: Request) -> Any:
        n = int(query(request).get("page", ["1"])[0])
        headers = {"Link": f'<{BASE}/v1/projects.json?page={n + 1}>; rel="next"'} if n < 3 else {}
        return reply({"data": [{"id": n}]}, **headers)

    ep = endpoint(path="/v1/projects.json", data_selector="data", paginator={
        "type": "cursor", "cursor_path": "headers.link.next.url",
        "stop_condition": "not headers.link.next.url"})
    pages, _ = await collect(handler, ep)
    assert [p.records[0]["id"] for p in pages] == [1, 2, 3]


async def test_last_record_cursor_stops_on_short_page() -> None:
    # seed marketing_api email_clicks: id_greater_than=<last id>, 200 per page
    ids = list(range(1, 451))

    def handler(request: Request) -> Any:
        after = int(request.params.get("id_greater_than", 0))
        rows = [{"id": i} for i in ids if i > after][:200]
        return reply({"result": {"emailClick": rows, "total_results": len(rows)}})

    ep = endpoint(path="/emailClick/version/4/do/query", data_selector="result.emailClick",
                  paginator={"type": "cursor", "cursor_value": "last_record.id",
                             "cursor_param": "id_greater_than", "limit": 200,
                             "stop_condition": "not response.result.emailClick or "
                                               "len(response.result.emailClick) < 200"})
    pages, transport = await collect(handler, ep)
    assert [len(p.records) for p in pages] == [200, 200, 50]
    assert [r.params.get("id_greater_than") for r in transport.requests] == [None, 200, 400]


async def test_last_record_cursor_absent_key_page_is_empty_and_stops() -> None:
    # 400 rows: third page is {"result": {"total_results": 0}} (emailClick key absent)
    def handler(request: Request) -> Any:
        after = int(request.params.get("id_greater_than", 0))
        rows = [{"id": i} for i in range(after + 1, min(after + 200, 400) + 1)]
        if not rows:
            return reply({"result": {"total_results": 0}})
        return reply({"result": {"emailClick": rows, "total_results": len(rows)}})

    ep = endpoint(path="/q", data_selector="result.emailClick", paginator={
        "type": "cursor", "cursor_value": "last_record.id", "cursor_param": "id_greater_than",
        "stop_condition": "not response.result.emailClick or len(response.result.emailClick) < 200"})
    pages, _ = await collect(handler, ep)
    assert [len(p.records) for p in pages] == [200, 200, 0]


async def test_same_cursor_twice_raises_pagination_error() -> None:
    ep = endpoint(path="/a", data_selector="data", paginator={
        "type": "cursor", "cursor_path": "next", "cursor_param": "c"})
    with pytest.raises(PaginationError, match="same cursor twice") as info:
        await collect(lambda r: reply({"data": [{"id": 1}], "next": "abc"}), ep)
    assert "resource 'r', page 2" in str(info.value)


async def test_same_next_url_twice_raises_pagination_error() -> None:
    ep = endpoint(path="/a", data_selector="data", paginator={
        "type": "json_link", "next_url_path": "links.next"})
    with pytest.raises(PaginationError, match="same next-page URL twice"):
        await collect(lambda r: reply({"data": [{"id": 1}], "links": {"next": "/v1/a?p=2"}}), ep)


async def test_next_url_equal_to_first_url_is_a_loop() -> None:
    ep = endpoint(path="/a", paginator={"type": "header_link"})
    with pytest.raises(PaginationError):
        await collect(lambda r: reply([{"id": 1}], Link=f'<{BASE}/a>; rel="next"'), ep)


async def test_json_link_relative_url_resolved_and_missing_stops() -> None:
    def handler(request: Request) -> Any:
        if request.url.endswith("p=2"):
            return reply({"data": [{"id": 2}], "links": {"next": None}})
        return reply({"data": [{"id": 1}], "links": {"next": "/v1/a?p=2"}})

    ep = endpoint(path="/a", data_selector="data",
                  paginator={"type": "json_link", "next_url_path": "links.next"})
    pages, transport = await collect(handler, ep)
    assert len(pages) == 2
    assert transport.requests[1].url == "https://api.test/v1/a?p=2"


async def test_header_cursor() -> None:
    def handler(request: Request) -> Any:
        c = request.params.get("cursor")
        return reply([{"c": c}], **({"X-Next": "n2"} if c is None else {}))

    ep = endpoint(path="/a", paginator={"type": "header_cursor", "cursor_key": "x-next"})
    pages, _ = await collect(handler, ep)
    assert [p.records[0]["c"] for p in pages] == [None, "n2"]


async def test_cursor_from_named_header_path() -> None:
    def handler(request: Request) -> Any:
        c = request.params.get("after")
        return reply({"data": [{"c": c}]}, **({"X-Next-Cursor": "k2"} if c is None else {}))

    ep = endpoint(path="/a", data_selector="data", paginator={
        "type": "cursor", "cursor_path": "headers.X-Next-Cursor", "cursor_param": "after"})
    pages, _ = await collect(handler, ep)
    assert [p.records[0]["c"] for p in pages] == [None, "k2"]


async def test_cursor_sent_in_json_body() -> None:
    def handler(request: Request) -> Any:
        cursor = (request.json or {}).get("page", {}).get("after")
        return reply({"data": [{"id": cursor}], "next": None if cursor else "z"})

    ep = endpoint(path="/search", method="POST", json={"query": "x"}, data_selector="data",
                  paginator={"type": "cursor", "cursor_path": "next", "cursor_body_path": "page.after"})
    pages, transport = await collect(handler, ep)
    assert [p.records[0]["id"] for p in pages] == [None, "z"]
    assert transport.requests[1].json == {"query": "x", "page": {"after": "z"}}


async def test_offset_without_total_stops_on_short_page() -> None:
    # seed email_events_api domains: skip/limit, no total
    rows = [{"id": i} for i in range(25)]

    def handler(request: Request) -> Any:
        skip, limit = int(request.params["skip"]), int(request.params["limit"])
        return reply({"items": rows[skip: skip + limit]})

    ep = endpoint(path="/v1/domains", data_selector="items",
                  paginator={"type": "offset", "limit": 10, "offset_param": "skip"})
    pages, transport = await collect(handler, ep)
    assert [len(p.records) for p in pages] == [10, 10, 5]
    assert [r.params["skip"] for r in transport.requests] == [0, 10, 20]


async def test_offset_exact_multiple_ends_on_empty_page() -> None:
    rows = [{"id": i} for i in range(20)]
    ep = endpoint(path="/d", data_selector="items", paginator={"type": "offset", "limit": 10})
    pages, _ = await collect(
        lambda r: reply({"items": rows[r.params["offset"]: r.params["offset"] + 10]}), ep)
    assert [len(p.records) for p in pages] == [10, 10, 0]


async def test_offset_with_total() -> None:
    ep = endpoint(path="/d", data_selector="items",
                  paginator={"type": "offset", "limit": 2, "total_path": "meta.total"})
    pages, _ = await collect(
        lambda r: reply({"items": [{"o": r.params["offset"]}], "meta": {"total": 5}}), ep)
    assert [p.records[0]["o"] for p in pages] == [0, 2, 4]


async def test_offset_server_ignoring_param_is_detected() -> None:
    ep = endpoint(path="/d", data_selector="items", paginator={"type": "offset", "limit": 2})
    with pytest.raises(PaginationError, match="same page twice"):
        await collect(lambda r: reply({"items": [{"id": 1}, {"id": 2}]}), ep)


async def test_page_number_with_total_pages() -> None:
    ep = endpoint(path="/d", data_selector="items", paginator={
        "type": "page_number", "base_page": 1, "total_path": "pages", "page_size": 5})
    pages, transport = await collect(
        lambda r: reply({"items": [{"p": r.params["page"]}] * 5, "pages": 3}), ep)
    assert [p.records[0]["p"] for p in pages] == [1, 2, 3]
    assert transport.requests[0].params["per_page"] == 5


async def test_stop_condition_true_on_first_page() -> None:
    ep = endpoint(path="/a", data_selector="data", paginator={
        "type": "cursor", "cursor_path": "next", "cursor_param": "c",
        "stop_condition": "last_page_size < 10 and last_record.id == 1"})
    pages, transport = await collect(lambda r: reply({"data": [{"id": 1}], "next": "n"}), ep)
    assert len(pages) == 1 and len(transport.requests) == 1


def test_cursor_without_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cursor_path or cursor_value") as info:
        build_paginator(model.CursorPaginator(cursor_param="c"), where="resources[x].endpoint.paginator")
    assert "resources[x].endpoint.paginator" in str(info.value)


def test_bad_stop_condition_is_a_config_error_at_build() -> None:
    with pytest.raises(ConfigError, match="stop_condition"):
        build_paginator(model.CursorPaginator(cursor_path="n", stop_condition="__import__('os')"))


async def test_non_url_cursor_without_param_is_pagination_error() -> None:
    ep = endpoint(path="/a", data_selector="data",
                  paginator={"type": "cursor", "cursor_path": "next"})
    with pytest.raises(PaginationError, match="no cursor_param"):
        await collect(lambda r: reply({"data": [{"id": 1}], "next": "abc"}), ep)
