"""dlt's paginator options in the runtime paginators: totals, has_more, body paths, empty
pages, and the auto paginator's delegation."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import PaginationError
from restsync.extract.http import Request, json_response
from restsync.extract.paginators import build_paginator
from restsync.spec import model


def step(pager: Any, body: Any, records: int, headers: dict[str, str] | None = None) -> None:
    pager.update_state(json_response(body, headers=headers, url="http://h/p"),
                       [{"i": i} for i in range(records)], location="loc")


def test_offset_uses_the_total_when_present_else_a_short_page() -> None:
    pager = build_paginator(model.OffsetPaginator(limit=2))
    request = Request("GET", "http://h/p")
    pager.init_request(request)
    assert request.params == {"offset": 0, "limit": 2}
    step(pager, {"total": 5}, 1)  # short page, but the total says more
    assert pager.has_next_page
    pager.update_request(request)
    step(pager, {"x": 1}, 1)  # no total in this response: the short page ends it
    assert not pager.has_next_page


def test_offset_without_total_path_goes_on_until_an_empty_page() -> None:
    pager = build_paginator(model.OffsetPaginator(limit=2, total_path=None))
    step(pager, {}, 1)
    assert pager.has_next_page
    step(pager, {}, 0)
    assert not pager.has_next_page


def test_has_more_path_stops_and_must_be_a_boolean() -> None:
    pager = build_paginator(model.PageNumberPaginator(total_path=None, has_more_path="m"))
    step(pager, {"m": "yes"}, 1)
    assert pager.has_next_page
    step(pager, {"m": False}, 1)
    assert not pager.has_next_page
    broken = build_paginator(model.CursorPaginator(cursor_path="n", has_more_path="m"))
    with pytest.raises(PaginationError, match="has_more_path `m` gave nothing"):
        step(broken, {"n": "x"}, 1)


def test_body_paths_put_the_values_in_the_json_body() -> None:
    pager = build_paginator(model.OffsetPaginator(limit=3, offset_body_path="p.o",
                                                  limit_body_path="p.l"))
    request = Request("POST", "http://h/p", json={"q": 1})
    pager.init_request(request)
    assert request.json == {"q": 1, "p": {"o": 0, "l": 3}} and request.params == {}
    pages = build_paginator(model.PageNumberPaginator(page_body_path="page", base_page=1))
    request = Request("POST", "http://h/p", json=None)
    pages.init_request(request)
    assert request.json == {"page": 1}


def test_cursor_may_go_on_over_an_empty_page_when_asked() -> None:
    pager = build_paginator(model.CursorPaginator(cursor_path="n", cursor_param="c",
                                                  stop_after_empty_page=False))
    step(pager, {"n": "c2"}, 0)
    assert pager.has_next_page
    default = build_paginator(model.CursorPaginator(cursor_path="n", cursor_param="c"))
    step(default, {"n": "c2"}, 0)
    assert not default.has_next_page


def test_auto_detects_then_delegates_and_resumes() -> None:
    pager = build_paginator(model.AutoPaginator())
    request = Request("GET", "http://h/p", params={"a": 1})
    pager.init_request(request)
    assert request.params == {"a": 1}  # the first request goes out as written
    step(pager, {"next_cursor": "c2"}, 1)
    assert pager.inference is not None and "cursor" in pager.inference
    pager.update_request(request)
    assert request.params == {"a": 1, "cursor": "c2"}
    state = pager.resume_state()
    again = build_paginator(model.AutoPaginator())
    again.restore(state)
    step(again, {"next_cursor": None}, 1)
    assert not again.has_next_page
