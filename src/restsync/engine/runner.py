"""Runs a plan: extract -> normalize -> load, one asyncio task per resource.

Parents stream their records into their children's inboxes as pages arrive; children fan
out one request sequence per parent record with a bounded number in flight. Each resource
stages its rows in the destination and commits them, with its state, in one transaction
when it completed; a failed resource commits nothing, and its children fail with it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from restsync import faultpoints
from restsync.engine.history import RunRecorder
from restsync.engine.items import WorkItem, partition_items, work_items
from restsync.engine.loader import Loader
from restsync.engine.outcome import (
    ResourceOutcome,
    ResourceStatus,
    check_not_all_skipped,
    describe,
    finished_event,
)
from restsync.engine.records import (
    item_pages,
    merge_key_of,
    primary_key_of,
    processing_steps,
    resource_limits,
    resource_normalizer,
)
from restsync.engine.sink import RecordSink, page_body
from restsync.engine.state import ResourceState
from restsync.errors import FatalError, HTTPStatusError, StoppedEarlyError
from restsync.events import (
    EventSink,
    Notice,
    ParentItemSkipped,
    ResourceFailed,
    ResourceStarted,
)
from restsync.extract import ApiClient
from restsync.extract.concurrency import client_bounds
from restsync.extract.processing import RecordProcessor
from restsync.load import Destination, ResourceLoad
from restsync.normalize import normalize_identifier
from restsync.normalize.arrow_pages import page_path
from restsync.plan import Plan, ResourcePlan, resource_partitions
from restsync.spec.limits import Limits

__all__ = ["SKIP_STATUSES", "PlanRunner", "ResourceOutcome", "ResourceRun", "begin_load",
           "shared_root_tables"]

SKIP_STATUSES = frozenset({404, 410})
"""Child-request statuses that skip one parent item instead of failing the resource."""

_END = object()
_PARENT_FAILED = object()


class _ParentFailedError(FatalError):
    pass


@dataclass
class ResourceRun:
    """Everything one resource's run carries from start to commit.

    Attributes:
        rp: The resource's plan.
        outcome: What happened so far (the summary's row).
        children: Children of the resource that run (they read its records).
        state: Its stored state and the incremental filters built from it.
        steps: Its processing steps.
        sink: Where its records go (None until the load began).
        load: Its load (None when it is only extracted for its children).
        limits: Its limits (computed once, not per parent item).
    """

    rp: ResourcePlan
    outcome: ResourceOutcome
    children: list[str]
    state: ResourceState | None = None
    steps: RecordProcessor | None = None
    sink: RecordSink | None = None
    load: ResourceLoad | None = None
    limits: Limits | None = None

    @property
    def name(self) -> str:
        return self.rp.name

    @property
    def where(self) -> str:
        return f"resource '{self.rp.name}'"


class PlanRunner:
    """Executes one :class:`Plan` against one destination.

    Args:
        plan: What to run.
        client: An open :class:`ApiClient` for the source.
        destination: An open destination (used from the loader thread only).
        loader: The loader thread the destination lives on.
        load_id: Identifier of this run's loads.
        events: Where progress goes.
        history: Keeps what the run does; its record of a resource is committed with the
            resource (the load record's ``details``).
    """

    def __init__(self, plan: Plan, client: ApiClient, destination: Destination, loader: Loader,
                 load_id: str, events: EventSink, history: RunRecorder | None = None) -> None:
        self.plan = plan
        self.client = client
        self.destination = destination
        self.loader = loader
        self.load_id = load_id
        self.events = events
        self.history = history
        self.outcomes: dict[str, ResourceOutcome] = {}
        self.inboxes: dict[str, asyncio.Queue[Any]] = {}
        self.inbox_closed: set[str] = set()
        self.started_at = datetime.now(UTC)
        self.page_path = page_path()  # RESTSYNC_PAGE_PATH: auto (Arrow-native pages) or dict
        self.shared_tables: set[str] = set()

    async def run(self) -> dict[str, ResourceOutcome]:
        """Run every resource of the plan; their outcomes by name (failures do not raise)."""
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
        run = ResourceRun(rp, ResourceOutcome(name=rp.name),
                          [c for c in rp.children if c in running])
        outcome = run.outcome
        self.outcomes[rp.name] = outcome
        self.events(ResourceStarted(resource=rp.name))
        try:
            await self._start(run)
            if rp.parent is None:
                await self._run_root(run)
            else:
                await self._run_children(run)
            assert run.sink is not None and run.state is not None
            await run.sink.drain()
            check_not_all_skipped(outcome, run.where)
            for child in run.children:
                await self.inboxes[child].put(_END)
            if run.load is not None:
                await self._commit(run, run.state.completed(self._inferred(rp)))
            else:
                outcome.status = "extracted"
        except StoppedEarlyError as exc:
            await self._stop_cleanly(run, exc)
        except BaseException as exc:
            if run.sink is not None:
                await run.sink.discard()
            await self._fail(run, exc)
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
            self.events(finished_event(outcome))

    def _inferred(self, rp: ResourcePlan) -> list[str]:
        """What the client inferred for this resource from its responses."""
        stats = self.client.stats.get(rp.name)
        return list(stats.inferences) if stats is not None else []

    async def _start(self, run: ResourceRun) -> None:
        """Read the stored state, begin the load, build the sink."""
        rp = run.rp
        stored = await self.loader.call(self.destination.get_state, rp.name) if rp.load else {}
        if self.history is not None:
            self.history.state_read(rp.name, stored)
        run.state = ResourceState(rp, stored, self.started_at)
        run.steps = processing_steps(rp)
        run.limits = resource_limits(rp, self.plan.source.client.limits)
        if rp.load:
            run.load = await begin_load(self.loader, self.destination, rp, self.load_id,
                                        self.shared_tables)
        normalizer = resource_normalizer(
            rp, load_id=self.load_id,
            stored=run.load.stored_schema if run.load is not None else None,
            limits=run.limits)
        run.sink = RecordSink(self.loader, run.load, normalizer,
                              [self.inboxes[c] for c in run.children],
                              arrow_pages=self.page_path == "auto" and not run.steps)

    async def _run_root(self, run: ResourceRun) -> None:
        assert run.state is not None
        split = resource_partitions(run.rp, self.started_at, start_for=run.state.start_for)
        pairs = zip([p.id for p in split.partitions],
                    partition_items(run.rp, split.partitions), strict=True)
        items = [item for _, item in run.state.skip_done(pairs)]  # an unfinished Ray run's
        run.outcome.items_total = len(items)
        resume = run.state.resume_from
        for item in items:
            await self._run_item(run, item, resume)
            resume = None

    async def _commit(self, run: ResourceRun, state: dict[str, Any],
                      status: ResourceStatus = "completed") -> None:
        assert run.load is not None and run.sink is not None
        details = None if self.history is None else \
            self.history.resource_record(run.name, status=status, state_after=state,
                                         outcome=run.outcome)
        faultpoints.reach("engine.commit.before")
        report = await (self.loader.call(run.load.commit, state) if details is None
                        else self.loader.call(run.load.commit, state, details))
        faultpoints.reach("engine.commit.after")
        outcome = run.outcome
        outcome.tables = dict(report.rows)
        outcome.notes.extend(report.notes)
        outcome.schema_changes = list(report.schema_changes)
        normalizer = run.sink.normalizer
        for table, n in normalizer.dropped_rows.items():
            outcome.notes.append(f"{n} row(s) of {table} dropped by the schema contract")
        for column, n in normalizer.discarded_values.items():
            outcome.notes.append(f"{n} value(s) of {column} discarded by the schema contract")
        outcome.notes.extend(normalizer.limit_notes)
        for note in [*report.notes, *normalizer.limit_notes]:
            self.events(Notice(resource=run.name, message=note))

    async def _stop_cleanly(self, run: ResourceRun, exc: StoppedEarlyError) -> None:
        """Commit what was fetched and where to resume, or fail when that is not safe."""
        outcome = run.outcome
        try:
            if (run.load is None or run.sink is None or run.state is None
                    or exc.resume_state is None or not can_stop_cleanly(run.rp, exc)):
                raise exc
            await run.sink.drain()
            await self._commit(run, run.state.stopped(exc.resume_state), status="stopped")
        except Exception as error:
            if run.sink is not None:
                await run.sink.discard()
            await self._fail(run, error)
            return
        outcome.status = "stopped"
        outcome.error = stop_message(exc)
        self.events(Notice(resource=run.name, message=outcome.error))

    async def _fail(self, run: ResourceRun, exc: BaseException) -> None:
        outcome = run.outcome
        outcome.status = "failed"
        outcome.error = describe(exc)
        if run.load is not None:
            try:
                await self.loader.call(run.load.abort)
            except Exception as abort_exc:  # pragma: no cover - reported, not raised
                outcome.notes.append(f"abort failed: {describe(abort_exc)}")
        for child in run.children:
            await self.inboxes[child].put(_PARENT_FAILED)
        if run.rp.parent is not None and run.name not in self.inbox_closed:
            await _drain(self.inboxes[run.name])
        self.events(ResourceFailed(resource=run.name, error=outcome.error,
                                   kind=type(exc).__name__))

    async def _run_children(self, run: ResourceRun) -> None:
        rp, outcome = run.rp, run.outcome
        inbox = self.inboxes[rp.name]
        limit = asyncio.Semaphore(client_bounds(self.plan.source.client).ceiling * 2)
        outcome.items_total = 0
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []
        index = 0

        async def one(item: WorkItem) -> None:
            try:
                await self._run_item(run, item)
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
                                             location=run.where)
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

    async def _run_item(self, run: ResourceRun, item: WorkItem,
                        resume_from: dict[str, Any] | None = None) -> None:
        assert run.state is not None and run.steps is not None and run.sink is not None
        assert run.limits is not None
        rp, outcome = run.rp, run.outcome
        incremental = run.state.filter_for(item.path_values, item.window)
        bodies = run.sink.arrow_pages and incremental is None and not item.carried
        try:
            async for page, records in item_pages(
                    self.client, rp, item, incremental=incremental,
                    steps=run.steps, limits=run.limits,
                    resume_from=resume_from, raw_records=bodies):
                faultpoints.reach("extract.page")
                outcome.pages += 1
                outcome.records += len(records)
                await run.sink.add(records, f"page {page.number}"
                                   + (f" of {item.label}" if item.label else ""),
                                   page_body(page, records) if bodies else None)
        except HTTPStatusError as exc:
            if exc.status in SKIP_STATUSES and (rp.parent is not None or rp.fanout_params) \
                    and rp.config.endpoint.templated is None:  # manifests: their own rules
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


def stop_message(exc: StoppedEarlyError) -> str:
    """The outcome's text for a clean stop."""
    page = (exc.resume_state or {}).get("page", "?")
    return (f"{exc.summary()}; rows fetched so far are committed and the next run resumes "
            f"at page {page}")


def can_stop_cleanly(rp: ResourcePlan, exc: StoppedEarlyError) -> bool:
    """A clean stop commits a resource's rows so far: only safe for a root resource without
    children (their parent records would be lost), that appends or merges on a primary key
    only (replace would drop the rows not fetched yet; so would a merge key: the rest of a
    partition, committed by the resumed run, would replace the part committed now)."""
    return (rp.parent is None and not rp.fanout_params and not rp.children
            and rp.config.write_disposition in ("append", "merge") and not rp.config.merge_key)


async def begin_load(loader: Loader, destination: Destination, rp: ResourcePlan, load_id: str,
                     shared_tables: set[str]) -> ResourceLoad:
    """Begin loading ``rp`` (on the loader thread)."""
    root_table = normalize_identifier(rp.table_name)
    return await loader.call(
        destination.begin, rp.name, load_id=load_id,
        write_disposition=rp.config.write_disposition, primary_key=primary_key_of(rp),
        root_table=root_table, exclusive=root_table not in shared_tables,
        merge_key=merge_key_of(rp))


def shared_root_tables(tables: list[str]) -> set[str]:
    """Root tables whose table family (``t`` and ``t__*``) another loading resource writes."""
    shared: set[str] = set()
    for i, a in enumerate(tables):
        for b in tables[i + 1:]:
            if a == b or b.startswith(a + "__") or a.startswith(b + "__"):
                shared |= {a, b}
    return shared
