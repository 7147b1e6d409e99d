"""Rendering templates: typed JSON values, escapes, one path segment per value, safe headers."""

from __future__ import annotations

import pytest

from restsync.errors import ConfigError, ResponseError
from restsync.extract.interpolate import render, render_headers, render_path

VALUES = {"resources.p.id": 7, "resources.p.name": "a b", "org": "x/y",
          "incremental.start_value": "2024-01-01"}


def test_json_keeps_the_type_of_a_lone_placeholder() -> None:
    body = {"id": "{resources.p.id}", "label": "n{resources.p.id}", "esc": "{{x}}",
            "list": ["{resources.p.id}"], "n": 3}
    assert render(body, VALUES, "w", preserve_type=True) == {
        "id": 7, "label": "n7", "esc": "{x}", "list": [7], "n": 3}
    assert render(body, VALUES, "w")["id"] == "7"


def test_keys_are_rendered_too() -> None:
    assert render({"k_{resources.p.id}": "v"}, VALUES, "w") == {"k_7": "v"}


def test_format_spec_and_conversion() -> None:
    assert render("{resources.p.id:03d}|{resources.p.name!r}", VALUES, "w") == "007|'a b'"


def test_missing_value_is_a_located_error() -> None:
    with pytest.raises(ConfigError, match=r"w: placeholder \{resources.q.id\} has no value"):
        render("{resources.q.id}", VALUES, "w")


@pytest.mark.parametrize(("value", "segment"), [
    ("..", "%2E%2E"), (".", "%2E"), ("a/b", "a%2Fb"), ("...", "..."), ("a b", "a%20b"),
    ("%2e%2e", "%252e%252e"), ("?x", "%3Fx"), ("#", "%23"),
])
def test_path_values_stay_one_segment(value: str, segment: str) -> None:
    assert render_path("items/{v}/d", {"v": value}, "w") == f"items/{segment}/d"


def test_a_dot_segment_made_with_literal_text_is_encoded_too() -> None:
    assert render_path("items/.{v}/d", {"v": "."}, "w") == "items/%2E%2E/d"
    assert render_path("a/{{b}}/../c", {}, "w") == "a/{b}/../c"  # literal text: as written


def test_headers_from_data_cannot_carry_line_breaks() -> None:
    assert render_headers({"X": "p-{org}"}, VALUES, "w") == {"X": "p-x/y"}
    with pytest.raises(ResponseError, match="line break"):
        render_headers({"X": "{org}"}, {"org": "a\r\nB: c"}, "w")
