"""What each paginator says it decided after a page (``Page.decision``, shown by ``preview``)."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.extract import ApiClient, MemoryTransport, Request

from .conftest import client_config, endpoint, reply


async def decisions(handler: Any, paginator: dict[str, Any], selector: str = "data",
                    **client: Any) -> list[str]:
    ep = endpoint(path="/a", data_selector=selector, paginator=paginator)
    async with ApiClient(client_config(**client), transport=MemoryTransport(handler)) as c:
        return [p.decision async for p in c.pages(resource="r", endpoint=ep,
                                                  paginator=ep.paginator)]


def by_param(name: str, pages: dict[Any, dict[str, Any]],
             headers: dict[Any, dict[str, str]] | None = None) -> Any:
    def handler(request: Request) -> Any:
        value = request.params.get(name)
        key = None if value is None else str(value)
        return reply(pages[key], **(headers or {}).get(key, {}))
    return handler


CASES = [
    ("cursor from the body, then none",
     {"type": "cursor", "cursor_path": "paging.next", "cursor_param": "from"},
     by_param("from", {None: {"data": [{"id": 1}], "paging": {"next": "c2"}},
                       "c2": {"data": [{"id": 2}], "paging": {}}}),
     ["next: cursor 'c2' from `paging.next` in the body, sent as parameter `from`",
      "stop: no cursor at `paging.next` in the body (found None)"]),
    ("empty page",
     {"type": "cursor", "cursor_path": "next", "cursor_param": "c"},
     by_param("c", {None: {"data": [], "next": "x"}}),
     ["stop: the page has no records (stop_after_empty_page)"]),
    ("stop condition",
     {"type": "cursor", "cursor_path": "next", "cursor_param": "c",
      "stop_condition": "page >= 1"},
     by_param("c", {None: {"data": [{"id": 1}], "next": "x"}}),
     ["stop: stop_condition `page >= 1` is true"]),
    ("offset without total",
     {"type": "offset", "limit": 2, "offset_param": "skip", "total_path": None},
     by_param("skip", {"0": {"data": [{"id": 1}, {"id": 2}]}, "2": {"data": []}}),
     ["next: offset 2 sent as `skip`, limit 2",
      "stop: the page has no records (stop_after_empty_page)"]),
    ("offset with total",
     {"type": "offset", "limit": 1},
     by_param("offset", {"0": {"data": [{"id": 1}], "total": 2},
                         "1": {"data": [{"id": 2}], "total": 2}}),
     ["next: offset 1 sent as `offset`, limit 1 (total 2 from `total`)",
      "stop: offset 2 reached the total 2 from `total`"]),
    ("page number with total pages",
     {"type": "page_number", "base_page": 1, "total_path": "pages"},
     by_param("page", {"1": {"data": [{"id": 1}], "pages": 2},
                       "2": {"data": [{"id": 2}], "pages": 2}}),
     ["next: page 2 sent as `page` (2 pages from `pages`)",
      "stop: page 2 was the last of the 2 pages from `pages`"]),
    ("single page",
     {"type": "single_page"},
     by_param("x", {None: {"data": [{"id": 1}], "next": "y"}}),
     ["stop: single page"]),
    ("header cursor",
     {"type": "header_cursor", "cursor_key": "X-Next", "cursor_param": "c"},
     by_param("c", {None: {"data": [{"id": 1}]}, "k2": {"data": [{"id": 2}]}},
              headers={None: {"X-Next": "k2"}}),
     ["next: cursor 'k2' from header `X-Next`, sent as parameter `c`",
      "stop: no `X-Next` header"]),
]


@pytest.mark.parametrize(("case", "paginator", "handler", "expected"), CASES,
                         ids=[c[0] for c in CASES])
async def test_decision_says_what_and_where_from(case: str, paginator: dict[str, Any],
                                                 handler: Any, expected: list[str]) -> None:
    assert await decisions(handler, paginator) == expected


async def test_link_header_decisions_name_the_url_and_the_relation() -> None:
    def handler(request: Request) -> Any:
        if "p=2" in request.full_url():
            return reply({"data": [{"id": 2}]})
        return reply({"data": [{"id": 1}]}, Link='<https://api.test/a?p=2>; rel="next"')

    got = await decisions(handler, {"type": "header_link"})
    assert got == ['next: URL https://api.test/a?p=2 (from the Link header, rel="next")',
                   'stop: no Link header with rel="next"']


async def test_a_next_url_in_a_decision_is_redacted() -> None:
    def handler(request: Request) -> Any:
        if "p=2" in request.full_url():
            return reply({"data": [{"id": 2}]})
        return reply({"data": [{"id": 1}], "next": "https://api.test/a?p=2&api_key=s3cr3t-v4lue"})

    got = await decisions(handler, {"type": "json_link", "next_url_path": "next"})
    assert got[0] == "next: URL https://api.test/a?p=2&api_key=*** (from `next` in the body)"
    assert "s3cr3t" not in "".join(got)
