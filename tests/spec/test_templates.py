"""Placeholder parsing and checking (dlt's str.format rules)."""

from __future__ import annotations

import pytest

from restsync.spec.templates import (
    Field,
    TemplateError,
    check_field,
    fields,
    parse,
    single_entity_path,
    walk_strings,
)


def test_parse_splits_text_and_fields_and_undoes_escapes() -> None:
    assert parse("a{{b}}c{resources.p.id}d") == ["a{b}c", Field("resources.p.id"), "d"]
    assert parse("{x:>3}{y!r}") == [Field("x", ">3"), Field("y", "", "r")]
    assert parse("plain") == ["plain"]


@pytest.mark.parametrize("text", ["{a", "a}", "{}", "{ }", "{a{b}}"])
def test_malformed_templates_are_errors(text: str) -> None:
    with pytest.raises(TemplateError):
        parse(text)


def test_field_roots_and_parents() -> None:
    assert Field("resources.posts.author.id").parent == ("posts", "author.id")
    assert Field("resources.posts").parent is None
    assert Field("incremental.start_value").root == "incremental"
    assert Field("org").root is None


@pytest.mark.parametrize(("text", "place", "has_inc", "problem"), [
    ("org", "path", False, None),
    ("org", "params", False, "placeholders there start with"),
    ("resources.p.id", "headers", False, None),
    ("resources.p", "json", False, "expected `{resources.<resource>.<field>}`"),
    ("incremental.start_value", "data", True, None),
    ("incremental.start_value", "params", False, "needs an `incremental`"),
    ("incremental.nope", "params", True, "unknown incremental value `nope`"),
    ("unknown.posts.id", "path", False, "unknown root `unknown`"),
])
def test_check_field(text: str, place: str, has_inc: bool, problem: str | None) -> None:
    found = check_field(Field(text), place, has_incremental=has_inc)
    assert found is None if problem is None else problem in str(found)


def test_walk_strings_reaches_keys_and_nested_values() -> None:
    found = list(walk_strings({"a": ["x", {"b": "y"}], "k{resources.p.id}": 1}))
    assert found == [(("a",), "a"), (("a", 0), "x"), (("a", 1, "b"), "b"),
                     (("a", 1, "b"), "y"), (("k{resources.p.id}",), "k{resources.p.id}")]
    assert [f.text for f in fields("{a}{b}{a}")] == ["a", "b", "a"]


@pytest.mark.parametrize(("path", "single"), [
    ("posts/{id}", True), ("posts/{resources.posts.id}/", True), ("p/{id}.json", True),
    ("posts/{id}/comments", False), ("posts", False), ("{org}/issues", False),
])
def test_single_entity_paths(path: str, single: bool) -> None:
    assert single_entity_path(path) is single
