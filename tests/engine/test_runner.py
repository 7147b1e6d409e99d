"""The plan runner on its own: an in-memory transport and a destination that records calls.

What is checked here is orchestration: which loads commit, abort or never begin, with which
state, and which events come out, when parents fail, children are skipped, commits fail or a
wait is too long. End-to-end behaviour over real HTTP and real databases is in tests/e2e.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from restsync.engine.loader import Loader
from restsync.engine.runner import PlanRunner
from restsync.errors import DestinationError
from restsync.events import Event, Notice, ParentItemSkipped, ResourceFailed, ResourceFinished
from restsync.extract import ApiClient
from restsync.extract.http import MemoryTransport, Request, Response, json_response
from restsync.extract.retry import RecordingSleeper
from restsync.load import Destination, LoadReport
from restsync.normalize import TableBatch, TableSchema
from restsync.plan import build_plan
from restsync.spec import load_spec

BASE = "https://api.test/v1/"


@dataclass
class RecordingLoad:
    """A resource load that keeps what it was given."""

    dest: RecordingDestination
    resource: str
    write_disposition: str
    root_table: str
    stored_schema: dict[str, TableSchema] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def write(self, batch: TableBatch) -> None:
        self.rows[batch.table] = self.rows.get(batch.table, 0) + batch.arrow.num_rows

    def commit(self, state: Mapping[str, Any] | None) -> LoadReport:
        if self.resource in self.dest.refuse_commit:
            raise DestinationError("refused on purpose", location=f"resource '{self.resource}'")
        self.dest.committed[self.resource] = (dict(state or {}), dict(self.rows))
        return LoadReport(rows=dict(self.rows), notes=[f"{self.resource} committed"])

    def abort(self) -> None:
        self.dest.aborted.append(self.resource)


@dataclass
class RecordingDestination:
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse_commit: set[str] = field(default_factory=set)
    begun: list[str] = field(default_factory=list)
    committed: dict[str, tuple[dict[str, Any], dict[str, int]]] = field(default_factory=dict)
    aborted: list[str] = field(default_factory=list)
    merge_keys: dict[str, Sequence[str] | None] = field(default_factory=dict)

    def get_state(self, resource: str) -> dict[str, Any]:
        return dict(self.states.get(resource, {}))

    def begin(self, resource: str, *, load_id: str, write_disposition: str,
              primary_key: Sequence[str] | None, root_table: str,
              exclusive: bool = True, merge_key: Sequence[str] | None = None) -> RecordingLoad:
        self.begun.append(resource)
        self.merge_keys[resource] = merge_key
        return RecordingLoad(self, resource, write_disposition, root_table)


def paged(items: list[dict[str, Any]], request: Request, size: int = 2) -> Response:
    """``items`` in pages of ``size``; ``next`` holds the next page's URL."""
    page = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
    chunk = items[(page - 1) * size: page * size]
    more = page * size < len(items)
    base = request.url.split("?", 1)[0]
    return json_response({"data": chunk, "next": f"{base}?page={page + 1}" if more else None})


def spec(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "client": {"base_url": BASE,
                   "paginator": {"type": "json_link", "next_url_path": "next"}},
        "resource_defaults": {"endpoint": {"data_selector": "data"},
                              "write_disposition": "append"},
        "resources": resources,
    }


async def run(config: dict[str, Any], handler: Any, dest: RecordingDestination, *,
              max_wait: float | None = None) -> tuple[dict[str, Any], list[Event]]:
    source = load_spec(config, name="unit")
    plan = build_plan(source)
    events: list[Event] = []
    loader = Loader()
    try:
        async with ApiClient(source.client, events=events.append,
                             transport=MemoryTransport(handler), sleeper=RecordingSleeper(),
                             max_wait=max_wait) as client:
            runner = PlanRunner(plan, client, cast(Destination, dest), loader, "L1",
                                events.append)
            outcomes = await runner.run()
    finally:
        loader.shutdown()
    return outcomes, events


PROJECTS = [{"id": i, "name": f"p{i}"} for i in range(1, 6)]
TASKS = {i: [{"id": i * 10 + k, "tags": ["a", "b"]} for k in range(3)] for i in range(1, 6)}

PARENT_CHILD = [
    {"name": "projects", "endpoint": {"path": "projects"}},
    {"name": "tasks", "endpoint": {"path": "projects/{project_id}/tasks",
                                   "params": {"project_id": {"type": "resolve",
                                                             "resource": "projects",
                                                             "field": "id"}}}},
]


def api(missing: set[int] = frozenset(), broken: bool = False) -> Any:
    def handler(request: Request) -> Response:
        path = urlsplit(request.url).path
        if path.endswith("/projects"):
            if broken:
                return json_response({"error": "boom"}, status=400)
            return paged(PROJECTS, request)
        project = int(path.split("/")[-2])
        if project in missing:
            return json_response({"error": "gone"}, status=404)
        return paged(TASKS[project], request)
    return handler


async def test_parent_and_children_commit_with_their_rows_and_state() -> None:
    dest = RecordingDestination()
    outcomes, events = await run(spec(PARENT_CHILD), api(), dest)
    assert {n: o.status for n, o in outcomes.items()} == {"projects": "completed",
                                                          "tasks": "completed"}
    assert dest.committed["projects"] == ({}, {"projects": 5})
    assert dest.committed["tasks"] == ({}, {"tasks": 15, "tasks__tags": 30})
    assert outcomes["projects"].pages == 3 and outcomes["projects"].records == 5
    assert outcomes["tasks"].items_total == 5 and outcomes["tasks"].pages == 10
    assert outcomes["tasks"].tables == {"tasks": 15, "tasks__tags": 30}
    assert "tasks committed" in outcomes["tasks"].notes
    finished = [e for e in events if isinstance(e, ResourceFinished)]
    assert sorted(e.resource for e in finished) == ["projects", "tasks"]
    assert any(isinstance(e, Notice) and e.message == "tasks committed" for e in events)
    assert dest.aborted == []


async def test_failed_parent_fails_its_children_and_nothing_commits() -> None:
    dest = RecordingDestination()
    outcomes, events = await run(spec(PARENT_CHILD), api(broken=True), dest)
    assert outcomes["projects"].status == "failed"
    assert outcomes["tasks"].status == "failed"
    assert "parent resource `projects` failed" in (outcomes["tasks"].error or "")
    assert dest.committed == {}
    assert sorted(dest.aborted) == ["projects", "tasks"]
    failed = {e.resource: e.kind for e in events if isinstance(e, ResourceFailed)}
    assert set(failed) == {"projects", "tasks"}


async def test_child_404_skips_that_parent_item_only() -> None:
    dest = RecordingDestination()
    outcomes, events = await run(spec(PARENT_CHILD), api(missing={2, 4}), dest)
    assert outcomes["tasks"].status == "completed"
    assert outcomes["tasks"].skipped_parents == 2
    assert dest.committed["tasks"][1]["tasks"] == 9
    skipped = sorted(e.parent for e in events if isinstance(e, ParentItemSkipped))
    assert skipped == ["projects.id=2", "projects.id=4"]


async def test_child_whose_every_parent_item_is_skipped_fails() -> None:
    dest = RecordingDestination()
    outcomes, _ = await run(spec(PARENT_CHILD), api(missing={1, 2, 3, 4, 5}), dest)
    assert outcomes["projects"].status == "completed"
    assert outcomes["tasks"].status == "failed"
    assert "every one of its 5 parent item(s) answered 404/410" in (outcomes["tasks"].error or "")
    assert "tasks" not in dest.committed and dest.aborted == ["tasks"]


async def test_refused_commit_fails_that_resource_only() -> None:
    dest = RecordingDestination(refuse_commit={"projects"})
    outcomes, _ = await run(spec(PARENT_CHILD), api(), dest)
    assert outcomes["projects"].status == "failed"
    assert "refused on purpose" in (outcomes["projects"].error or "")
    # the children had every parent record already: they complete on their own
    assert outcomes["tasks"].status == "completed" and "tasks" in dest.committed
    assert dest.aborted == ["projects"]


async def test_unselected_parent_is_extracted_not_loaded() -> None:
    config = spec(PARENT_CHILD)
    source = load_spec(config, name="unit")
    plan = build_plan(source, selected=["tasks"])
    dest = RecordingDestination()
    loader = Loader()
    try:
        async with ApiClient(source.client, transport=MemoryTransport(api()),
                             sleeper=RecordingSleeper()) as client:
            outcomes = await PlanRunner(plan, client, cast(Destination, dest), loader, "L1",
                                        lambda _: None).run()
    finally:
        loader.shutdown()
    assert outcomes["projects"].status == "extracted"
    assert dest.begun == ["tasks"] and set(dest.committed) == {"tasks"}


def _throttled(items: list[dict[str, Any]], page_429: int) -> Any:
    def handler(request: Request) -> Response:
        if f"page={page_429}" in request.url:
            return json_response({}, status=429, headers={"Retry-After": "7200"})
        return paged(items, request)
    return handler


async def test_long_wait_stops_a_root_resource_cleanly_with_a_resume_point() -> None:
    dest = RecordingDestination()
    items = [{"id": i} for i in range(10)]
    config = spec([{"name": "events", "endpoint": {"path": "events"}}])
    outcomes, events = await run(config, _throttled(items, 3), dest, max_wait=60)
    outcome = outcomes["events"]
    assert outcome.status == "stopped"
    state, rows = dest.committed["events"]
    assert rows == {"events": 4}  # pages 1 and 2
    assert state["resume"]["page"] == 3
    assert "next run resumes at page 3" in (outcome.error or "")
    assert not any(isinstance(e, ResourceFinished) for e in events)


async def test_long_wait_fails_a_merge_on_a_merge_key() -> None:
    """Committing part of a merge-key load is not safe: the resumed run's rows of the same
    key would replace the rows committed now."""
    dest = RecordingDestination()
    items = [{"id": i, "day": "d1"} for i in range(10)]
    config = spec([{"name": "events", "endpoint": {"path": "events"},
                    "write_disposition": "merge", "merge_key": "day"}])
    outcomes, _ = await run(config, _throttled(items, 3), dest, max_wait=60)
    assert outcomes["events"].status == "failed"
    assert dest.committed == {} and dest.aborted == ["events"]
    assert dest.merge_keys == {"events": ["day"]}


async def test_long_wait_fails_a_resource_with_children() -> None:
    dest = RecordingDestination()
    outcomes, _ = await run(spec(PARENT_CHILD), _throttled(PROJECTS, 2), dest, max_wait=60)
    assert outcomes["projects"].status == "failed"
    assert outcomes["tasks"].status == "failed"
    assert dest.committed == {}


async def test_stored_resume_point_is_where_paging_starts() -> None:
    items = [{"id": i} for i in range(10)]
    seen: list[str] = []

    def handler(request: Request) -> Response:
        seen.append(request.url)
        return paged(items, request)

    config = spec([{"name": "events", "endpoint": {"path": "events"}}])
    # a resume point as a stopped run stored it: page 3's URL
    first = RecordingDestination()
    await run(config, _throttled(items, 3), first, max_wait=60)
    resume_state = first.committed["events"][0]
    dest = RecordingDestination(states={"events": resume_state})
    outcomes, _ = await run(config, handler, dest)
    assert outcomes["events"].status == "completed"
    assert dest.committed["events"][1] == {"events": 6}  # pages 3..5
    assert "page=3" in seen[0]
    assert "resume" not in dest.committed["events"][0]


async def test_processing_steps_apply_before_the_sink() -> None:
    dest = RecordingDestination()
    config = spec([{"name": "events", "endpoint": {"path": "events"},
                    "processing_steps": [{"filter": "record.id % 2 == 0"}]}])
    items = [{"id": i} for i in range(6)]
    outcomes, _ = await run(config, lambda r: paged(items, r), dest)
    assert outcomes["events"].status == "completed", outcomes["events"].error
    assert outcomes["events"].records == 3
    assert dest.committed["events"][1] == {"events": 3}


def _with_owner(owners: dict[int, Any]) -> Any:
    """Projects 1 and 2 (``owner`` only where ``owners`` has it); the task paths asked."""
    projects = [{"id": i, "name": f"p{i}", **({"owner": owners[i]} if i in owners else {})}
                for i in (1, 2)]
    asked: list[str] = []

    def handler(request: Request) -> Response:
        path = urlsplit(request.url).path
        if path.endswith("/projects"):
            return paged(projects, request)
        asked.append(path)
        return paged([{"id": int(path.split("/")[-2]) * 10}], request)
    return handler, asked


INCLUDING_OWNER = [PARENT_CHILD[0], {**PARENT_CHILD[1], "include_from_parent": ["owner"]}]


async def test_include_from_parent_missing_field_fails_the_child_as_dlt_does() -> None:
    dest = RecordingDestination()
    handler, asked = _with_owner({1: "ann"})
    outcomes, _ = await run(spec(INCLUDING_OWNER), handler, dest)
    assert outcomes["projects"].status == "completed"
    assert outcomes["tasks"].status == "failed"
    error = str(outcomes["tasks"].error)
    assert "resource 'tasks', include_from_parent" in error
    assert "record #1 of `projects` has no `owner` field" in error
    assert "its fields: `id`, `name`" in error
    assert "tasks" not in dest.committed and "tasks" in dest.aborted
    assert "/v1/projects/2/tasks" not in asked  # refused before its requests


async def test_include_from_parent_null_value_is_carried() -> None:
    dest = RecordingDestination()
    handler, asked = _with_owner({1: "ann", 2: None})
    outcomes, _ = await run(spec(INCLUDING_OWNER), handler, dest)
    assert outcomes["tasks"].status == "completed", outcomes["tasks"].error
    assert dest.committed["tasks"][1] == {"tasks": 2}
    assert sorted(asked) == ["/v1/projects/1/tasks", "/v1/projects/2/tasks"]
