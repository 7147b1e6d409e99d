"""dlt's detection of records and paginators on the first response, and restsync's refusal
of responses that hint at more pages in no usable way."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import PaginationError
from restsync.extract.detect import detect_paginator, detect_records_path
from restsync.extract.http import json_response
from restsync.spec import model


@pytest.mark.parametrize(("body", "path"), [
    ([{"id": 1}], "$"),
    ({"id": 1}, "$"),
    ({"meta": {"n": 1}, "data": [1]}, "data"),
    ({"errors": [1], "results": [2]}, "results"),
    ({"errors": [1], "other": [2]}, "errors"),
    ({"a": {"b": {"items": [1]}}}, "a.b.items"),
    ({"a": {"b": {"c": {"items": [1]}}}}, "$"),
    ("text", "$"),
])
def test_records_path(body: Any, path: str) -> None:
    assert detect_records_path(body) == path


def detect(body: Any, headers: dict[str, str] | None = None, records: int = 1) -> Any:
    response = json_response(body, headers=headers, url="http://h/p")
    return detect_paginator(response, [{"id": i} for i in range(records)], "loc")


@pytest.mark.parametrize(("body", "headers", "expected"), [
    ({"data": []}, {"Link": '<http://h/p?page=2>; rel="next"'}, model.HeaderLinkPaginator()),
    ({"next": "http://h/p?page=2"}, None, model.JsonLinkPaginator(next_url_path="next")),
    ({"next_url": "/p?page=2"}, None, model.JsonLinkPaginator(next_url_path="next_url")),
    ({"links": {"next": {"href": "/p?x"}}}, None,
     model.JsonLinkPaginator(next_url_path="links.next.href")),
    ({"meta": {"total_pages": "4"}}, None, model.PageNumberPaginator(total_path="meta.total_pages")),
    ({"totalPages": 2}, None, model.PageNumberPaginator(total_path="totalPages")),
    ({"nextCursor": "abc"}, None, model.CursorPaginator(cursor_path="nextCursor",
                                                       cursor_param="cursor")),
    ({"next": "?page=2"}, None, model.CursorPaginator(cursor_path="next", cursor_param="cursor")),
    ({"next": None, "data": [1]}, None, model.SinglePagePaginator()),
    ({"data": [1], "total": 1}, None, model.SinglePagePaginator()),
])
def test_paginator(body: Any, headers: dict[str, str] | None, expected: Any) -> None:
    found, message = detect(body, headers)
    assert found == expected
    assert message


@pytest.mark.parametrize("body", [
    {"data": [1, 2], "total": 9}, {"items": [1], "has_more": True},
    {"x": [1], "paging": {"hasMore": True}}, {"rows": [1], "total_count": 5},
])
def test_hints_of_more_pages_without_a_way_to_get_them_are_refused(body: Any) -> None:
    with pytest.raises(PaginationError, match="refusing to load the first page only") as info:
        detect(body, records=1)
    assert info.value.location == "loc"
