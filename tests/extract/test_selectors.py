"""Data selectors: dotted paths, JSONPath, whole body, and misses that must not be silent."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import ConfigError, ResponseError
from restsync.extract.selectors import DataSelector, find_path

LOC = "resource 'r', page 2, GET https://h/x"


def select(selector: Any, body: Any) -> list[dict[str, Any]]:
    return DataSelector(selector).select(body, location=LOC)


@pytest.mark.parametrize("selector", [None, "$", "[]", []])
def test_whole_body(selector: Any) -> None:
    assert select(selector, [{"a": 1}, {"a": 2}]) == [{"a": 1}, {"a": 2}]
    assert select(selector, {"email": "x"}) == [{"email": "x"}]  # single object -> one record


def test_dotted_path_and_single_object() -> None:
    assert select("result.emailClick", {"result": {"emailClick": [{"id": 1}]}}) == [{"id": 1}]
    assert select("data", {"data": {"id": 1}}) == [{"id": 1}]
    assert select("delivery-status.items", {"delivery-status": {"items": [{"a": 1}]}}) == [{"a": 1}]


def test_jsonpath_wildcards() -> None:
    body = {"dock": [{"name": "schedule", "id": 1}, {"name": "todos", "id": 2}]}
    assert [r["id"] for r in select("dock.*", body)] == [1, 2]
    assert [r["id"] for r in select("$.dock[*]", body)] == [1, 2]
    assert select("$.dock[?name == 'todos']", body) == [{"name": "todos", "id": 2}]
    assert select("dock.*", {"dock": []}) == []


def test_scalars_in_list_become_value_records() -> None:
    assert select("ids", {"ids": [1, 2]}) == [{"value": 1}, {"value": 2}]


def test_absent_leaf_with_zero_count_is_an_empty_page() -> None:
    assert select("result.emailClick", {"result": {"total_results": 0}}) == []
    assert select("result.emailClick", {"result": {}}) == []


@pytest.mark.parametrize(("selector", "body", "needle"), [
    ("result.emailClick", {"result": {"total_results": 5}}, "no 'emailClick' in result"),
    ("result.emailClick", {"error": "x"}, "no 'result' in the top of the body"),
    ("items", {"error": "bad", "other": []}, "keys there: error, other"),
    ("dock.*", {"project": {}}, "found nothing"),
    ("$.a.b", {"a": {"c": 1}}, "found nothing"),
])
def test_selector_miss_is_an_error(selector: str, body: Any, needle: str) -> None:
    with pytest.raises(ResponseError) as info:
        select(selector, body)
    assert needle in str(info.value)
    assert LOC in str(info.value) and selector in str(info.value)


@pytest.mark.parametrize("body", [{"data": "text"}, {"data": 3}])
def test_scalar_at_selector_is_an_error(body: Any) -> None:
    with pytest.raises(ResponseError, match="points to a"):
        select("data", body)


def test_scalar_whole_body_is_an_error() -> None:
    with pytest.raises(ResponseError):
        select(None, "just text")


def test_invalid_jsonpath_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"resources\[r\]\.endpoint\.data_selector"):
        DataSelector("$.a[", where="resources[r].endpoint.data_selector")


def test_find_path() -> None:
    body = {"paging": {"next": "u"}, "list": [{"x": 1}]}
    assert find_path(body, "paging.next") == "u"
    assert find_path(body, "paging.prev") is None
    assert find_path(body, "$.list[0].x") == 1
    assert find_path(body, "list.0.x") == 1
