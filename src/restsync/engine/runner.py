"""Runs a plan: extract -> normalize -> load, one asyncio task per resource.

Parents stream their records into their children's inboxes as pages arrive; children fan
out one request sequence per parent record with a bounded number in flight. Each resource
stages its rows in the destination and commits them, with its state, in one transaction
when it completed; a failed resource commits nothing, and its children fail with it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from restsync import faultpoints
from restsync.engine.items import WorkItem, work_items
from restsync.engine.routing import RoutingNormalizer
from restsync.engine.sink import Loader, RecordSink
from restsync.engine.state import ResourceState
from restsync.errors import FatalError, HTTPStatusError, RestsyncError, StoppedEarlyError
from restsync.events import (
    EventSink,
    Notice,
    ParentItemSkipped,
    ResourceFailed,
    ResourceFinished,
    ResourceStarted,
)
from restsync.extract import ApiClient
from restsync.extract.processing import RecordProcessor
from restsync.load import Destination, ResourceLoad
from restsync.normalize import Normalizer, ShapeLimits, normalize_identifier
from restsync.plan import Plan, ResourcePlan
from restsync.spec.code import UserCode
from restsync.spec.limits import effective_limits

SKIP_STATUSES = frozenset({404, 410})
"""Child-request statuses that skip one parent item instead of failing the resource."""

_END = object()
_PARENT_FAILED = object()


@dataclass
class ResourceOutcome:
    """What happened to one resource in a run."""

    name: str
    status: Literal["completed", "failed", "extracted", "stopped"] = "completed"
    records: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    skipped_parents: int = 0
    items_total: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    schema_changes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


class _ParentFailedError(FatalError):
    pass


class PlanRunner:
    """Executes one :class:`Plan` against one destination.

    Args:
        plan: What to run.
        client: An open :class:`ApiClient` for the source.
        destination: An open destination (used from the loader thread only).
        loader: The loader thread the destination lives on.
        load_id: Identifier of this run's loads.
        events: Where progress goes.
    """

    def __init__(self, plan: Plan, client: ApiClient, destination: Destination, loader: Loader,
                 load_id: str, events: EventSink) -> None:
        self.plan = plan
        self.client = client
        self.destination = destination
        self.loader = loader
        self.load_id = load_id
        self.events = events
        self.outcomes: dict[str, ResourceOutcome] = {}
        self.inboxes: dict[str, asyncio.Queue[Any]] = {}
        self.inbox_closed: set[str] = set()
        self.started_at = datetime.now(UTC)
        self.shared_tables: set[str] = set()

    async def run(self) -> dict[str, ResourceOutcome]:
        to_run = self.plan.to_run()
        names = {rp.name for rp in to_run}
        self.shared_tables = shared_root_tables(
            [normalize_identifier(rp.table_name) for rp in to_run if rp.load])
        for rp in to_run:
            if rp.parent is not None:
                self.inboxes[rp.name] = asyncio.Queue(maxsize=2_000)
        await asyncio.gather(*(self._run_resource(rp, names) for rp in to_run))
        return self.outcomes

    # ------------------------------------------------------------------ per resource

    async def _run_resource(self, rp: ResourcePlan, running: set[str]) -> None:
        started = time.monotonic()
        outcome = ResourceOutcome(name=rp.name)
        self.outcomes[rp.name] = outcome
        children = [c for c in rp.children if c in running]
        self.events(ResourceStarted(resource=rp.name))
        load: ResourceLoad | None = None
        sink: RecordSink | None = None
        state: ResourceState | None = None
        try:
            stored = await self.loader.call(self.destination.get_state, rp.name) if rp.load else {}
            state = ResourceState(rp, stored, self.started_at)
            steps = RecordProcessor(rp.config.processing_steps,
                                    where=f"resources[{rp.name}].processing_steps")
            if rp.load:
                root_table = normalize_identifier(rp.table_name)
                load = await self.loader.call(
                    self.destination.begin, rp.name, load_id=self.load_id,
                    write_disposition=rp.config.write_disposition,
                    primary_key=_pk(rp.config.primary_key), root_table=root_table,
                    exclusive=root_table not in self.shared_tables)
            sink = RecordSink(self, rp, load, self._normalizer(rp, load), children, outcome)
            if rp.parent is None:
                items = list(work_items(rp))
                outcome.items_total = len(items)
                resume = state.resume_from
                for item in items:
                    await self._run_item(rp, item, state, steps, sink, outcome, resume)
                    resume = None
            else:
                await self._run_children(rp, state, steps, sink, outcome)
            await sink.drain()
            if outcome.skipped_parents and outcome.skipped_parents == outcome.items_total:
                raise FatalError(
                    f"every one of its {outcome.skipped_parents} parent item(s) answered "
                    f"404/410; the path is likely wrong",
                    location=f"resource '{rp.name}'")
            for child in children:
                await self.inboxes[child].put(_END)
            if load is not None:
                await self._commit(rp, load, sink, state.completed(self._inferred(rp)), outcome)
            else:
                outcome.status = "extracted"
        except StoppedEarlyError as exc:
            await self._stop_cleanly(rp, exc, load, sink, state, children, outcome)
        except BaseException as exc:
            if sink is not None:
                await sink.discard()
            await self._fail(rp, exc, load, children, outcome)
            if not isinstance(exc, Exception):
                raise
        finally:
            stats = self.client.stats.get(rp.name)
            if stats is not None:
                outcome.requests = stats.requests
                outcome.retries = stats.retries
                outcome.notes.extend(f"inferred {text}" for text in stats.inferences)
            outcome.seconds = time.monotonic() - started
        if outcome.status in ("completed", "extracted"):
            self.events(ResourceFinished(
                resource=rp.name, records=outcome.records, pages=outcome.pages,
                requests=outcome.requests, retries=outcome.retries,
                skipped_parents=outcome.skipped_parents, tables=dict(outcome.tables),
                notes=tuple(outcome.notes), schema_changes=tuple(outcome.schema_changes)))

    def _inferred(self, rp: ResourcePlan) -> list[str]:
        """What the client inferred for this resource from its responses."""
        stats = self.client.stats.get(rp.name)
        return list(stats.inferences) if stats is not None else []

    def _normalizer(self, rp: ResourcePlan, load: ResourceLoad | None,
                    table_name: str | None = None) -> Normalizer:
        if table_name is None and isinstance(rp.config.table_name, UserCode):
            return RoutingNormalizer(  # type: ignore[return-value]  # a Normalizer's shape
                rp.config.table_name, lambda name: self._normalizer(rp, load, name), rp.name)
        contract = rp.config.schema_contract
        limits = effective_limits(self.plan.source.client.limits, rp.config.limits,
                                  resource_name=rp.name)
        return Normalizer(
            table_name=table_name or rp.table_name, primary_key=_pk(rp.config.primary_key),
            load_id=self.load_id, max_nesting=rp.config.max_table_nesting,
            columns={k: c.model_dump() for k, c in rp.config.columns.items()},
            json_columns=rp.config.json_columns,
            contract=contract.model_dump() if contract else None,
            stored=getattr(load, "stored_schema", None), resource=rp.name,
            limits=ShapeLimits(max_columns=limits.max_columns,
                               max_depth=limits.max_nesting_depth,
                               columns_setting=limits.setting("max_columns"),
                               depth_setting=limits.setting("max_nesting_depth")))

    async def _commit(self, rp: ResourcePlan, load: ResourceLoad, sink: RecordSink,
                      state: dict[str, Any], outcome: ResourceOutcome) -> None:
        faultpoints.reach("engine.commit.before")
        report = await self.loader.call(load.commit, state)
        faultpoints.reach("engine.commit.after")
        outcome.tables = dict(report.rows)
        outcome.notes.extend(report.notes)
        outcome.schema_changes = list(getattr(report, "schema_changes", []))
        for table, n in sink.normalizer.dropped_rows.items():
            outcome.notes.append(f"{n} row(s) of {table} dropped by the schema contract")
        for column, n in sink.normalizer.discarded_values.items():
            outcome.notes.append(f"{n} value(s) of {column} discarded by the schema contract")
        outcome.notes.extend(sink.normalizer.limit_notes)
        for note in [*report.notes, *sink.normalizer.limit_notes]:
            self.events(Notice(resource=rp.name, message=note))

    async def _stop_cleanly(self, rp: ResourcePlan, exc: StoppedEarlyError,
                            load: ResourceLoad | None, sink: RecordSink | None,
                            state: ResourceState | None, children: list[str],
                            outcome: ResourceOutcome) -> None:
        """Commit what was fetched and where to resume, or fail when that is not safe."""
        try:
            if (load is None or sink is None or state is None or exc.resume_state is None
                    or not _can_stop_cleanly(rp, exc)):
                raise exc
            await sink.drain()
            await self._commit(rp, load, sink, state.stopped(exc.resume_state), outcome)
        except Exception as error:
            if sink is not None:
                await sink.discard()
            await self._fail(rp, error, load, children, outcome)
            return
        outcome.status = "stopped"
        outcome.error = (f"{exc.summary()}; rows fetched so far are committed and the "
                         f"next run resumes at page {exc.resume_state.get('page', '?')}")
        self.events(Notice(resource=rp.name, message=outcome.error))

    async def _fail(self, rp: ResourcePlan, exc: BaseException, load: ResourceLoad | None,
                    children: list[str], outcome: ResourceOutcome) -> None:
        outcome.status = "failed"
        outcome.error = _describe(exc)
        if load is not None:
            try:
                await self.loader.call(load.abort)
            except Exception as abort_exc:  # pragma: no cover - reported, not raised
                outcome.notes.append(f"abort failed: {_describe(abort_exc)}")
        for child in children:
            await self.inboxes[child].put(_PARENT_FAILED)
        if rp.parent is not None and rp.name not in self.inbox_closed:
            await _drain(self.inboxes[rp.name])
        self.events(ResourceFailed(resource=rp.name, error=outcome.error,
                                   kind=type(exc).__name__))

    async def _run_children(self, rp: ResourcePlan, state: ResourceState,
                            steps: RecordProcessor, sink: RecordSink,
                            outcome: ResourceOutcome) -> None:
        inbox = self.inboxes[rp.name]
        limit = asyncio.Semaphore(max(1, self.plan.source.client.max_concurrency) * 2)
        outcome.items_total = 0
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []
        index = 0

        async def one(item: WorkItem) -> None:
            try:
                await self._run_item(rp, item, state, steps, sink, outcome)
            except BaseException as exc:
                failure.append(exc)
            finally:
                limit.release()

        try:
            while True:
                parent = await inbox.get()
                if parent is _END or parent is _PARENT_FAILED:
                    self.inbox_closed.add(rp.name)
                if parent is _END:
                    break
                if parent is _PARENT_FAILED:
                    raise _ParentFailedError(f"parent resource `{rp.parent}` failed",
                                             location=f"resource '{rp.name}'")
                if failure:
                    raise failure[0]
                for item in work_items(rp, parent, index):
                    outcome.items_total += 1
                    await limit.acquire()
                    if failure:
                        limit.release()
                        raise failure[0]
                    task = asyncio.create_task(one(item))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                index += 1
            if tasks:
                await asyncio.gather(*tasks)
            if failure:
                raise failure[0]
        except BaseException:
            for task in list(tasks):
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _run_item(self, rp: ResourcePlan, item: WorkItem, state: ResourceState,
                        steps: RecordProcessor, sink: RecordSink, outcome: ResourceOutcome,
                        resume_from: dict[str, Any] | None = None) -> None:
        incremental = state.filter_for(item.path_values)
        extra: dict[str, Any] = dict(item.query_values)
        values = dict(item.path_values)
        if incremental is not None:
            extra.update(incremental.request_params())
            values.update(incremental.template_values())
        try:
            async for page in self.client.pages(
                resource=rp.name, endpoint=rp.config.endpoint, paginator=rp.paginator,
                path_values=values, extra_params=extra, resume_from=resume_from,
                limits=effective_limits(self.plan.source.client.limits, rp.config.limits,
                                        resource_name=rp.name),
            ):
                faultpoints.reach("extract.page")
                records = page.records
                if incremental is not None:
                    records = incremental.apply(records, page=page.number, url=page.url)
                if steps:
                    records = steps.apply(records,
                                          location=f"resource '{rp.name}', page {page.number}")
                if item.carried:
                    for r in records:
                        r.update(item.carried)
                outcome.pages += 1
                outcome.records += len(records)
                await sink.add(records, f"page {page.number}"
                               + (f" of {item.label}" if item.label else ""))
                if incremental is not None and incremental.stop_paging:
                    break
        except HTTPStatusError as exc:
            if exc.status in SKIP_STATUSES and (rp.parent is not None or rp.fanout_params):
                outcome.skipped_parents += 1
                self.events(ParentItemSkipped(resource=rp.name, parent=item.label,
                                              reason=f"HTTP {exc.status}"))
                return
            raise


async def _drain(inbox: asyncio.Queue[Any]) -> None:
    """Consume a failed child's inbox so its parent never blocks on a full queue."""
    while True:
        item = await inbox.get()
        if item is _END or item is _PARENT_FAILED:
            return


def _can_stop_cleanly(rp: ResourcePlan, exc: StoppedEarlyError) -> bool:
    """A clean stop commits a resource's rows so far: only safe for a root resource without
    children (their parent records would be lost), that appends or merges (replace would
    drop the rows not fetched yet)."""
    return (rp.parent is None and not rp.fanout_params and not rp.children
            and rp.config.write_disposition in ("append", "merge"))


def shared_root_tables(tables: list[str]) -> set[str]:
    """Root tables whose table family (``t`` and ``t__*``) another loading resource writes."""
    shared: set[str] = set()
    for i, a in enumerate(tables):
        for b in tables[i + 1:]:
            if a == b or b.startswith(a + "__") or a.startswith(b + "__"):
                shared |= {a, b}
    return shared


def _pk(primary_key: str | list[str] | None) -> list[str] | None:
    if primary_key is None:
        return None
    return [primary_key] if isinstance(primary_key, str) else list(primary_key)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RestsyncError):
        return str(exc)
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return f"internal error {type(exc).__name__}: {exc}"
