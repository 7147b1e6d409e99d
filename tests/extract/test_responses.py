"""Bad response bodies: each a typed error naming resource, page and the redacted URL."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import PaginationError, ResponseError
from restsync.extract import ApiClient, MemoryTransport, RecordingSleeper, Request
from restsync.extract.http import Response, make_headers

from .conftest import client_config, endpoint, reply

SECRET = "key-abcdef123456"


def raw(body: bytes, ctype: str, **headers: str) -> Response:
    return Response(status=200, headers=make_headers({"Content-Type": ctype, **headers}), url="",
                    body=body)


CASES: dict[str, tuple[Response, str]] = {
    "invalid_json": (raw(b'{"data": [{"id": "1", ', "application/json"), "not valid JSON"),
    "html_200": (raw(b"<!DOCTYPE html><html><body>Maintenance</body></html>", "text/html"),
                 "expected JSON, got text/html"),
    "html_no_type": (raw(b"<html><body>login</body></html>", ""), "expected JSON"),
    "truncated": (raw(b'{"data": [{"id": 1}, {"id"', "application/json",
                      **{"Content-Length": "400"}), "truncated body"),
    "xml": (raw(b"<?xml version='1.0'?><items/>", "application/xml"),
            "expected JSON, got application/xml"),
    "csv": (raw(b"id,name\n1,a\n", "text/csv"), "content type text/csv"),
    "empty": (raw(b"  ", "application/json"), "empty body"),
    "missing_selector": (reply({"items": [{"id": 1}]}), "data_selector `data` found nothing"),
    "not_a_list": (reply({"data": "oops"}), "data_selector"),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_bodies_are_located_response_errors(case: str) -> None:
    response, message = CASES[case]
    ep = endpoint(path="/items", data_selector="data")
    config = client_config(auth={"type": "api_key", "name": "k", "api_key": SECRET,
                                 "location": "query"})
    async with ApiClient(config, transport=MemoryTransport(lambda r: response),
                         sleeper=RecordingSleeper()) as client:
        with pytest.raises(ResponseError) as info:
            _ = [p async for p in client.pages(resource="items", endpoint=ep, paginator=None)]
    text = str(info.value)
    assert message in text
    assert "resource 'items', page 1, GET https://api.test/v1/items" in text
    assert SECRET not in text


async def test_json_with_a_plain_text_type_is_accepted() -> None:
    ep = endpoint(path="/items", data_selector="data")
    response = raw(b'{"data": [{"id": 1}]}', "text/plain")
    async with ApiClient(client_config(), transport=MemoryTransport(lambda r: response),
                         sleeper=RecordingSleeper()) as client:
        pages = [p async for p in client.pages(resource="items", endpoint=ep, paginator=None)]
    assert pages[0].records == [{"id": 1}]


async def test_repeating_cursor_names_page_and_url() -> None:
    def handler(request: Request) -> Any:
        return reply({"data": [{"id": 1}], "next": "same"})
    ep = endpoint(path="/items", data_selector="data",
                  paginator={"type": "cursor", "cursor_path": "next", "cursor_param": "c"})
    async with ApiClient(client_config(), transport=MemoryTransport(handler),
                         sleeper=RecordingSleeper()) as client:
        got = []
        with pytest.raises(PaginationError) as info:
            async for page in client.pages(resource="items", endpoint=ep, paginator=ep.paginator):
                got.append(page.number)
    assert got == [1]
    assert "resource 'items', page 2, GET https://api.test/v1/items?c=same" in str(info.value)
    assert "same cursor twice" in str(info.value)


async def test_query_secrets_redacted_by_name_and_by_value_in_events_and_errors() -> None:
    from restsync.events import Event, PageFetched, RequestSent

    def handler(request: Request) -> Any:
        if "start=2" in request.full_url():
            return reply({"error": f"bad key {SECRET}"}, status=400)
        # the server echoes the key under another name in its next link
        return reply({"data": [{"id": 1}],
                      "next": f"https://api.test/v1/items?start=2&echo={SECRET}"})
    ep = endpoint(path="/items", data_selector="data",
                  paginator={"type": "json_link", "next_url_path": "next"})
    seen: list[Event] = []
    config = client_config(auth={"type": "api_key", "name": "hkey", "api_key": SECRET,
                                 "location": "query"})
    async with ApiClient(config, transport=MemoryTransport(handler), events=seen.append,
                         sleeper=RecordingSleeper()) as client:
        with pytest.raises(Exception) as info:
            _ = [p async for p in client.pages(resource="items", endpoint=ep,
                                               paginator=ep.paginator)]
    urls = [e.url for e in seen if isinstance(e, RequestSent | PageFetched)]
    assert urls and all(SECRET not in u for u in urls)
    assert any("hkey=***" in u for u in urls)  # by name
    assert any("echo=***" in u for u in urls)  # by value
    assert SECRET not in str(info.value) and "echo=***" in str(info.value)
