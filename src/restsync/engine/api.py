"""The Python API, shaped like dlt's: ``pipeline(...).run(rest_api_source({...}))``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restsync.engine.capabilities import check_table_formats
from restsync.engine.cassettes import Cassette
from restsync.engine.defaults import DEFAULT_DESTINATION, dataset_name_for
from restsync.engine.executor import Executor, InProcessExecutor, RunContext
from restsync.engine.gc_tuning import fewer_collections
from restsync.engine.history import RunRecorder, redacted_destination, run_status
from restsync.engine.loader import Loader
from restsync.engine.outcome import ResourceOutcome
from restsync.errors import ConfigError, RestsyncError
from restsync.events import EventSink, Notice, discard
from restsync.load import open_destination
from restsync.plan import Plan, ValueLookup, build_plan
from restsync.spec import load_spec
from restsync.spec.model import SourceConfig


def rest_api_source(
    config: Mapping[str, Any] | str | Path,
    *,
    name: str | None = None,
    overrides: Sequence[str] = (),
    params: Mapping[str, Sequence[Any]] | None = None,
    values: Any = None,
) -> SourceConfig:
    """Build a source from a dict (dlt's or restsync's dialect), a spec file or a document.

    Args:
        config: The ``rest_api_source`` dict, or a path to a document / YAML / JSON / TOML spec.
        name: Source name (default: derived from the file name, else ``rest_api``).
        overrides: ``PATH=VALUE`` strings applied before validation (like ``--set``).
        params: Free path parameters (like ``--param``).
        values: A secret/config value resolver (default: environment and TOML files).

    Returns:
        The validated source; ``source.inferences`` lists what restsync inferred.

    Raises:
        ConfigError: The spec is invalid or a secret is missing.
    """
    if isinstance(config, Mapping) and name is None:
        name = str(config.get("name") or "rest_api")
    return load_spec(config, overrides=overrides, params=params, values=values, name=name)


@dataclass
class RunInfo:
    """The result of :meth:`Pipeline.run`.

    Attributes:
        load_id: Identifier stamped on every row of this run (``_dlt_load_id``).
        destination: Destination URL.
        dataset: Dataset (schema) name.
        outcomes: Per resource: status, counts, notes, error.
    """

    load_id: str
    destination: str
    dataset: str
    outcomes: dict[str, ResourceOutcome] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every resource completed (or was extracted only to feed children)."""
        return all(o.status in ("completed", "extracted") for o in self.outcomes.values())

    @property
    def failed(self) -> list[str]:
        """Resources that failed (nothing of them was committed)."""
        return [n for n, o in self.outcomes.items() if o.status == "failed"]

    @property
    def stopped(self) -> list[str]:
        """Resources that stopped cleanly before a long wait (committed so far, resumable)."""
        return [n for n, o in self.outcomes.items() if o.status == "stopped"]


class Pipeline:
    """Runs sources into one destination dataset.

    Args:
        pipeline_name: A name for the pipeline (default: the source's name).
        destination: ``duckdb:///path.duckdb`` (default ``duckdb:///restsync.duckdb`` in the
            working directory).
        dataset_name: Schema the tables go to (default: derived from the source name).
        events: Receives progress events.
        transport: HTTP transport override (tests).
        sleeper: Sleeper override for retry waits (tests).
        max_wait: Longest retry wait (seconds) to sleep through; a resource that would wait
            longer commits what it fetched and stops, and the next run resumes it.
        record: Save every HTTP exchange as a cassette in this folder
            (:mod:`restsync.extract.cassette`).
        replay: Answer every request from the cassette in this folder; nothing is sent and
            retry waits are not slept.
        executor: What runs the extract and normalise work (default: this process's asyncio
            loop; see :mod:`restsync.engine.executor`).
    """

    def __init__(self, pipeline_name: str | None = None, destination: str | None = None,
                 dataset_name: str | None = None, *, events: EventSink = discard,
                 transport: Any = None, sleeper: Any = None,
                 max_wait: float | None = None, record: str | Path | None = None,
                 replay: str | Path | None = None, executor: Executor | None = None) -> None:
        self.pipeline_name = pipeline_name
        self.destination = destination or DEFAULT_DESTINATION
        self.dataset_name = dataset_name
        self.events = events
        self.transport = transport
        self.sleeper = sleeper
        self.max_wait = max_wait
        if record is not None and replay is not None:
            raise ConfigError("give --record or --replay, not both")
        self.record = record
        self.replay = replay
        self.executor: Executor = executor or InProcessExecutor()
        if (record is not None or replay is not None) and \
                not isinstance(self.executor, InProcessExecutor):
            raise ConfigError("--record and --replay run in process: not with --executor "
                              f"{type(self.executor).__name__}")

    def plan(self, source: SourceConfig, resources: Sequence[str] | None = None,
             lookup: ValueLookup | None = None) -> Plan:
        """Resolve the resource graph without running anything."""
        return build_plan(source, selected=resources, lookup=lookup)

    def run(self, source: SourceConfig, *, resources: Sequence[str] | None = None,
            lookup: ValueLookup | None = None) -> RunInfo:
        """Extract every selected resource and load it; blocks until done.

        Returns:
            :class:`RunInfo`; check ``info.ok``. Resource failures do not raise.

        Raises:
            ConfigError: The plan cannot be built (unbound placeholders, unknown resources).
        """
        plan = self.plan(source, resources, lookup)
        return asyncio.run(self.arun(plan))

    async def arun(self, plan: Plan) -> RunInfo:
        """Async form of :meth:`run` taking a ready plan."""
        started = time.monotonic()
        dataset = self.dataset_name or dataset_name_for(plan.source.name)
        load_id = f"{time.time():.6f}"
        info = RunInfo(load_id=load_id, destination=self.destination, dataset=dataset)
        history = RunRecorder(
            run_id=load_id, source=plan.source.name, dataset=dataset,
            destination=redacted_destination(self.destination), forward=self.events,
            mode="replay" if self.replay else "record" if self.record else "run")
        loader = Loader()
        try:
            with fewer_collections():
                await self._run_plan(plan, info, loader, history)
        finally:
            loader.shutdown()
        info.seconds = time.monotonic() - started
        return info

    async def _run_plan(self, plan: Plan, info: RunInfo, loader: Loader,
                        history: RunRecorder) -> None:
        destination = await loader.call(open_destination, self.destination, history.dataset)
        cassette: Cassette | None = None
        ended = "error"
        error: str | None = None
        try:
            await loader.call(destination.record_run, history.run_record(status="running"))
            check_table_formats(plan, destination, self.destination)
            cassette = Cassette(plan.source, self.transport, record=self.record,
                                replay=self.replay)
            info.outcomes = await self.executor.run(RunContext(
                plan, destination, loader, history.run_id, history,
                transport=cassette.transport, sleeper=cassette.sleeper(self.sleeper),
                max_wait=self.max_wait, history=history, on_client=cassette.watch))
            ended = run_status(info.outcomes)
        except BaseException as exc:
            error = str(exc) if isinstance(exc, RestsyncError) else type(exc).__name__
            raise
        finally:
            if cassette is not None:
                await cassette.close()
            try:
                await loader.call(destination.record_run, history.run_record(
                    status=ended, outcomes=info.outcomes, error=error))
            except Exception as exc:  # the data is committed; the run goes on to close
                self.events(Notice(resource=None, message=(
                    f"the run record could not be written: {exc}; the load records of the "
                    "committed resources are there")))
            finally:
                await loader.call(destination.close)


def pipeline(pipeline_name: str | None = None, destination: str | None = None,
             dataset_name: str | None = None, **kwargs: Any) -> Pipeline:
    """Create a :class:`Pipeline` (dlt's ``dlt.pipeline`` shape)."""
    return Pipeline(pipeline_name, destination, dataset_name, **kwargs)
