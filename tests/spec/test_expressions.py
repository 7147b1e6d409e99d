"""Restricted-expression validation and tested-path analysis."""

from __future__ import annotations

import pytest

from restsync.spec import expressions
from restsync.spec.expressions import validate_expression


@pytest.mark.parametrize("expr", [
    "not response.get('nextPageToken', {})",
    "not response.result.emailClick or len(response.result.emailClick) < 200",
    "not headers.link.next.url",
    "last_page_size < 50 and last_record['id'] > 10",
    "record.status in ('active', 'pending')",
    "record.price * 100 if record.price else 0",
    "response['items'][0:2] == []",
    "2 ** 3 > last_page_size",
    "all([str(record.get('name')) == 'a', abs(-1) == 1])",
])
def test_valid_expressions(expr: str) -> None:
    assert validate_expression(expr) == []


@pytest.mark.parametrize(("expr", "fragment"), [
    ("__import__('os')", "call of '__import__' is not allowed"),
    ("response.__class__", "attribute '__class__' is not allowed"),
    ("(lambda: 1)()", "a lambda is not allowed"),
    ("[x for x in response]", "a comprehension is not allowed"),
    ("open('/etc/passwd')", "call of 'open' is not allowed"),
    ("response.get(x := 1)", "assignment (:=)"),
    ("f'{response}'", "an f-string is not allowed"),
    ("response.pop('a')", "method '.pop()' is not allowed"),
    ("record.name.lower()", "method '.lower()' is not allowed"),
    ("len(*response)", "starred arguments"),
    ("-" * 400 + "1", "too complex"),
    ("not (", "not a valid expression"),
    ("", "the expression is empty"),
    ("x" * 1200, "longer than"),
    ("_secret", "name '_secret' is not allowed"),
    ("len(response, key=1)", "keyword arguments"),
])
def test_invalid_expressions(expr: str, fragment: str) -> None:
    problems = validate_expression(expr)
    assert any(fragment in p for p in problems), problems


def test_names_are_checked_when_given() -> None:
    from restsync.spec.expressions import PROCESSING_NAMES, STOP_CONDITION_NAMES

    assert validate_expression("not response.next", STOP_CONDITION_NAMES) == []
    problems = validate_expression("not resp.next", STOP_CONDITION_NAMES)
    assert problems and "unknown name 'resp'" in problems[0]
    assert validate_expression("len(record.tags) > 0", PROCESSING_NAMES) == []
    assert validate_expression("response.x", PROCESSING_NAMES)


def test_tested_paths() -> None:
    paths_of = expressions.tested_paths
    assert paths_of("not response.get('nextPageToken', {})") == [("response", "nextPageToken")]
    assert paths_of("not headers.link.next.url") == [("headers", "link", "next", "url")]
    assert paths_of(
        "not response.result.emailClick or len(response.result.emailClick) < 200"
    ) == [("response", "result", "emailClick")]
    assert paths_of("response['paging']['next'] is None and last_page_size == 0") == [
        ("response", "paging", "next"), ("last_page_size",)]
    assert paths_of("response.get('a', response.b)") == [("response", "a"), ("response", "b")]
    assert paths_of("not (") == []
