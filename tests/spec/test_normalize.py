"""Dialect normalization and inferences beyond the seeds."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import SpecError
from restsync.spec import ValueResolver, load_spec
from restsync.spec.model import (
    ApiKeyAuth,
    BearerAuth,
    CursorPaginator,
    OffsetPaginator,
    SinglePagePaginator,
)
from restsync.spec.normalize import merge_defaults, to_identifier
from restsync.spec.paginators import field_from_cursor_param

VALUES = ValueResolver.from_values(secrets={"tok": "secret-tok"})


def one(endpoint: dict[str, Any], **resource: Any) -> dict[str, Any]:
    return {"client": {"base_url": "https://x"},
            "resources": [{"name": "r", "endpoint": {"path": "/r", **endpoint}, **resource}]}


def infer(config) -> dict[str, str]:
    return {i.path: i.message for i in config.inferences}


@pytest.mark.parametrize(("param", "field"), [
    ("id_greater_than", "id"), ("updated_after", "updated"), ("since_id", "id"),
    ("starting_after", "id"), ("cursor", "id"), (None, "id"), ("seq_gt", "seq"),
])
def test_field_from_cursor_param(param: str | None, field: str) -> None:
    assert field_from_cursor_param(param) == field


def test_last_record_cursor_with_default_param() -> None:
    config = load_spec(one({"data_selector": "items", "paginator": {
        "type": "cursor", "stop_condition": "len(response['items']) < 10"}}), values=VALUES)
    pag = config.resource("r").endpoint.paginator
    assert isinstance(pag, CursorPaginator)
    assert (pag.cursor_value, pag.cursor_param) == ("last_record.id", "cursor")
    messages = infer(config)
    assert "default field" in messages["resources[r].endpoint.paginator.cursor_value"]
    assert "`cursor` (dlt's default" in messages["resources[r].endpoint.paginator.cursor_param"]


def test_stop_condition_on_link_header_sets_cursor_path() -> None:
    config = load_spec(one({"paginator": {"type": "cursor",
                                          "stop_condition": "not headers.link.next.url"}}),
                       values=VALUES)
    pag = config.resource("r").endpoint.paginator
    assert isinstance(pag, CursorPaginator)
    assert pag.cursor_path == "headers.link.next.url" and pag.cursor_param is None
    assert "Link header (rel=next)" in infer(config)["resources[r].endpoint.paginator.cursor_path"]


def test_explicit_cursor_gets_no_path_inference() -> None:
    config = load_spec(one({"paginator": {"type": "cursor", "cursor_path": "meta.next",
                                          "cursor_param": "c", "limit": 5,
                                          "limit_param": "size"}, "data_selector": "data"}),
                       values=VALUES)
    assert infer(config) == {}


def test_paginator_shorthand_and_alias() -> None:
    config = load_spec(one({"paginator": "single_page"}), values=VALUES)
    assert isinstance(config.resource("r").endpoint.paginator, SinglePagePaginator)
    json_response = load_spec(one({"paginator": {"type": "json_response",
                                                 "next_url_path": "next"}}), values=VALUES)
    assert json_response.resource("r").endpoint.paginator.type == "json_link"  # type: ignore[union-attr]


def test_defaults_merge_like_dlt() -> None:
    """dlt's rule: endpoint keys replace whole (a paginator of the same type too), only
    params and json merge one level; other resource keys replace."""
    defaults = {"endpoint": {"params": {"a": 1}, "json": {"q": 1},
                             "headers": {"X-A": "1"},
                             "paginator": {"type": "offset", "limit": 10, "offset_param": "o"}},
                "primary_key": "id", "write_disposition": {"disposition": "merge"}}
    merged = merge_defaults(defaults, {"name": "r", "endpoint": {
        "params": {"b": 2}, "json": {"r": 2}, "headers": {"X-B": "2"},
        "paginator": {"type": "cursor", "cursor_path": "n"}}})
    assert merged["endpoint"]["params"] == {"a": 1, "b": 2}
    assert merged["endpoint"]["json"] == {"q": 1, "r": 2}
    assert merged["endpoint"]["headers"] == {"X-B": "2"}
    assert merged["endpoint"]["paginator"] == {"type": "cursor", "cursor_path": "n"}
    same_type = merge_defaults(defaults, {"endpoint": {"paginator": {"type": "offset",
                                                                     "limit": 20}}})
    assert same_type["endpoint"]["paginator"] == {"type": "offset", "limit": 20}
    assert merge_defaults(defaults, {"endpoint": "/p"})["endpoint"]["path"] == "/p"
    assert merge_defaults(defaults, {"write_disposition": "append"})["write_disposition"] \
        == "append"
    assert defaults["endpoint"]["params"] == {"a": 1}  # not mutated


def test_defaults_paginator_applies_to_resources() -> None:
    spec = {"client": {"base_url": "https://x"},
            "resource_defaults": {"endpoint": {"paginator": {"type": "offset", "limit": 5}}},
            "resources": ["a", {"name": "b", "endpoint": {"paginator": "single_page"}}]}
    config = load_spec(spec, values=VALUES)
    assert isinstance(config.resource("a").endpoint.paginator, OffsetPaginator)
    assert isinstance(config.resource("b").endpoint.paginator, SinglePagePaginator)


def test_auth_type_inferred_and_api_key() -> None:
    spec = one({})
    spec["client"]["auth"] = {"token": "${secrets.tok}"}
    config = load_spec(spec, values=VALUES)
    assert isinstance(config.client.auth, BearerAuth)
    assert "inferred from its keys" in infer(config)["client.auth.type"]
    spec["client"]["auth"] = {"type": "api_key", "name": "X-Key", "api_key": "${secrets.tok}",
                              "location": "query"}
    key = load_spec(spec, values=VALUES).client.auth
    assert isinstance(key, ApiKeyAuth) and key.location == "query"


def test_retry_forms() -> None:
    spec = one({})
    spec["client"]["retry"] = {"statuses": [429, 503], "max_retries": 3, "backoff_factor": 2,
                               "max_total_seconds": 60}
    retry = load_spec(spec, values=VALUES).client.retry
    assert len(retry.rules) == 1 and retry.rules[0].statuses == [429, 503]
    assert retry.max_total_seconds == 60
    spec["client"]["retry"] = [{"statuses": [429], "constant": 7200, "max_retries": 12},
                               {"statuses": [500, "transport"], "backoff_factor": 3}]
    rules = load_spec(spec, values=VALUES).client.retry.rules
    assert [r.constant for r in rules] == [7200, None]
    assert rules[1].statuses == [500, "transport"]
    assert load_spec(one({}), values=VALUES).client.retry.rules[0].statuses[0] == 429


def test_resource_options() -> None:
    config = load_spec(one({"json": {"q": 1}, "method": "post", "data_selector": ["a", "b"]},
                           write_disposition={"disposition": "replace"},
                           include_from_parent="id", table_name="t", primary_key=["a", "b"],
                           processing_steps=[{"filter": "record.ok"}, {"map": {"x": "record.y"}}]),
                       values=VALUES)
    r = config.resource("r")
    assert r.endpoint.json_body == {"q": 1} and r.endpoint.method == "POST"
    assert r.endpoint.data_selector == "a.b"
    assert r.write_disposition == "replace" and r.include_from_parent == ["id"]
    assert [s.filter for s in r.processing_steps] == ["record.ok", None]
    assert r.processing_steps[1].map == {"x": "record.y"}


def test_incremental_sync_with_start_param_and_format() -> None:
    config = load_spec(one({}, incremental_sync={
        "cursor_field": "updated_at", "start_datetime": "2024-01-01T00:00:00Z",
        "start_param": "since", "datetime_format": "%Y-%m-%dT%H:%M:%S.%fZ"}), values=VALUES)
    inc = config.resource("r").endpoint.incremental
    assert inc is not None and inc.start_param == "since"
    messages = infer(config)
    assert "sent as `since`" in messages["resources[r].incremental_sync"]
    assert inc.datetime_format == "%Y-%m-%dT%H:%M:%S.%fZ"  # honoured as written


def test_names_and_params() -> None:
    assert to_identifier("My API v2!") == "my_api_v2"
    assert to_identifier("2fa-service") == "_2fa_service"
    assert to_identifier("") == "rest_api"
    config = load_spec(one({}), values=VALUES, name="Calendar API",
                       params={"provider": ["google", "microsoft"]})
    assert config.name == "calendar_api"
    assert config.params == {"provider": ["google", "microsoft"]}
    assert load_spec(one({}), values=VALUES).name == "rest_api"
    with pytest.raises(SpecError, match="--param bad name"):
        load_spec(one({}), values=VALUES, params={"bad name": ["x"]})


def test_resolve_values_false_uses_placeholders() -> None:
    spec = one({"params": {"since": "${config.since}"}})
    spec["client"]["auth"] = {"type": "bearer", "token": "${secrets.nothing}"}
    config = load_spec(spec, resolve_values=False)
    assert config.client.auth is not None
    assert config.resource("r").endpoint.params["since"] == "${config.since}"
