"""Fuzz smoke test: arbitrary input never escapes as anything but a RestsyncError."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restsync.errors import RestsyncError
from restsync.spec import ValueResolver, load_spec

VALUES = ValueResolver.from_values(secrets={"tok": "t"})

KEYS = st.sampled_from([
    "client", "base_url", "auth", "type", "token", "resources", "name", "endpoint", "path",
    "paginator", "cursor", "cursor_path", "cursor_param", "limit", "stop_condition", "params",
    "resolve", "resource", "field", "incremental", "cursor_field", "incremental_sync",
    "resource_defaults", "data_selector", "write_disposition", "processing_steps", "filter",
    "map", "retry", "statuses", "offset", "json_link", "bearer", "oauth2", "x",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=20), KEYS,
    st.sampled_from(["${secrets.tok}", "${config.nope}", "$${x}", "not response.get('n')",
                     "__import__('os')", "headers.link.next.url", "last_record.id", "[]", "$"]),
)
VALUES_TREE = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=30,
)


def _load(source: Any) -> None:
    with contextlib.suppress(RestsyncError):
        load_spec(source, values=VALUES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES_TREE, max_size=4))
def test_random_dicts(data: dict[str, Any]) -> None:
    _load(data)


@settings(max_examples=200, deadline=None)
@given(VALUES_TREE)
def test_random_resources(resources: Any) -> None:
    _load({"client": {"base_url": "https://x"}, "resources": resources})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _load(text)


FRAGMENTS = st.sampled_from([
    "```python\n", "```\n", "rest_api_source(", "{", "}", "[", "]", ":", ",", "'a'", '"b"',
    "dlt.secrets['k']", "lambda: 1", "// c\n", "# h\n", "\n", "client:", "  - x", "=", "1",
    "\"resources\"", "\"client\"", "__import__", "f'x'", "(", ")", "***", "\\", '"""',
])


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_random_document_like_text(text: str) -> None:
    _load(text)
