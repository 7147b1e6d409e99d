"""The Ray executor's driver: dispatches partitions to Ray workers, loads what they return.

Every resource runs as an asyncio task of the driver, as in the in-process runner. Its
partitions (:mod:`restsync.plan.partitions`) are submitted as Ray tasks
(:func:`~restsync.engine.scaleout.work.run_partition`); at most ``2 x workers`` are in flight
(or waiting to be loaded) across the run, so the object store holds a bounded number of
results. Results are loaded **in partition order** on the driver's loader thread, through
the destination's ordinary :class:`~restsync.load.ResourceLoad` (DuckDB's single writer; the
same path serves PostgreSQL and the lake formats), and the resource commits once, with its
state, exactly as in the default executor. A parent's records reach its children as each of
its partitions is loaded: the children cut them into chunks of ``chunk_size`` records and
dispatch each chunk as a partition.

Per-host limits (``max_concurrency``, ``rate_limit``, the adaptive cut on 429/503) hold for
the whole run: every worker's client takes its permits from one
:class:`~restsync.engine.scaleout.permits.PermitService` actor.

**Per-partition checkpoints.** A root resource without children that appends, or merges on
its primary key only (:func:`~.resource_run.checkpoints_partitions`), commits its loaded partitions as it
goes: at most every ``checkpoint_seconds`` the driver commits the rows loaded so far with a
state that keeps the stored cursor and names the partitions done (with their highest
cursors), then begins a new load for the next ones. A run that dies is re-run from the
partitions not named there (both executors skip the named ones,
:meth:`~restsync.engine.state.ResourceState.skip_done`); the last commit, when the resource
completes, advances the cursor over every partition and forgets the names. Replace (the
first commit would drop the old rows before the rest is fetched), a merge key (a later
partition's commit would replace rows of an earlier one) and parents (their children's
chunks are cut from their records as they stream) keep one commit per resource.

**Clean stops** (``--max-wait``): a partition whose next retry wait is too long hands back
the rows before it with the stop; the driver loads them, drops the partitions after it and,
where the in-process runner would (:func:`~restsync.engine.runner.can_stop_cleanly`),
commits them with a resume point (status ``stopped``, exit code 3); otherwise the resource
fails with the stop, as there.

Ray re-runs a task whose worker process died (``max_retries``); since a worker writes
nothing, the re-run's rows are the only ones loaded. A partition that raises fails its
resource (nothing of it is committed) and the resource's children, as in the default
executor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from restsync import faultpoints
from restsync.engine.executor import RunContext
from restsync.engine.items import WorkItem, partition_items, work_items
from restsync.engine.outcome import (
    ResourceOutcome,
    check_not_all_skipped,
    describe,
    finished_event,
)
from restsync.engine.runner import (
    begin_load,
    can_stop_cleanly,
    shared_root_tables,
    stop_message,
)
from restsync.engine.scaleout.permits import permit_service
from restsync.engine.scaleout.resource_run import (
    ResourceRun,
    checkpoints_partitions,
    write_all,
)
from restsync.engine.scaleout.work import (
    PartitionResult,
    PartitionTask,
    parent_fields,
    run_partition,
)
from restsync.engine.state import ResourceState
from restsync.errors import FatalError, StoppedEarlyError
from restsync.events import Notice, ResourceFailed, ResourceStarted
from restsync.extract.credential_digest import new_run_key
from restsync.load import ResourceLoad
from restsync.normalize import normalize_identifier
from restsync.plan import ResourcePlan, resource_partitions
from restsync.plan.partitions import chunk_id

__all__ = ["WORKER_RETRIES", "RayDriver"]

WORKER_RETRIES = 3
"""Times Ray re-runs a partition whose worker process died."""

_END = object()
_PARENT_FAILED = object()

Unit = tuple[str, list[WorkItem]]


class RayDriver:
    """Runs one plan on Ray (see the module docstring).

    Args:
        ray: The connected ``ray`` module.
        ctx: The run.
        workers: Workers of the run (in-flight bound: twice as many partitions).
        chunk_size: Parent records per child partition.
        global_limits: One permit service for the run (else each worker paces alone).
        checkpoint_seconds: Longest time between two commits of a checkpointing resource.
    """

    def __init__(self, ray: Any, ctx: RunContext, workers: int, chunk_size: int, *,
                 global_limits: bool = True, checkpoint_seconds: float = 2.0) -> None:
        self.ray = ray
        self.checkpoint_seconds = checkpoint_seconds
        self.ctx = ctx
        self.chunk_size = chunk_size
        self.remote = ray.remote(num_cpus=1, max_retries=WORKER_RETRIES,
                                 retry_exceptions=False)(run_partition)
        self.plan_ref = ray.put(ctx.plan)
        self.permits = permit_service(ray) if global_limits else None
        self.pacing_key = new_run_key()  # every worker digests credentials with it
        self.slots = asyncio.Semaphore(max(1, workers) * 2)
        self.started_at = datetime.now(UTC)
        self.outcomes: dict[str, ResourceOutcome] = {}
        self.feeds: dict[str, asyncio.Queue[Any]] = {}
        self.shared_tables: set[str] = set()

    async def run(self) -> dict[str, ResourceOutcome]:
        """Run every resource of the plan; their outcomes by name (failures do not raise)."""
        to_run = self.ctx.plan.to_run()
        running = {rp.name for rp in to_run}
        self.shared_tables = shared_root_tables(
            [normalize_identifier(rp.table_name) for rp in to_run if rp.load])
        for rp in to_run:
            if rp.parent is not None:
                self.feeds[rp.name] = asyncio.Queue()
        if self.permits is not None:
            await self.permits.open.remote(self.ctx.load_id, self.ctx.plan.source.client)
        try:
            await asyncio.gather(*(self._resource(rp, running) for rp in to_run))
        finally:
            if self.permits is not None:
                await self._close_permits()
        return self.outcomes

    async def _close_permits(self) -> None:
        """Close the run's pacing in the permit service and report where its limits
        settled (as the default executor's client does when it closes)."""
        assert self.permits is not None
        try:
            events = await self.permits.close.remote(self.ctx.load_id)
        except Exception as exc:  # the service is gone: the run's outcome stands
            self.ctx.events(Notice(resource=None, message=(
                f"where the in-flight limits settled is unknown: the permit service "
                f"did not answer ({type(exc).__name__})")))
            return
        for event in events:
            self.ctx.events(event)

    async def _resource(self, rp: ResourcePlan, running: set[str]) -> None:
        started = time.monotonic()
        outcome = self.outcomes[rp.name] = ResourceOutcome(name=rp.name)
        children = [c for c in rp.children if c in running]
        ctx = self.ctx
        ctx.events(ResourceStarted(resource=rp.name))
        load: ResourceLoad | None = None
        partial: ResourceRun | None = None
        try:
            stored = await ctx.loader.call(ctx.destination.get_state, rp.name) if rp.load else {}
            state = ResourceState(rp, stored, self.started_at)
            if rp.load:
                load = await begin_load(ctx.loader, ctx.destination, rp, ctx.load_id,
                                        self.shared_tables)
            partial = ResourceRun(rp, outcome, state, load, children, stored,
                                  checkpoints=checkpoints_partitions(rp),
                                  last_checkpoint=time.monotonic())
            units = self._roots(partial) if rp.parent is None else self._chunks(partial)
            try:
                await self._dispatch_and_load(partial, units)
            except _Stopped as stop:
                await self._stop_cleanly(partial, stop.error)
                return
            check_not_all_skipped(outcome, f"resource '{rp.name}'")
            for child in children:
                await self.feeds[child].put(_END)
            if load is not None:
                await self._commit(partial)
            else:
                outcome.status = "extracted"
        except BaseException as exc:
            current = partial.load if partial is not None else load  # after a checkpoint: a new one
            await self._fail(rp, outcome, current, children, exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            outcome.seconds = time.monotonic() - started
        if outcome.status in ("completed", "extracted"):
            ctx.events(finished_event(outcome))

    # ------------------------------------------------------------------ units of work

    async def _roots(self, res: ResourceRun) -> AsyncIterator[Unit]:
        split = resource_partitions(res.rp, self.started_at, start_for=res.state.start_for)
        pairs = res.state.skip_done(zip([p.id for p in split.partitions],
                                        partition_items(res.rp, split.partitions), strict=True))
        res.done = res.state.done_partitions
        res.outcome.items_total = len(pairs)
        for partition, item in pairs:
            yield partition, [item]

    async def _chunks(self, res: ResourceRun) -> AsyncIterator[Unit]:
        rp, feed, index = res.rp, self.feeds[res.rp.name], 0
        while True:
            message = await feed.get()
            if message is _END:
                return
            if message is _PARENT_FAILED:
                raise FatalError(f"parent resource `{rp.parent}` failed",
                                 location=f"resource '{rp.name}'")
            parent_partition, rows = message
            for k in range(0, len(rows), self.chunk_size):
                items: list[WorkItem] = []
                for row in rows[k:k + self.chunk_size]:
                    items.extend(work_items(rp, row, index))
                    index += 1
                res.outcome.items_total += len(items)
                yield chunk_id(rp.name, parent_partition, k // self.chunk_size), items

    # ------------------------------------------------------------------ dispatch and load

    async def _dispatch_and_load(self, res: ResourceRun, units: AsyncIterator[Unit]) -> None:
        submitted: asyncio.Queue[Any] = asyncio.Queue()
        fields = parent_fields(self.ctx.plan, res.rp) if res.children else ()
        ctx = self.ctx

        async def dispatch() -> None:
            try:
                first = True
                async for partition, items in units:
                    await self.slots.acquire()
                    task = PartitionTask(
                        resource=res.rp.name, partition=partition, items=items,
                        stored_state=res.stored,
                        stored_schema=res.load.stored_schema if res.load is not None else None,
                        run_started_at=self.started_at, load_id=ctx.load_id,
                        child_fields=fields, max_wait=ctx.max_wait, permits=self.permits,
                        resume_from=res.state.resume_from if first else None,
                        pacing_key=self.pacing_key)
                    first = False
                    await submitted.put((partition, self.remote.remote(self.plan_ref, task)))
                await submitted.put(None)
            except BaseException as exc:
                await submitted.put(exc)

        dispatcher = asyncio.create_task(dispatch())
        try:
            while (entry := await submitted.get()) is not None:
                if isinstance(entry, BaseException):
                    raise entry
                partition, ref = entry
                try:
                    result = await ref
                except Exception as exc:
                    self._finished_without_result(partition)
                    raise self._unwrap(exc, partition) from None
                finally:
                    self.slots.release()
                await self._absorb(res, result)
                if result.stopped is not None:  # the partitions after it are dropped
                    raise _Stopped(result.stopped)
        except BaseException:
            dispatcher.cancel()
            await asyncio.gather(dispatcher, return_exceptions=True)
            while not submitted.empty():
                entry = submitted.get_nowait()
                if isinstance(entry, tuple):
                    self.ray.cancel(entry[1])
                    self._finished_without_result(entry[0])
                    self.slots.release()
            raise
        await dispatcher

    async def _absorb(self, res: ResourceRun, result: PartitionResult) -> None:
        """Count, load and pass on one partition's result (in partition order)."""
        res.count(result, self.ctx.events)
        if res.load is not None and result.batches:
            await self.ctx.loader.call(write_all, res.load,
                                       res.with_merged_schemas(result.batches))
        for child in res.children:
            await self.feeds[child].put((result.partition, result.parent_rows))
        if res.checkpoints and result.stopped is None:
            res.done[result.partition] = result.cursors[-1][2] if result.cursors else None
            if time.monotonic() - res.last_checkpoint >= self.checkpoint_seconds:
                await self._checkpoint(res)

    async def _checkpoint(self, res: ResourceRun) -> None:
        """Commit the partitions loaded so far (cursor kept, their ids named in the state)
        and begin the load of the next ones."""
        assert res.load is not None
        report = await self.ctx.loader.call(res.load.commit, res.state.in_progress(res.done))
        faultpoints.reach("scaleout.checkpoint.after")
        res.reports.append(report)
        res.load = None
        res.load = await begin_load(self.ctx.loader, self.ctx.destination, res.rp,
                                    self.ctx.load_id, self.shared_tables)
        res.last_checkpoint = time.monotonic()

    async def _stop_cleanly(self, res: ResourceRun, exc: StoppedEarlyError) -> None:
        """Commit what the partitions up to the stop fetched, with a resume point, or fail
        the resource where the in-process runner would."""
        try:
            if res.load is None or exc.resume_state is None or not can_stop_cleanly(res.rp, exc):
                raise exc
            await self._commit(res, res.state.stopped(exc.resume_state, res.done))
        except Exception as error:
            await self._fail(res.rp, res.outcome, res.load, res.children, error)
            return
        res.outcome.status = "stopped"
        res.outcome.error = stop_message(exc)
        self.ctx.events(Notice(resource=res.rp.name, message=res.outcome.error))

    async def _commit(self, res: ResourceRun, state: dict[str, Any] | None = None) -> None:
        assert res.load is not None
        if state is None:
            state = res.state.completed(list(res.inferred))
        report = await self.ctx.loader.call(res.load.commit, state)
        res.report(report, self.ctx.events)

    async def _fail(self, rp: ResourcePlan, outcome: ResourceOutcome,
                    load: ResourceLoad | None, children: list[str], exc: BaseException) -> None:
        outcome.status = "failed"
        outcome.error = describe(exc)
        if load is not None:
            try:
                await self.ctx.loader.call(load.abort)
            except Exception as abort_exc:  # pragma: no cover - reported, not raised
                outcome.notes.append(f"abort failed: {describe(abort_exc)}")
        for child in children:
            await self.feeds[child].put(_PARENT_FAILED)
        self.ctx.events(ResourceFailed(resource=rp.name, error=outcome.error,
                                       kind=type(exc).__name__))

    def _finished_without_result(self, partition: str) -> None:
        """Tell the permit service: the slots ``partition``'s workers hold are void."""
        if self.permits is not None:
            self.permits.finish.remote(self.ctx.load_id, partition)

    def _unwrap(self, exc: Exception, partition: str) -> BaseException:
        """The worker's own exception out of Ray's wrapper; a dead worker named."""
        exceptions = self.ray.exceptions
        if isinstance(exc, exceptions.RayTaskError):
            cause = getattr(exc, "cause", None)
            if isinstance(cause, BaseException):
                return cause
        if isinstance(exc, exceptions.WorkerCrashedError | exceptions.NodeDiedError):
            return FatalError(f"the Ray worker running partition {partition} died "
                              f"{WORKER_RETRIES + 1} times", location=f"partition {partition}")
        return exc


class _Stopped(Exception):
    """A partition stopped cleanly (carries its :class:`StoppedEarlyError`)."""

    def __init__(self, error: StoppedEarlyError) -> None:
        super().__init__(str(error))
        self.error = error
