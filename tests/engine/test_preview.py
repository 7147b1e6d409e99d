"""Schema preview (``restsync schema --diff``): one page per resource, as a run would load it."""

from __future__ import annotations

from typing import Any

from restsync.engine.preview import preview_source
from restsync.engine.schema_preview import preview_schema_changes
from restsync.extract.http import MemoryTransport, Request, Response, json_response
from restsync.normalize import Normalizer
from restsync.spec import load_spec

CONFIG: dict[str, Any] = {
    "client": {"base_url": "https://api.test/"},
    "resource_defaults": {"endpoint": {"data_selector": "data"}},
    "resources": [
        {"name": "projects", "endpoint": {"path": "projects"},
         "processing_steps": [{"map": {"label": "record.name"}}]},
        {"name": "tasks", "endpoint": {"path": "projects/{project_id}/tasks", "params": {
            "project_id": {"type": "resolve", "resource": "projects", "field": "id"}}}},
    ],
}


def handler(request: Request) -> Response:
    if request.url.endswith("/projects"):
        return json_response({"data": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]})
    return json_response({"data": [{"id": 10, "done": True}]})


async def test_new_tables_and_columns_from_the_records_a_run_would_load() -> None:
    source = load_spec(CONFIG, name="unit")
    transport = MemoryTransport(handler)
    first = await preview_schema_changes(source, {}, transport=transport)
    assert [(p.resource, p.records) for p in first] == [("projects", 2), ("tasks", 1)]
    assert first[0].changes == ["new table projects"]
    # one parent item is enough: the child is asked for once
    assert [r.url for r in transport.requests].count("https://api.test/projects/1/tasks") == 1
    assert all("/projects/2/" not in r.url for r in transport.requests)

    # against a stored schema without the column the processing step adds
    norm = Normalizer(table_name="projects", primary_key=None, load_id="L0")
    norm.normalize([{"id": 1, "name": "a"}])
    stored = norm.table_schemas()
    again = await preview_schema_changes(source, stored, resources=["projects"],
                                         transport=MemoryTransport(handler))
    assert [p.resource for p in again] == ["projects"]
    assert again[0].changes == ["new column projects.label (text, from `label`)"]


async def test_a_frozen_contract_is_reported_as_the_next_run_failing() -> None:
    config = {**CONFIG, "resources": [{**CONFIG["resources"][0], "schema_contract": "freeze"}]}
    source = load_spec(config, name="unit")
    norm = Normalizer(table_name="projects", primary_key=None, load_id="L0")
    norm.normalize([{"id": 1, "name": "a"}])
    [preview] = await preview_schema_changes(source, norm.table_schemas(),
                                             transport=MemoryTransport(handler))
    assert preview.failure is not None and "label" in preview.failure


# ---------------------------------------------------------------------------- restsync preview

PAGED: dict[str, Any] = {
    "client": {"base_url": "https://api.test/", "auth": {"type": "api_key", "name": "key",
                                                        "api_key": "k3y-s3cr3t-value",
                                                        "location": "query"}},
    "resources": [
        {"name": "items", "endpoint": {"path": "items", "data_selector": "data", "paginator": {
            "type": "cursor", "cursor_path": "next", "cursor_param": "after"}}},
    ],
}


def paged(pages: dict[str | None, dict[str, Any]]) -> MemoryTransport:
    return MemoryTransport(lambda r: json_response(pages[r.params.get("after")]))


async def test_each_page_shows_its_requests_the_selector_count_and_the_paginator_decision(
) -> None:
    source = load_spec(PAGED, name="unit")
    transport = paged({None: {"data": [{"id": 1, "tags": ["a"]}], "next": "c2"},
                       "c2": {"data": [{"id": 2, "tags": []}], "next": "c3"},
                       "c3": {"data": [{"id": 3}], "next": "c4"}})
    result = await preview_source(source, pages=2, records=1, transport=transport)
    [sample] = result.resources
    [sequence] = sample.sequences
    assert [p.number for p in sequence.pages] == [1, 2]
    first = sequence.pages[0]
    [request] = first.requests
    assert (request.method, request.status, request.content_type) == ("GET", 200,
                                                                       "application/json")
    assert request.url == "https://api.test/items?key=***"  # the api key is masked
    assert (first.selector, first.selected, first.kept) == ("`data`", 1, 1)
    assert first.decision == "next: cursor 'c2' from `next` in the body, sent as parameter `after`"
    assert first.next_request == "https://api.test/items?after=c2"  # credentials added on send
    assert sequence.stopped is not None and "would go on" in sequence.stopped
    assert len(transport.requests) == 2  # --pages 2: the third page is not fetched
    assert sample.records == [{"id": 1, "tags": ["a"]}]
    assert sample.columns == {"items": {"id": "bigint"}, "items__tags": {"value": "text"}}
    assert "k3y-s3cr3t" not in str(result.to_dict())


async def test_a_selector_that_finds_an_empty_list_is_a_warning_and_a_missing_one_an_error(
) -> None:
    source = load_spec(PAGED, name="unit")
    empty = await preview_source(source, transport=paged({None: {"data": [], "next": "x"}}))
    page = empty.resources[0].sequences[0].pages[0]
    assert page.selected == 0
    assert page.warnings[0].startswith("no records on the first page: the selector `data`")
    assert "the body has the keys: data, next" in page.warnings[0]
    assert page.decision == "stop: the page has no records (stop_after_empty_page)"

    wrong = await preview_source(source, transport=paged(
        {None: {"items": [{"id": 1}], "echo": "k3y-s3cr3t-value"}}))
    [sequence] = wrong.resources[0].sequences
    assert sequence.pages == []
    assert sequence.error is not None and "`data`" in sequence.error
    [request] = sequence.error_requests
    assert request.excerpt is not None and '"items"' in request.excerpt
    assert "k3y-s3cr3t" not in request.excerpt and "***" in request.excerpt
    assert wrong.resources[0].failed


async def test_a_cursor_that_never_changes_and_ignored_paging_are_made_obvious() -> None:
    source = load_spec(PAGED, name="unit")
    stuck = await preview_source(source, transport=MemoryTransport(
        lambda r: json_response({"data": [{"id": 1}], "next": "same"})))
    [sequence] = stuck.resources[0].sequences
    assert [p.number for p in sequence.pages] == [1]
    assert sequence.error is not None and "same cursor twice" in sequence.error

    ignored = await preview_source(source, transport=MemoryTransport(
        lambda r: json_response({"data": [{"id": 1}],
                                 "next": f"c{int(str(r.params.get('after', 'c0'))[1:]) + 1}"})))
    pages = ignored.resources[0].sequences[0].pages
    assert any("the same records as page 1" in w for w in pages[1].warnings)


async def test_an_error_status_is_shown_in_place_with_a_redacted_body_excerpt() -> None:
    source = load_spec(PAGED, name="unit")
    transport = MemoryTransport(lambda r: json_response(
        {"error": "bad key k3y-s3cr3t-value"}, status=403))
    result = await preview_source(source, transport=transport)
    [sequence] = result.resources[0].sequences
    assert sequence.error is not None and "403" in sequence.error
    [request] = sequence.error_requests
    assert request.status == 403
    assert request.excerpt == '{"error":"bad key ***"}'


CHILDREN: dict[str, Any] = {
    "client": {"base_url": "https://api.test/"},
    "resources": [
        {"name": "projects", "endpoint": {"path": "projects", "data_selector": "data",
                                          "paginator": "single_page"}},
        {"name": "tasks", "endpoint": {"path": "projects/{project_id}/tasks",
                                       "data_selector": "data", "paginator": "single_page",
                                       "params": {"project_id": {
                                           "type": "resolve", "resource": "projects",
                                           "field": "id"}}}},
    ],
}


async def test_a_child_is_requested_for_its_first_parent_items_that_answer() -> None:
    def handler(request: Request) -> Response:
        if request.url.endswith("/projects"):
            return json_response({"data": [{"id": i} for i in range(1, 9)]})
        if "/projects/1/" in request.url:  # a parent item a run skips
            return json_response({"error": "gone"}, status=404)
        return json_response({"data": [{"task": request.url.split("/")[-2]}]})

    source = load_spec(CHILDREN, name="unit")
    transport = MemoryTransport(handler)
    result = await preview_source(source, parents=2, transport=transport)
    tasks = result.resources[1]
    assert tasks.parent == "projects"
    assert [s.label for s in tasks.sequences] == ["projects.id=1", "projects.id=2",
                                                  "projects.id=3"]
    assert tasks.sequences[0].skipped == "HTTP 404: a run skips this parent item and goes on"
    assert not tasks.failed
    assert tasks.records[0] == {"task": "2", "_projects_id": 2}
    assert sum("/tasks" in r.url for r in transport.requests) == 3


async def test_a_token_request_is_shown_as_one_and_its_secrets_are_not() -> None:
    config = {"client": {"base_url": "https://api.test/", "auth": {
        "type": "oauth2_client_credentials", "access_token_url": "https://auth.test/token",
        "client_id": "the-client-id", "client_secret": "the-client-secret"}},
        "resources": [{"name": "items", "endpoint": {"path": "items", "data_selector": "data",
                                                      "paginator": "single_page"}}]}

    def handler(request: Request) -> Response:
        if request.url == "https://auth.test/token":
            return json_response({"access_token": "the-access-token", "expires_in": 3600})
        return json_response({"data": [{"id": 1}]})

    result = await preview_source(load_spec(config, name="unit"),
                                  transport=MemoryTransport(handler))
    token, api = result.resources[0].sequences[0].pages[0].requests
    assert (token.kind, token.method, token.url) == ("token", "POST", "https://auth.test/token")
    assert api.kind == "api"
    text = str(result.to_dict())
    assert "the-client-secret" not in text and "the-access-token" not in text
