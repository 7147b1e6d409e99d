"""What a worker does with one partition, without Ray: over real HTTP to a loopback server."""

from __future__ import annotations

import gc
import pickle
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest

from restsync.engine.gc_tuning import YOUNG_THRESHOLD
from restsync.engine.items import partition_items, work_items
from restsync.engine.scaleout.work import (
    PartitionResult,
    PartitionTask,
    parent_fields,
    run_partition,
)
from restsync.engine.scaleout.worker_clients import KEEP_RUNS, worker_clients
from restsync.normalize import TableBatch, TableSchema
from restsync.normalize.kinds import JSON_TYPE
from restsync.plan import build_plan, resource_partitions
from restsync.spec import load_spec
from tests.engine.scaleout.conftest import json_server

COMMENTS = {1: [{"id": 10, "at": "2024-01-05T00:00:00Z"}, {"id": 11, "at": "2024-02-07T00:00:00Z"}],
            2: [{"id": 20, "at": "2024-01-09T00:00:00Z"}]}


def respond(target: str) -> tuple[int, Any]:
    url = urlsplit(target)
    parts = url.path.strip("/").split("/")
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if parts == ["events"]:
        return 200, [c for cs in COMMENTS.values() for c in cs
                     if query["since"] <= c["at"] < query["until"]]
    if len(parts) == 3 and int(parts[1]) in COMMENTS:
        return 200, COMMENTS[int(parts[1])]
    return 404, {"error": "no such post"}


@pytest.fixture
def base_url() -> Iterator[str]:
    with json_server(respond) as url:
        yield url


def plan_for(base_url: str) -> Any:
    return build_plan(load_spec({
        "client": {"base_url": base_url, "paginator": "single_page"},
        "resources": [
            {"name": "posts", "endpoint": {"path": "posts"}},
            {"name": "comments", "include_from_parent": ["meta.slug"], "endpoint": {
                "path": "posts/{resources.posts.id}/comments"}},
            {"name": "events", "endpoint": {"path": "events", "incremental": {
                "cursor_path": "at", "initial_value": "2024-01-01T00:00:00Z",
                "end_value": "2024-03-01T00:00:00Z", "step": "P1M",
                "start_param": "since", "end_param": "until"}}},
        ]}, name="work"))


def task(resource: str, partition: str, items: list[Any], **extra: Any) -> PartitionTask:
    extra.setdefault("load_id", "L1")
    return PartitionTask(resource=resource, partition=partition, items=items, stored_state={},
                         stored_schema={}, run_started_at=datetime(2024, 6, 1, tzinfo=UTC),
                         **extra)


def test_the_children_get_only_the_fields_they_read() -> None:
    plan = plan_for("http://127.0.0.1:9/")
    assert parent_fields(plan, plan.resources["posts"]) == ("id", "meta.slug")
    assert parent_fields(plan, plan.resources["comments"]) == ()


def test_a_chunk_of_parent_records_loads_its_children_and_skips_a_404(base_url: str) -> None:
    plan = plan_for(base_url)
    rp = plan.resources["comments"]
    parents = [{"id": 1, "meta.slug": "one"}, {"id": 2, "meta.slug": None},
               {"id": 3, "meta.slug": "three"}]
    items = [item for i, p in enumerate(parents) for item in work_items(rp, p, i)]
    result = run_partition(plan, task("comments", "comments[posts#0]", items))
    assert (result.records, result.pages, result.requests) == (3, 2, 3)
    assert (result.skipped_parents, result.skipped) == (1, ["posts.id=3"])
    [batch] = result.batches
    rows = batch.arrow.to_pylist()
    assert [(r["id"], r["_posts_id"], r["_posts_meta_slug"]) for r in rows] == [
        (10, 1, "one"), (11, 1, "one"), (20, 2, None)]
    assert result.schemas["comments"].columns.keys() >= {"id", "_posts_id"}
    assert result.parent_rows == []  # comments has no children: nothing handed on


def test_a_window_partition_sends_its_bounds_and_reports_its_cursor(base_url: str) -> None:
    plan = plan_for(base_url)
    rp = plan.resources["events"]
    split = resource_partitions(rp, datetime(2024, 6, 1, tzinfo=UTC))
    assert [p.id for p in split.partitions] == ["events@2024-01-01T00:00:00Z",
                                                "events@2024-02-01T00:00:00Z"]
    february = list(partition_items(rp, split.partitions))[1]
    result = run_partition(plan, task("events", split.partitions[1].id, [february]))
    assert result.records == 1
    assert result.cursors == [({}, february.window, "2024-02-07T00:00:00Z")]


def test_a_parent_partition_hands_on_the_fields_its_children_read(base_url: str) -> None:
    plan = plan_for(base_url)
    rp = plan.resources["comments"]
    items = list(work_items(rp, {"id": 2, "meta": {"slug": "two"}}, 0))
    result = run_partition(plan, task("comments", "c", items, child_fields=("id", "at")))
    assert result.parent_rows == [{"id": 20, "at": "2024-01-09T00:00:00Z"}]


def test_a_worker_process_keeps_one_client_per_run(base_url: str) -> None:
    """Partitions of one run reuse the worker's client (its connections, its token); a new
    run gets its own, and the oldest run's client is closed past KEEP_RUNS."""
    plan = plan_for(base_url)
    rp = plan.resources["comments"]
    items = list(work_items(rp, {"id": 1, "meta": {"slug": "one"}}, 0))
    opened = worker_clients.opened
    first = run_partition(plan, task("comments", "c0", items, load_id="run-a"))
    second = run_partition(plan, task("comments", "c1", items, load_id="run-a"))
    assert worker_clients.opened == opened + 1
    assert first.requests == second.requests == 1  # per partition, not the client's total
    for n in range(KEEP_RUNS):
        run_partition(plan, task("comments", "c", items, load_id=f"run-{n}"))
    assert worker_clients.opened == opened + 1 + KEEP_RUNS
    assert all(key[0] != "run-a" for key in worker_clients.clients)
    assert len(worker_clients.clients) == KEEP_RUNS


def test_a_result_crosses_to_the_driver_with_its_arrow_types_intact() -> None:
    """Pickled as Ray hands it over (each batch one Arrow IPC buffer): every column type the
    normaliser emits, the JSON extension type included, comes back equal."""
    arrow = pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "score": pa.array([1.5, None], pa.float64()),
        "ok": pa.array([True, False]),
        "name": pa.array(["a", None]),
        "at": pa.array([datetime(2024, 1, 1, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")),
        "day": pa.array([date(2024, 1, 2), None], pa.date32()),
        "amount": pa.array([Decimal("1.25"), None], pa.decimal128(12, 2)),
        "extra": pa.ExtensionArray.from_storage(JSON_TYPE, pa.array(['{"a": 1}', None])),
    })
    schema = TableSchema(name="t", parent=None)
    result = PartitionResult(partition="p", records=2,
                             batches=[TableBatch("t", None, arrow, schema),
                                      TableBatch("t__c", "t", arrow.slice(1), None)])
    back = pickle.loads(pickle.dumps(result, protocol=5))
    assert [b.arrow for b in back.batches] == [arrow, arrow.slice(1)]
    assert back.batches[0].arrow.schema.field("extra").type == JSON_TYPE
    assert [(b.table, b.parent_table, b.schema) for b in back.batches] == [
        ("t", None, schema), ("t__c", "t", None)]
    assert (back.partition, back.records) == ("p", 2)


def test_a_partition_runs_with_the_young_collection_threshold_raised(
        base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a run in one process (:mod:`restsync.engine.gc_tuning`): a worker's parsed pages
    are many objects, and default thresholds keep walking them."""
    seen: list[tuple[int, ...]] = []
    real = worker_clients.run

    def recording(work: Any) -> Any:
        seen.append(gc.get_threshold())
        return real(work)

    monkeypatch.setattr(worker_clients, "run", recording)
    before = gc.get_threshold()
    plan = plan_for(base_url)
    items = list(work_items(plan.resources["comments"], {"id": 1, "meta": {"slug": "x"}}, 0))
    run_partition(plan, task("comments", "c", items))
    assert seen[0][0] >= YOUNG_THRESHOLD > before[0]
    assert gc.get_threshold() == before
