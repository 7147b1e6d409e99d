"""What a dlt-dialect run decides from the responses (detected paginator and records path), how
it reports it (event, summary note, stored state), what it refuses (ambiguous responses,
table formats the destination lacks), and what `check` shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

import restsync
from restsync.cli.app import app
from restsync.errors import SpecError
from restsync.events import RunTimeInference
from restsync.spec.values import ValueResolver
from tests.recording_server import Reply, recording_server


def source(base: str, endpoint: Any = "posts", **resource: Any) -> Any:
    return restsync.rest_api_source(
        {"client": {"base_url": base}, "resources": [{"name": "posts", "endpoint": endpoint,
                                                      **resource}]},
        values=ValueResolver.from_values())


def stored_state(db: Path, resource: str) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        [(state,)] = con.execute("SELECT state FROM ds._restsync_state WHERE resource = ?",
                                 [resource]).fetchall()
    finally:
        con.close()
    return dict(json.loads(state))


def test_detected_paginator_and_records_are_reported_and_stored(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    events: list[Any] = []
    with recording_server({"GET /posts": {"items": [{"id": 1}], "next": "/posts?page=2"},
                           "GET /posts?page=2": {"items": [{"id": 2}], "next": None}}) as srv:
        info = restsync.pipeline(destination=f"duckdb:///{db}", dataset_name="ds",
                                 events=events.append).run(source(srv.base_url))
    assert info.ok
    found = {e.path: e.message for e in events if isinstance(e, RunTimeInference)}
    assert found == {
        "resources[posts].endpoint.paginator": "json_link: next page URL read from `next`",
        "resources[posts].endpoint.data_selector":
            "records read from `items` (detected on the first response, as dlt does; set "
            "data_selector to make it explicit)"}
    assert [e.resource for e in events if isinstance(e, RunTimeInference)] == ["posts"] * 2
    notes = info.outcomes["posts"].notes
    assert "inferred resources[posts].endpoint.paginator: json_link: next page URL read from " \
           "`next`" in notes
    assert stored_state(db, "posts")["inferred"] == [
        f"{path}: {message}" for path, message in found.items()]


def test_fan_out_children_report_a_detection_once(tmp_path: Path) -> None:
    events: list[Any] = []
    exchanges = {"GET /posts": [{"id": i} for i in range(1, 6)],
                 **{f"GET /posts/{i}/comments": [{"c": i}] for i in range(1, 6)}}
    config = {"client": {"base_url": "http://BASE"}, "resources": [
        {"name": "posts", "endpoint": {"path": "posts", "paginator": "single_page"}},
        {"name": "comments", "endpoint": "posts/{resources.posts.id}/comments"}]}
    with recording_server(exchanges) as srv:
        spec = json.loads(json.dumps(config).replace("http://BASE", srv.base_url))
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}",
                                 events=events.append).run(restsync.rest_api_source(spec))
    assert info.ok
    comments = [e for e in events if isinstance(e, RunTimeInference)
                and e.resource == "comments"]
    assert [e.path for e in comments] == ["resources[comments].endpoint.data_selector",
                                          "resources[comments].endpoint.paginator"]


@pytest.mark.parametrize(("body", "words"), [
    ({"data": [{"id": 1}, {"id": 2}], "total": 50}, "`total: 50` with 2 records on the page"),
    ({"data": [{"id": 1}], "meta": {"has_more": True}}, "`meta.has_more: true`"),
    ({"results": [{"id": 1}], "count": 3}, "`count: 3` with 1 records"),
])
def test_ambiguous_first_response_is_refused_not_loaded_as_one_page(
        tmp_path: Path, body: dict[str, Any], words: str) -> None:
    with recording_server({"GET /posts": body}) as srv:
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}",
                                 dataset_name="ds").run(source(srv.base_url))
        assert len(srv.requests) == 1
    outcome = info.outcomes["posts"]
    assert outcome.status == "failed"
    assert words in str(outcome.error)
    assert "refusing to load the first page only" in str(outcome.error)
    assert "set endpoint.paginator" in str(outcome.error)


def test_a_complete_page_with_a_total_is_one_page(tmp_path: Path) -> None:
    with recording_server({"GET /posts": {"data": [{"id": 1}, {"id": 2}], "total": 2}}) as srv:
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}").run(
            source(srv.base_url))
    assert info.ok and info.outcomes["posts"].records == 2


@pytest.mark.parametrize("fmt", ["delta", "iceberg"])
def test_table_format_refused_before_any_request_unless_the_destination_has_it(
        tmp_path: Path, fmt: str) -> None:
    with recording_server({"GET /posts": [{"id": 1}]}) as srv:
        with pytest.raises(SpecError) as info:
            restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}").run(
                source(srv.base_url, table_format=fmt))
        assert srv.requests == []
    [issue] = info.value.issues
    assert issue.path == "resources[posts].table_format"
    assert f"{fmt} tables are not supported by the destination duckdb" in issue.message


@pytest.mark.parametrize(("fmt", "refused"), [("delta", "iceberg"), ("iceberg", "delta")])
def test_table_format_runs_where_the_destination_writes_it(tmp_path: Path, fmt: str,
                                                           refused: str) -> None:
    """A lake destination takes resources of its own table format and refuses the other one
    (the check asks the destination, it is not a fixed refusal)."""
    url = f"{fmt}:///{tmp_path / 'lake'}"
    with recording_server({"GET /posts": [{"id": 1}, {"id": 2}]}) as srv:
        info = restsync.pipeline(destination=url).run(source(srv.base_url, table_format=fmt))
        assert info.ok and info.outcomes["posts"].tables == {"posts": 2}
        with pytest.raises(SpecError) as refusal:
            restsync.pipeline(destination=url).run(source(srv.base_url, table_format=refused))
    assert f"{refused} tables are not supported by the destination {fmt}" in \
        refusal.value.issues[0].message


SPEC = """\
client:
  base_url: https://api.example.com
  auth: bearer
  paginator: json_link
resources:
  - posts
  - name: comments
    endpoint:
      path: posts/{resources.posts.id}/comments
      params: {since: "{incremental.start_value}"}
      incremental: {cursor_path: updated_at, initial_value: "2024-01-01"}
  - name: issues
    endpoint:
      path: "{org}/issues"
      params: {org: acme}
"""


def test_check_shows_each_binding_and_each_default(tmp_path: Path) -> None:
    spec = tmp_path / "dlt.yaml"
    spec.write_text(SPEC)
    result = CliRunner().invoke(app, ["check", str(spec)],
                                env={"COLUMNS": "300", "CREDENTIALS__TOKEN": "t"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    for words in [
        "`{resources.posts.id}` is `posts.id` of each `posts` record",
        "`{org}` filled from params.org = acme (not sent as a query parameter)",
        "next page URL read from `next` (dlt's default",
        "`token` taken from configuration `credentials.token`",
        "CREDENTIALS__TOKEN",
        "(detected at run time)",
    ]:
        assert words in out, words


def test_hook_that_raises_fails_the_resource_with_its_name(tmp_path: Path) -> None:
    def broken(response: Any) -> None:
        raise RuntimeError("nope")
    with recording_server({"GET /posts": [{"id": 1}]}) as srv:
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}").run(
            restsync.rest_api_source({"client": {"base_url": srv.base_url}, "resources": [
                {"name": "posts", "endpoint": {"path": "posts",
                                               "response_actions": [broken]}}]}))
    error = str(info.outcomes["posts"].error)
    assert "broken" in error and "RuntimeError: nope" in error and "page 1" in error


def test_hook_can_ignore_a_response_like_dlt(tmp_path: Path) -> None:
    class IgnoreResponseException(Exception):
        pass

    def skip_empty(response: Any) -> None:
        if response.status_code == 204 or response.json() == {"empty": True}:
            raise IgnoreResponseException
    with recording_server({"GET /posts": Reply({"empty": True})}) as srv:
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'o.duckdb'}").run(
            restsync.rest_api_source({"client": {"base_url": srv.base_url}, "resources": [
                {"name": "posts", "endpoint": {"path": "posts",
                                               "response_actions": [skip_empty]}}]}))
    assert info.ok and info.outcomes["posts"].records == 0
