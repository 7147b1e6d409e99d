"""The expression sandbox: the seeds' expressions work, hostile inputs are refused quickly."""

from __future__ import annotations

import time
from typing import Any

import pytest

from restsync.errors import ConfigError, ResponseError
from restsync.extract.expressions import PROCESSING_NAMES, compile_expression
from restsync.extract.http import json_response
from restsync.extract.paginators import expression_names

WHERE = "resources[x].endpoint.paginator.stop_condition"


def ev(text: str, **names: Any) -> Any:
    base: dict[str, Any] = {"response": {}, "headers": {}, "last_record": None,
                            "page_records": 0, "last_page_size": 0, "config": {}}
    base.update(names)
    return compile_expression(text, WHERE).evaluate(base, location="resource 'x', page 1")


@pytest.mark.parametrize(("body", "expected"), [
    ({"nextPageToken": "abc"}, False), ({}, True), ({"nextPageToken": ""}, True),
    ({"nextPageToken": None}, True),
])
def test_seed_get_expression(body: dict[str, Any], expected: bool) -> None:
    assert ev("not response.get('nextPageToken', {})", response=body) is expected


@pytest.mark.parametrize(("body", "expected"), [
    ({"result": {"emailClick": [{}] * 200}}, False),
    ({"result": {"emailClick": [{}] * 199}}, True),
    ({"result": {"total_results": 0}}, True),  # key absent -> empty, no error
    ({}, True),
])
def test_seed_attribute_expression(body: dict[str, Any], expected: bool) -> None:
    text = "not response.result.emailClick or len(response.result.emailClick) < 200"
    assert ev(text, response=body) is expected


def test_seed_link_header_expression() -> None:
    expr = compile_expression("not headers.link.next.url", WHERE)
    with_next = json_response({}, headers={"Link": '<https://h/p2>; rel="next"'}, url="https://h/p1")
    without = json_response({}, url="https://h/p1")
    assert expr.evaluate(expression_names(with_next, [{}], {})) is False
    assert expr.evaluate(expression_names(without, [{}], {})) is True


def test_headers_are_case_insensitive_and_dash_tolerant() -> None:
    response = json_response({}, headers={"X-Has-More": "true"})
    names = expression_names(response, [{"id": 3}], {"limit": 5})
    assert compile_expression("headers['x-has-more'] == 'true' and headers.X_Has_More == 'true'",
                              WHERE).evaluate(names) is True
    assert compile_expression("last_record.id + config.limit", WHERE).evaluate(names) == 8


def test_body_keys_shadow_nothing() -> None:
    # "values"/"items"/"keys" are body keys, not dict methods
    assert ev("response.values[0].id", response={"values": [{"id": 7}]}) == 7
    assert ev("len(response.items)", response={"items": [1, 2]}) == 2


def test_misc_operations() -> None:
    assert ev("max(1, page_records) if page_records else -1", page_records=4) == 4
    assert ev("'a' in response.tags", response={"tags": ["a"]}) is True
    assert ev("response.missing is None", response={}) is True
    assert ev("response.n * 2 ** 3", response={"n": 2}) == 16
    assert ev("{'a': 1}.get('a')") == 1


@pytest.mark.parametrize("text", [
    "().__class__", "response.__class__", "__import__('os')", "response._private",
    "lambda: 1", "[x for x in response]", "open('/etc/passwd')", "response.get.__self__",
    "'x'.upper()", "getattr(response, 'a')", "f'{response}'", "(y := 1)",
    "exec('1')", "len(*response)", "print(1)", "response.keys()",
])
def test_hostile_or_unsupported_refused_at_compile(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        compile_expression(text, WHERE)
    assert WHERE in str(info.value)


@pytest.mark.parametrize("text", [
    "9**9**9", "10**1000", "'a' * 10**6", "[1] * 10**7", "2**4000 * 2**4000",
])
def test_resource_bombs_refused_quickly(text: str) -> None:
    start = time.monotonic()
    with pytest.raises(ResponseError, match=r"resource 'x', page 1"):
        ev(text)
    assert time.monotonic() - start < 0.5


def test_huge_string_concatenation_refused() -> None:
    big = "a" * 60_000
    with pytest.raises(ResponseError, match="longer than"):
        ev("response.s + response.s", response={"s": big})


@pytest.mark.parametrize("text", ["(" * 300 + "1" + ")" * 300, "not " * 200 + "1",
                                  "a" * 2000, "-" * 100 + "1", "[" * 40 + "]" * 40])
def test_deep_or_long_expressions_refused(text: str) -> None:
    start = time.monotonic()
    with pytest.raises(ConfigError):
        compile_expression(text, WHERE)
    assert time.monotonic() - start < 0.5


def test_runtime_type_error_names_location() -> None:
    with pytest.raises(ResponseError, match="resource 'x', page 1") as info:
        ev("response.a < 3", response={"a": "text"})
    assert "stop_condition" in str(info.value)


def test_processing_names() -> None:
    expr = compile_expression("record.status == 'sent'", "resources[x].processing_steps[0]",
                              PROCESSING_NAMES)
    assert expr.evaluate({"record": {"status": "sent"}, "config": {}}) is True
    with pytest.raises(ConfigError, match="unknown name 'response'"):
        compile_expression("response.x", "p", PROCESSING_NAMES)


def test_values_returned_plain() -> None:
    assert ev("response.obj", response={"obj": {"a": 1}}) == {"a": 1}
    assert isinstance(ev("response.obj", response={"obj": {"a": 1}}), dict)
    assert ev("response.nothing") is None
