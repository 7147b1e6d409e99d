"""Schema preview (``restsync schema --diff``): one page per resource, as a run would load it."""

from __future__ import annotations

from typing import Any

from restsync.engine.preview import preview_schema_changes
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
