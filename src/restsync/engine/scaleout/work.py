"""What a worker does with one partition: extract and normalise it, hand the result back.

Plain Python: no Ray here (:mod:`restsync.engine.scaleout.driver` ships
:func:`run_partition` to Ray workers), so it is tested and profiled without a cluster. A
worker uses its process's :class:`~restsync.extract.ApiClient` of the run
(:mod:`.worker_clients`: one per worker process and run, kept between partitions), runs the partition's request
sequences exactly as the in-process runner does (:func:`~restsync.engine.records.item_pages`:
incremental filter, processing steps, parent keys), normalises the records against the
schema stored when the load began, and returns Arrow batches. It writes nothing anywhere:
the driver loads and commits, so a partition that is run twice (a worker died) loads once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from restsync.engine.gc_tuning import fewer_collections
from restsync.engine.items import WorkItem, field_or_none
from restsync.engine.records import (
    item_pages,
    processing_steps,
    resource_limits,
    resource_normalizer,
)
from restsync.engine.runner import SKIP_STATUSES
from restsync.engine.scaleout.permits import RemotePacer
from restsync.engine.scaleout.worker_clients import worker_clients
from restsync.engine.sink import BATCH_ROWS
from restsync.engine.state import ResourceState, Window
from restsync.errors import HTTPStatusError, StoppedEarlyError
from restsync.normalize import TableBatch, TableSchema
from restsync.plan import Plan, ResourcePlan
from restsync.spec.templated import AncestorPartition, ParentPartition, TemplatedEndpoint

__all__ = ["PartitionResult", "PartitionTask", "parent_fields", "run_partition"]


@dataclass
class PartitionTask:
    """One partition as a worker receives it.

    Attributes:
        resource: The resource.
        partition: The partition's id.
        items: Its request sequences.
        stored_state: The resource's state when the run began.
        stored_schema: The resource's stored schema when its load began (None when it is
            only extracted for its children).
        run_started_at: The run's start (caps date-time cursors, ends open windows).
        load_id: The run's load id.
        child_fields: Fields of each record the children need (``parent_fields``).
        max_wait: Longest retry wait to sleep through.
        permits: The run's :class:`~restsync.engine.scaleout.permits.PermitService` actor
            (per-host limits across all workers), or ``None``: this worker's own limits.
        resume_from: Where the first request sequence resumes (a run that stopped cleanly
            before a long wait), as in the in-process runner.
        pacing_key: The run's key of credential digests (``client.token_limits``): every
            worker keys a credential alike (never shown in reprs).
    """

    resource: str
    partition: str
    items: list[WorkItem]
    stored_state: Mapping[str, Any]
    stored_schema: Mapping[str, TableSchema] | None
    run_started_at: datetime
    load_id: str
    child_fields: tuple[str, ...] = ()
    max_wait: float | None = None
    permits: Any = None
    resume_from: dict[str, Any] | None = None
    pacing_key: bytes | None = field(default=None, repr=False)


@dataclass
class PartitionResult:
    """What a worker hands back for one partition.

    Attributes:
        partition: The partition's id.
        batches: Its rows, normalised (empty when the resource is not loaded).
        schemas: The worker normaliser's schema of each table (the driver merges them).
        parent_rows: Per record, the fields the children need (empty without children).
        cursors: ``(path values, window, highest cursor)`` of each request sequence.
        records, pages, requests, retries, skipped_parents: Counts, as in the outcome.
        skipped: Labels of the items skipped on 404/410.
        inferred: What the client inferred from the responses.
        dropped_rows, discarded_values, limit_notes: The normaliser's notes.
        stopped: The clean stop (``--max-wait``) that ended the partition early: the rows
            before it are in ``batches``, the sequences after it were not run.
    """

    partition: str
    batches: list[TableBatch] = field(default_factory=list)
    schemas: dict[str, TableSchema] = field(default_factory=dict)
    parent_rows: list[dict[str, Any]] = field(default_factory=list)
    cursors: list[tuple[dict[str, Any], Window | None, Any]] = field(default_factory=list)
    records: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    skipped_parents: int = 0
    skipped: list[str] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)
    dropped_rows: dict[str, int] = field(default_factory=dict)
    discarded_values: dict[str, int] = field(default_factory=dict)
    limit_notes: list[str] = field(default_factory=list)
    stopped: StoppedEarlyError | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (Ray hands the result to the driver): each batch's rows as one Arrow IPC
        stream buffer. Ray's own reduction of an Arrow table copies it array by array
        (measured: 12 ms of worker time per 3,000 wide records against 5 ms)."""
        state = dict(self.__dict__)
        state["batches"] = [(b.table, b.parent_table, _ipc_buffer(b.arrow), b.schema)
                            for b in self.batches]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["batches"] = [TableBatch(table=table, parent_table=parent,
                                       arrow=pa.ipc.open_stream(buffer).read_all(),
                                       schema=schema)
                            for table, parent, buffer, schema in state["batches"]]
        self.__dict__.update(state)


def _ipc_buffer(table: pa.Table) -> pa.Buffer:
    """``table`` as one Arrow IPC stream (read back without a copy)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def parent_fields(plan: Plan, rp: ResourcePlan) -> tuple[str, ...]:
    """The fields of ``rp``'s records that its running children read (bindings, carried
    ancestor keys, ``include_from_parent``, a manifest child's router paths): all a chunk
    of parent records must keep."""
    wanted: list[str] = []
    for name in rp.children:
        child = plan.resources[name]
        for b in child.bindings:
            if b.kind == "resource":
                wanted.append(str(b.field) if b.resource == rp.name else b.column)
        wanted.extend(child.config.include_from_parent)
        templated = child.config.endpoint.templated
        if templated is not None:
            wanted.extend(_router_fields(templated, rp.name))
    return tuple(dict.fromkeys(wanted))


def _router_fields(te: TemplatedEndpoint, parent: str) -> list[str]:
    """The top-level fields of a ``parent`` record that a manifest child's partition routers
    read (:func:`~restsync.extract.partitions.partition_values`): each ``parent_key`` and
    ``extra_fields`` path's first step, kept whole (the path may go on through nested objects
    and lists), and the ancestor columns the record carries."""
    found: list[str] = []
    for router in te.partitions:
        if isinstance(router, ParentPartition):
            for config in (router, *router.alternatives):
                if config.parent == parent:
                    found.append(config.parent_key[0])
                    found.extend(path[0] for path, _ in config.extra_fields if path)
        elif isinstance(router, AncestorPartition):
            found.append(router.column)
    return found


def run_partition(plan: Plan, task: PartitionTask) -> PartitionResult:
    """Extract and normalise one partition of ``plan`` (blocking: runs its own event loop).

    Raises:
        RestsyncError: As the in-process runner would for the resource (the driver fails
            the resource with it).
    """
    with fewer_collections():  # as a run in one process: parsed pages make many objects
        return worker_clients.run(lambda: _run(plan, task))


async def _run(plan: Plan, task: PartitionTask) -> PartitionResult:
    rp = plan.resources[task.resource]
    result = PartitionResult(partition=task.partition)
    state = ResourceState(rp, task.stored_state, task.run_started_at)
    steps = processing_steps(rp)
    limits = resource_limits(rp, plan.source.client.limits)
    normalizer = resource_normalizer(rp, load_id=task.load_id, stored=task.stored_schema,
                                     limits=limits) if rp.load else None
    buffer: list[dict[str, Any]] = []

    def flush(where: str) -> None:
        if normalizer is not None and buffer:
            result.batches.extend(normalizer.normalize(buffer, where=where))
        buffer.clear()

    client = await worker_clients.client(plan.source.client, load_id=task.load_id,
                                         max_wait=task.max_wait, permits=task.permits,
                                         pacing_key=task.pacing_key)
    before = client.stats.get(rp.name)
    requests, retries = (before.requests, before.retries) if before is not None else (0, 0)
    resume = task.resume_from
    pacer = client.pacer if isinstance(client.pacer, RemotePacer) else None
    renewing = None
    if pacer is not None:
        pacer.start(task.partition)
        renewing = asyncio.create_task(pacer.keep_alive())
    try:
        for item in task.items:
            flt = state.filter_for(item.path_values, item.window)
            try:
                async for page, records in item_pages(
                        client, rp, item, incremental=flt, steps=steps, limits=limits,
                        resume_from=resume):
                    result.pages += 1
                    result.records += len(records)
                    if task.child_fields:
                        result.parent_rows.extend(_project(r, task.child_fields)
                                                  for r in records)
                    buffer.extend(records)
                    if len(buffer) >= BATCH_ROWS:
                        flush(f"page {page.number} of partition {task.partition}")
            except StoppedEarlyError as exc:  # the driver commits what came before, or fails
                result.stopped = exc
                break
            except HTTPStatusError as exc:
                if exc.status in SKIP_STATUSES and (rp.parent is not None or rp.fanout_params):
                    result.skipped_parents += 1
                    result.skipped.append(item.label)
                    continue
                raise
            finally:
                resume = None
            if flt is not None:
                result.cursors.append((item.path_values, item.window, flt.last_value))
    finally:
        if pacer is not None:
            assert renewing is not None
            renewing.cancel()
            pacer.give_back()
    flush(f"partition {task.partition}")
    stats = client.stats.get(rp.name)
    if stats is not None:
        result.requests, result.retries = stats.requests - requests, stats.retries - retries
        result.inferred = list(stats.inferences)
    if normalizer is not None:
        result.schemas = normalizer.table_schemas()
        result.dropped_rows = dict(normalizer.dropped_rows)
        result.discarded_values = dict(normalizer.discarded_values)
        result.limit_notes = list(normalizer.limit_notes)
    return result


def _project(record: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields children read, keyed as they read them (a dotted name stays one key)."""
    return {name: field_or_none(record, name) for name in fields}
