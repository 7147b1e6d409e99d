"""dlt-dialect configs that dlt refuses (and a few restsync cannot run): each is refused before
any request, at its own config path, with a message that says what to write instead."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import ConfigError, MissingValuesError, SpecError
from restsync.plan import build_plan
from restsync.spec import ValueResolver, load_spec

NO_VALUES = ValueResolver.from_values()
BASE = {"base_url": "https://api.example.com"}


def one(endpoint: Any, **resource: Any) -> dict[str, Any]:
    return {"client": dict(BASE), "resources": [{"name": "posts", "endpoint": endpoint,
                                                 **resource}]}


def child(endpoint: Any) -> dict[str, Any]:
    return {"client": dict(BASE), "resources": ["posts", {"name": "comments",
                                                          "endpoint": endpoint}]}


EP = "resources[posts].endpoint"
CEP = "resources[comments].endpoint"

# (id, config, path of the problem, words of the message)
SPEC_CASES: list[tuple[str, Any, str, str]] = [
    ("no-resources", {"client": {"base_url": ""}}, "resources", "non-empty list"),
    ("no-client", {"resources": []}, "client", "the spec has no 'client'"),
    ("unknown-client-key", {"client": {**BASE, "invalid_key": 1}, "resources": ["posts"]},
     "client.invalid_key", "unknown client key 'invalid_key'"),
    ("unknown-paginator-shorthand", {"client": {**BASE, "paginator": "invalid_paginator"},
                                     "resources": ["posts"]},
     "client.paginator.type", "unknown paginator type 'invalid_paginator'"),
    ("unknown-auth-shorthand", {"client": {**BASE, "auth": "oauth3"}, "resources": ["posts"]},
     "client.auth.type", "unknown auth type 'oauth3'"),
    ("api-key-bad-location", {"client": {**BASE, "auth": {"type": "api_key", "api_key": "k",
                                                          "location": "body"}},
                              "resources": ["posts"]},
     "client.auth.location", "'header', 'query' or 'cookie'"),
    ("unknown-root-in-path", one("posts/{unknown.posts.id}"), f"{EP}.path",
     "unknown root `unknown`"),
    ("unknown-root-in-params", one({"path": "p", "params": {"id": "{unknown.posts.id}"}}),
     f"{EP}.params.id", "unknown root `unknown`"),
    ("unknown-root-in-json", one({"path": "p", "method": "POST",
                                  "json": {"a": {"b": "{user.id}"}}}),
     f"{EP}.json.a.b", "unknown root `user`"),
    ("unknown-root-in-headers", one({"path": "p", "headers": {"X": "{env.token}"}}),
     f"{EP}.headers.X", "unknown root `env`"),
    ("unknown-root-in-data", one({"path": "p", "method": "POST", "data": {"a": "{x.y}"}}),
     f"{EP}.data.a", "unknown root `x`"),
    ("plain-name-in-params", one({"path": "p", "params": {"q": "{term}"}}), f"{EP}.params.q",
     "placeholders there start with `resources.` or `incremental.`"),
    ("plain-name-in-json", one({"path": "p", "method": "POST", "json": {"query": "{ x }"}}),
     f"{EP}.json.query", "write {{ and }} for literal braces"),
    ("resources-two-parts", child("posts/{resources.posts}/comments"), f"{CEP}.path",
     "expected `{resources.<resource>.<field>}`"),
    ("incremental-without-incremental", one({"path": "p", "params": {
        "since": "{incremental.start_value}"}}), f"{EP}.params.since",
     "needs an `incremental` on the endpoint"),
    ("incremental-unknown-value", one({"path": "p", "params": {"s": "{incremental.first}"},
                                       "incremental": {"cursor_path": "t"}}),
     f"{EP}.params.s", "unknown incremental value `first`"),
    ("unbalanced-brace", one({"path": "p", "params": {"q": "{a"}}), f"{EP}.params.q",
     "write {{ and }} for literal braces"),
    ("single-closing-brace", one({"path": "p", "headers": {"X": "a}"}}), f"{EP}.headers.X",
     "Single '}'"),
    ("empty-placeholder", one({"path": "p", "params": {"q": "{}"}}), f"{EP}.params.q",
     "empty placeholder"),
    ("resolve-not-in-path", child({"path": "comments", "params": {
        "post_id": {"type": "resolve", "resource": "posts", "field": "id"}}}),
     f"{CEP}.params.post_id", "{resources.<parent>.<field>}"),
    ("two-incremental-params", one({"path": "p", "params": {
        "a": {"type": "incremental", "cursor_path": "t"},
        "b": {"type": "incremental", "cursor_path": "u"}}}),
     f"{EP}.params.b", "only one incremental per endpoint"),
    ("incremental-param-end-value", one({"path": "p", "params": {"since": {
        "type": "incremental", "cursor_path": "t", "end_value": "x"}}}),
     f"{EP}.params.since.end_value", "put end_value in endpoint.incremental"),
    ("incremental-param-end-param", one({"path": "p", "params": {"since": {
        "type": "incremental", "cursor_path": "t", "end_param": "until"}}}),
     f"{EP}.params.since.end_param", "put end_param in endpoint.incremental"),
    ("unknown-param-type", one({"path": "p", "params": {"since": {
        "type": "no_incremental", "cursor_path": "t"}}}),
     f"{EP}.params.since.type", "unknown param type 'no_incremental'"),
    ("last-value-func-min", one({"path": "p", "incremental": {"cursor_path": "t",
                                                               "last_value_func": "min"}}),
     f"{EP}.incremental.last_value_func", "last_value_func 'min' is not supported"),
    ("external-scheduler", one({"path": "p", "incremental": {
        "cursor_path": "t", "allow_external_schedulers": True}}),
     f"{EP}.incremental.allow_external_schedulers", "no external scheduler"),
    ("incremental-transform", one({"path": "p", "incremental": {"cursor_path": "t",
                                                                 "transform": "x"}}),
     f"{EP}.incremental.transform", "deprecated name of `convert`"),
    ("json-and-data", one({"path": "p", "method": "POST", "json": {"a": 1}, "data": {"b": 2}}),
     f"{EP}.data", "give either json or data"),
    ("data-not-pairs", one({"path": "p", "method": "POST", "data": [["a", 1, 2]]}),
     f"{EP}.data", "[name, value] pairs"),
    ("offset-shorthand", one({"path": "p", "paginator": "offset"}), f"{EP}.paginator.limit",
     "`paginator: offset` needs arguments"),
    ("paginator-without-type", one({"path": "p", "paginator": {"next_url_path": "n"}}),
     f"{EP}.paginator", "the paginator has no 'type'"),
    ("cursor-param-and-body", one({"path": "p", "paginator": {
        "type": "cursor", "cursor_param": "c", "cursor_body_path": "c"}}),
     f"{EP}.paginator", "give either cursor_param or cursor_body_path"),
    ("page-number-never-stops", one({"path": "p", "paginator": {
        "type": "page_number", "total_path": None, "stop_after_empty_page": False}}),
     f"{EP}.paginator", "paging would never stop"),
    ("merge-strategy-scd2", one("p", write_disposition={"disposition": "merge",
                                                        "strategy": "scd2"}),
     "resources[posts].write_disposition.strategy", "merge strategy 'scd2' is not supported"),
    ("merge-key-not-a-name", one("p", merge_key=5, write_disposition="merge"),
     "resources[posts].merge_key", "a key is a column name or a list of column names"),
    ("merge-key-list-of-non-names", one("p", merge_key=["day", 3]),
     "resources[posts].merge_key", "a key is a column name or a list of column names"),
    ("upsert-without-primary-key", one("p", write_disposition={"disposition": "merge",
                                                              "strategy": "upsert"}),
     "resources[posts].write_disposition.strategy", "the upsert strategy needs a primary_key"),
    ("nested-hints-unsupported", one("p", nested_hints={"x": {}}),
     "resources[posts].nested_hints", "not supported by restsync yet"),
    ("yield-map-in-data-spec", one("p", processing_steps=[{"yield_map": "explode"}]),
     "resources[posts].processing_steps[0].yield_map", "yield_map is a Python callable"),
    ("table-format-unknown", one("p", table_format="orc"), "resources[posts].table_format",
     "'delta', 'iceberg', 'hive' or 'native'"),
    ("file-format-unknown", one("p", file_format="xlsx"), "resources[posts].file_format",
     "unknown file format 'xlsx'"),
    ("duplicate-resource", {"client": dict(BASE), "resources": ["posts", "posts"]},
     "resources[posts].name", "used twice"),
    ("oauth2-session", {"client": {**BASE, "auth": {"type": "oauth2_client_credentials",
                                                    "session": "s"}}, "resources": ["p"]},
     "client.auth.session", "a custom requests session is not supported"),
]


@pytest.mark.parametrize(("config", "path", "words"), [c[1:] for c in SPEC_CASES],
                         ids=[c[0] for c in SPEC_CASES])
def test_refused_at_its_path(config: Any, path: str, words: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(config, values=NO_VALUES, name="invalid_config")
    found = [i for i in info.value.issues if i.path == path]
    assert found, [str(i) for i in info.value.issues]
    assert any(words in i.message for i in found), [str(i) for i in found]


# configs whose problem shows when the resource graph is built (still before any request)
PLAN_CASES: list[tuple[str, Any, str, str]] = [
    ("resolve-unknown-resource", {"client": dict(BASE), "resources": [
        "issues", {"name": "comments", "endpoint": {"path": "issues/{id}/comments", "params": {
            "id": {"type": "resolve", "resource": "issuess", "field": "id"}}}}]},
     "resources[comments].endpoint", "`issuess`, which does not exist"),
    ("path-params-without-values", {"client": dict(BASE), "resources": [
        {"name": "issues", "endpoint": {"path": "{org}/{repo}/issues/"}}]},
     "resources[issues].endpoint.path", "placeholder `{org}` names no resource"),
    ("two-unrelated-parents", {"client": dict(BASE), "resources": [
        "posts", "users", {"name": "x", "endpoint": {
            "path": "posts/{resources.posts.id}", "params": {"u": "{resources.users.id}"}}}]},
     "resources[x].endpoint.path", "not on one parent chain"),
    ("include-from-parent-without-parent", {"client": dict(BASE), "resources": [
        {"name": "posts", "include_from_parent": ["id"]}]},
     "resources[posts].include_from_parent", "needs a parent resource"),
    ("resource-refers-to-itself", {"client": dict(BASE), "resources": [
        {"name": "posts", "endpoint": "posts/{resources.posts.id}"}]},
     "resources[posts].endpoint", "refers to the resource itself"),
]


@pytest.mark.parametrize(("config", "path", "words"), [c[1:] for c in PLAN_CASES],
                         ids=[c[0] for c in PLAN_CASES])
def test_refused_when_the_plan_is_built(config: Any, path: str, words: str) -> None:
    with pytest.raises(SpecError) as info:
        build_plan(load_spec(config, values=NO_VALUES))
    found = [i for i in info.value.issues if i.path == path]
    assert found and any(words in i.message for i in found), [str(i) for i in
                                                              info.value.issues]


@pytest.mark.parametrize("auth", ["api_key", {"type": "api_key", "location": "header"}])
def test_missing_credentials_name_the_configuration_keys(auth: Any) -> None:
    """dlt: the shorthand takes its credentials from configuration; none there is an error
    naming where to put them, before any request."""
    config = {"client": {**BASE, "auth": auth}, "resources": ["posts"]}
    resolver = ValueResolver(environ={}, use_files=False)
    with pytest.raises(MissingValuesError) as info:
        load_spec(config, values=resolver, name="invalid_config")
    [missing] = info.value.missing
    assert (missing.name, missing.path) == ("credentials.api_key", "client.auth.api_key")
    assert "CREDENTIALS__API_KEY" in str(info.value)
    assert "SOURCES__INVALID_CONFIG__<NAME>" in str(info.value)


def test_check_mode_shows_credentials_from_configuration_as_inferences() -> None:
    config = load_spec({"client": {**BASE, "auth": "bearer"}, "resources": ["posts"]},
                       resolve_values=False)
    messages = {i.path: i.message for i in config.inferences}
    assert "credentials.token" in messages["client.auth.token"]
    assert "CREDENTIALS__TOKEN" in messages["client.auth.token"]


class _Module:
    """Classes named and placed like dlt's, for refusals (restsync never imports dlt)."""

    HeaderLinkPaginator = type("HeaderLinkPaginator", (), {
        "__module__": "dlt.sources.helpers.rest_client.paginators",
        "__init__": lambda self: setattr(self, "links_next_key", "next")})
    DltResource = type("DltResource", (), {"__module__": "dlt.extract.resource", "name": "r"})
    Session = type("Session", (), {"__module__": "requests.sessions"})


class CustomPaginator(_Module.HeaderLinkPaginator):  # type: ignore[misc,name-defined]
    def __init__(self) -> None:
        super().__init__()
        self.links_next_key = "prev"


PYTHON_REFUSED: list[tuple[str, Any, str, str]] = [
    ("subclass-of-dlt-paginator", one({"path": "p", "paginator": CustomPaginator()}),
     f"{EP}.paginator", "CustomPaginator is a subclass of dlt's HeaderLinkPaginator"),
    ("dlt-resource", {"client": dict(BASE), "resources": ["p", _Module.DltResource()]},
     "resources[1]", "a dlt resource"),
    ("requests-session", {"client": {**BASE, "session": _Module.Session()},
                          "resources": ["p"]}, "client.session", "requests Session"),
    ("callable-in-params", one({"path": "p", "params": {"since": len}}), f"{EP}.params.since",
     "a callable (len) is accepted only in"),
    ("callable-last-value-func", one({"path": "p", "incremental": {
        "cursor_path": "t", "last_value_func": min}}), f"{EP}.incremental.last_value_func",
     "a callable (min) is accepted only in"),
    ("callable-table-name-merge", one("p", table_name=lambda r: "t",
                                      write_disposition="merge"),
     "resources[posts].table_name", "write_disposition append only"),
]


@pytest.mark.parametrize(("config", "path", "words"), [c[1:] for c in PYTHON_REFUSED],
                         ids=[c[0] for c in PYTHON_REFUSED])
def test_python_objects_restsync_cannot_run_are_refused(config: Any, path: str,
                                                        words: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(config, values=NO_VALUES)
    found = [i for i in info.value.issues if i.path == path]
    assert found and any(words in i.message for i in found), [str(i) for i in
                                                              info.value.issues]


def test_documents_stay_data_only() -> None:
    """A document (or YAML/JSON/TOML) never accepts callables, even where dlt would."""
    text = ("```python\nsource = rest_api_source({'client': {'base_url': 'https://x'}, "
            "'resources': [{'name': 'p', 'processing_steps': [{'map': lambda r: r}]}]})\n```\n")
    with pytest.raises(SpecError, match="a lambda"):
        load_spec(text, values=NO_VALUES)
    with pytest.raises(ConfigError):
        load_spec("client: {base_url: 'https://x'}\nresources:\n  - name: p\n"
                  "    table_name: !!python/name:len\n", values=NO_VALUES)
