"""Fuzzing the spec loader: arbitrary dicts, resource lists, text and document-like text.

Properties checked on every input:

* the loader returns a :class:`SourceConfig` or raises a :class:`ConfigError` (exit code 2,
  nothing sent), never anything else;
* an invalid spec is a :class:`SpecError` whose every problem has a message, and whose text
  lists every problem; no error text ever holds the secret value;
* a valid spec has at least one resource, unique non-empty resource names, each with an
  endpoint path, and its auth never shows the secret in its repr;
* loading is deterministic: the same input gives the same result or the same error.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restsync.errors import ConfigError, SpecError
from restsync.spec import ValueResolver, load_spec
from restsync.spec.model import SourceConfig

SECRET = "s3cr3t-Fuzz-7781"
VALUES = ValueResolver.from_values(secrets={"tok": SECRET})

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


def _outcome(source: Any) -> SourceConfig | ConfigError:
    try:
        return load_spec(source, values=VALUES)
    except ConfigError as exc:
        return exc


def _load(source: Any) -> SourceConfig | ConfigError:
    """Load ``source`` twice and check every property; the first outcome."""
    first = _outcome(source)
    if isinstance(first, ConfigError):
        text = str(first)
        assert text.strip()
        assert SECRET not in text
        if isinstance(first, SpecError):
            assert first.issues
            for issue in first.issues:
                assert issue.message.strip()
                assert str(issue) in text
    else:
        names = [r.name for r in first.resources]
        assert names and all(names) and len(set(names)) == len(names)
        assert all(r.endpoint.path is not None for r in first.resources)
        assert SECRET not in repr(first.client.auth)
    second = _outcome(source)
    assert type(second) is type(first)
    if isinstance(first, SourceConfig):
        assert isinstance(second, SourceConfig)
        assert second.model_dump() == first.model_dump()
    else:
        assert str(second) == str(first)
    return first


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES_TREE, max_size=4))
def test_random_dicts(data: dict[str, Any]) -> None:
    _load(data)


@settings(max_examples=200, deadline=None)
@given(VALUES_TREE)
def test_random_resources(resources: Any) -> None:
    result = _load({"client": {"base_url": "https://x"}, "resources": resources})
    if isinstance(result, SourceConfig):
        assert result.client.base_url.startswith("https://x")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _load(text)


def test_the_properties_can_fail() -> None:
    """The checks above are not vacuous: a valid spec passes them, a bad one is a SpecError."""
    good = _load({"client": {"base_url": "https://x",
                             "auth": {"type": "bearer", "token": "${secrets.tok}"}},
                  "resources": ["a", {"name": "b", "endpoint": {"path": "b"}}]})
    assert isinstance(good, SourceConfig) and [r.name for r in good.resources] == ["a", "b"]
    bad = _load({"client": {"base_url": "https://x", "auth": {"type": "bearer", "x": 1}},
                 "resources": [{"name": "a", "write_disposition": "${secrets.tok}"}]})
    assert isinstance(bad, SpecError) and len(bad.issues) >= 2


FRAGMENTS = st.sampled_from([
    "```python\n", "```\n", "rest_api_source(", "{", "}", "[", "]", ":", ",", "'a'", '"b"',
    "dlt.secrets['k']", "lambda: 1", "// c\n", "# h\n", "\n", "client:", "  - x", "=", "1",
    "\"resources\"", "\"client\"", "__import__", "f'x'", "(", ")", "***", "\\", '"""',
])


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_random_document_like_text(text: str) -> None:
    _load(text)
