"""Hostile ids through every placeholder form: each value stays one path segment.

issue 15 item 3: a parent id of ``..`` once went out raw (``GET /items/..``), moving the child
request (credentials included) to another path. Every form that puts data into a path is
walked with a table of hostile values; the raw request lines a loopback server receives must
all be ``/items/<one segment>/details``, with the value percent-encoded in that segment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

import restsync
from restsync.spec.values import ValueResolver
from tests.recording_server import Recorded, Reply, recording_server

HOSTILE = ["..", ".", "../admin", "a/b", "..%2F", "%2e%2e", "a?x=1", "a#frag", "a b", "ü",
           "\\..", "...", "%", "/", "./.", "..;", "a\tb"]


def segment(value: str) -> str:
    """How a value must appear in the raw path: percent-encoded, dot segments too."""
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def answer(request: Recorded, base: str) -> Reply:
    if request.path == "/parents":
        return Reply([{"id": v, "nested": {"key": v}} for v in HOSTILE])
    return Reply([{"ok": 1}])


def run(resources: list[Any], tmp_path: Path, params: dict[str, list[str]] | None = None
        ) -> list[Recorded]:
    with recording_server(handler=answer) as server:
        config = {"client": {"base_url": server.base_url,
                             "auth": {"type": "bearer", "token": "secret-token"}},
                  "resources": resources}
        source = restsync.rest_api_source(config, params=params,
                                          values=ValueResolver.from_values())
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}").run(source)
        failed = {n: o.error for n, o in info.outcomes.items() if o.status == "failed"}
        assert not failed, failed
        return [r for r in server.requests if r.path != "/parents"]


def assert_one_segment_each(requests: list[Recorded], values: list[str]) -> None:
    targets = sorted(r.target for r in requests)
    assert targets == sorted(f"/items/{segment(v)}/details" for v in values)
    for request in requests:
        parts = request.target.split("/")
        assert len(parts) == 4 and parts[1] == "items" and parts[3] == "details", request.target
        assert unquote(parts[2]) in values
        assert parts[2] not in ("..", "."), request.target


PARENT = {"name": "parents", "endpoint": {"path": "parents", "paginator": "single_page"}}


@pytest.mark.parametrize("form", [
    {"name": "items", "endpoint": "items/{resources.parents.id}/details"},
    {"name": "items", "endpoint": "items/{resources.parents.nested.key}/details"},
    {"name": "items", "endpoint": {"path": "items/{item}/details", "params": {
        "item": {"type": "resolve", "resource": "parents", "field": "id"}}}},
    {"name": "items", "endpoint": "items/{parent_id}/details"},  # restsync's {x_id} inference
], ids=["resources-placeholder", "resources-nested-field", "resolve-param", "inferred-x-id"])
def test_parent_values_stay_one_segment(form: dict[str, Any], tmp_path: Path) -> None:
    requests = run([PARENT, {**form, "endpoint": {
        **({"path": form["endpoint"]} if isinstance(form["endpoint"], str)
           else form["endpoint"]), "paginator": "single_page", "data_selector": "$"}}], tmp_path)
    assert_one_segment_each(requests, HOSTILE)
    assert all(r.headers.get("authorization") == "Bearer secret-token" for r in requests)


def test_param_values_stay_one_segment(tmp_path: Path) -> None:
    requests = run([{"name": "items", "endpoint": {"path": "items/{item}/details",
                                                   "paginator": "single_page"}}],
                   tmp_path, params={"item": HOSTILE})
    assert_one_segment_each(requests, HOSTILE)


@pytest.mark.parametrize("value", HOSTILE)
def test_static_params_feeding_the_path_stay_one_segment(value: str, tmp_path: Path) -> None:
    requests = run([{"name": "items", "endpoint": {
        "path": "items/{item}/details", "params": {"item": value},
        "paginator": "single_page"}}], tmp_path)
    assert_one_segment_each(requests, [value])
    assert requests[0].query == ()  # a static path value is not also sent as a query param


@pytest.mark.parametrize("value", ["..", "a/b", "."])
def test_incremental_values_in_the_path_stay_one_segment(value: str, tmp_path: Path) -> None:
    requests = run([{"name": "items", "endpoint": {
        "path": "items/{incremental.start_value}/details", "paginator": "single_page",
        "incremental": {"cursor_path": "nope", "initial_value": value,
                        "on_cursor_value_missing": "include"}}}], tmp_path)
    assert_one_segment_each(requests, [value])


def test_header_values_from_data_cannot_inject_headers(tmp_path: Path) -> None:
    def parents(request: Recorded, base: str) -> Reply:
        if request.path == "/parents":
            return Reply([{"id": "x\r\nX-Injected: 1"}])
        return Reply([])
    with recording_server(handler=parents) as server:
        config = {"client": {"base_url": server.base_url}, "resources": [
            PARENT, {"name": "items", "endpoint": {
                "path": "items", "headers": {"X-Parent": "{resources.parents.id}"}}}]}
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}").run(
            restsync.rest_api_source(config))
        assert [r.path for r in server.requests] == ["/parents"]
    error = str(info.outcomes["items"].error)
    assert "X-Parent" in error and "line break" in error
