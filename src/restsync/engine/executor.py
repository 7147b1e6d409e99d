"""The executor seam: what runs a plan's extract and normalise work once the destination is
open.

:class:`InProcessExecutor` (the default) runs everything on this process's asyncio loop
(:class:`~restsync.engine.runner.PlanRunner`). ``--executor ray``
(:mod:`restsync.engine.scaleout`) runs partitions on Ray workers and loads what they hand
back on this process. Both load through the same :class:`~restsync.engine.loader.Loader`
thread and destination, so the commit rules do not depend on the executor.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from restsync.engine.executor_names import EXECUTORS, known_executor
from restsync.engine.history import RunRecorder
from restsync.engine.loader import Loader
from restsync.engine.outcome import ResourceOutcome
from restsync.engine.runner import PlanRunner
from restsync.errors import ConfigError
from restsync.events import EventSink
from restsync.extract import ApiClient
from restsync.load import Destination
from restsync.plan import Plan

__all__ = ["EXECUTORS", "Executor", "InProcessExecutor", "RunContext", "executor_named"]


@dataclass
class RunContext:
    """What an executor gets for one run.

    Attributes:
        plan: What to run.
        destination: The open destination (use it from ``loader``'s thread only).
        loader: The loader thread.
        load_id: Identifier of this run's loads.
        events: Where progress goes.
        transport: HTTP transport override (tests; the in-process executor only).
        sleeper: Sleeper override for retry waits (tests; the in-process executor only).
        max_wait: Longest retry wait to sleep through.
        history: Keeps what the run does; its record of a resource is committed with the
            resource's rows (the in-process executor).
        on_client: Called with the run's :class:`ApiClient` once it is open (a recording
            cassette watches it for learnt tokens; the in-process executor only).
    """

    plan: Plan
    destination: Destination
    loader: Loader
    load_id: str
    events: EventSink
    transport: Any = None
    sleeper: Any = None
    max_wait: float | None = None
    history: RunRecorder | None = None
    on_client: Callable[[ApiClient], None] | None = None


class Executor(Protocol):
    """Runs a plan's resources and returns their outcomes (failures do not raise)."""

    async def run(self, ctx: RunContext) -> dict[str, ResourceOutcome]: ...


class InProcessExecutor:
    """The default: every resource as an asyncio task of this process."""

    async def run(self, ctx: RunContext) -> dict[str, ResourceOutcome]:
        """Run ``ctx.plan`` with one :class:`ApiClient` on this loop."""
        async with ApiClient(ctx.plan.source.client, events=ctx.events, transport=ctx.transport,
                             sleeper=ctx.sleeper, max_wait=ctx.max_wait) as client:
            if ctx.on_client is not None:
                ctx.on_client(client)
            runner = PlanRunner(ctx.plan, client, ctx.destination, ctx.loader, ctx.load_id,
                                ctx.events, history=ctx.history)
            return await runner.run()


def executor_named(name: str, **options: Any) -> Executor:
    """The executor called ``name``, built with ``options``.

    Raises:
        ConfigError: Unknown name (the known ones are listed), or options it does not take.
    """
    target = known_executor(name)
    module, _, cls = target.partition(":")
    factory = getattr(importlib.import_module(module), cls)
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return factory(**given)
    except TypeError:
        raise ConfigError(f"executor {name!r} takes no option(s) "
                          f"{', '.join('--' + k.replace('_', '-') for k in given)}",
                          location="--executor") from None
