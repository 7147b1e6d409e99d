"""dlt objects from the Python API, read by their attributes (restsync never imports dlt)."""

from __future__ import annotations

from typing import Any

from tests.e2e.dlt_python_cases import StandIns

from restsync.spec import ValueResolver, load_spec
from restsync.spec.code import UserCode
from restsync.spec.model import (
    ApiKeyAuth,
    CursorPaginator,
    JsonLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)

VALUES = ValueResolver.from_values()


def spec(**endpoint: Any) -> dict[str, Any]:
    return {"client": {"base_url": "https://x"},
            "resources": [{"name": "r", "endpoint": {"path": "r", **endpoint}}]}


def test_paginator_objects_become_their_configs() -> None:
    cases = [
        (StandIns.JSONLinkPaginator(next_url_path="a.b"), JsonLinkPaginator(next_url_path="a.b")),
        (StandIns.JSONResponseCursorPaginator(cursor_path="n", cursor_param="c"),
         CursorPaginator(cursor_path="n", cursor_param="c", stop_after_empty_page=False)),
        (StandIns.OffsetPaginator(limit=5, offset=10, maximum_offset=50),
         OffsetPaginator(limit=5, offset=10, maximum_offset=50)),
        (StandIns.PageNumberPaginator(base_page=1, page=3, total_path=None, maximum_page=9),
         PageNumberPaginator(base_page=1, page=3, total_path=None, maximum_page=9)),
    ]
    for given, expected in cases:
        got = load_spec(spec(paginator=given), values=VALUES).resource("r").endpoint.paginator
        assert got == expected, type(given).__name__


def test_auth_objects_missing_fields_come_from_configuration() -> None:
    config = {"client": {"base_url": "https://x",
                         "auth": StandIns.APIKeyAuth(location="query", name="k")},
              "resources": ["r"]}
    values = ValueResolver(environ={"CREDENTIALS__API_KEY": "from-env"}, use_files=False)
    auth = load_spec(config, values=values).client.auth
    assert isinstance(auth, ApiKeyAuth)
    assert (auth.name, auth.location, auth.api_key.get_secret_value()) == (
        "k", "query", "from-env")


def test_incremental_object_in_params() -> None:
    inc = StandIns.incremental(cursor_path="u", initial_value="2024-01-01", lag=60)
    endpoint = load_spec(spec(params={"since": inc}), values=VALUES).resource("r").endpoint
    assert endpoint.incremental is not None
    assert (endpoint.incremental.cursor_path, endpoint.incremental.start_param,
            endpoint.incremental.lag) == ("u", "since", 60)
    assert "since" not in endpoint.params


def test_callables_are_kept_where_dlt_calls_them_and_never_shown() -> None:
    def keep(record: dict[str, Any]) -> bool:
        return True
    config = {**spec(incremental={"cursor_path": "u", "convert": str}),
              "resources": [{"name": "r", "endpoint": {"path": "r", "incremental": {
                  "cursor_path": "u", "convert": str}},
                  "processing_steps": [{"filter": keep}], "table_name": lambda r: "t"}]}
    resource = load_spec(config, values=VALUES).resource("r")
    assert isinstance(resource.processing_steps[0].filter, UserCode)
    assert isinstance(resource.table_name, UserCode)
    assert resource.endpoint.incremental is not None
    assert isinstance(resource.endpoint.incremental.convert, UserCode)
    assert "keep" in repr(resource.processing_steps[0].filter)
    assert "<function" not in repr(resource)
