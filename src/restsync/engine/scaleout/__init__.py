"""``--executor ray``: one run's partitions on Ray workers (``docs/scale-out.md``).

Install with ``pip install 'restsync[ray]'``. Nothing here imports Ray until a run uses it.
"""

from __future__ import annotations

from restsync.engine.executor import RunContext
from restsync.engine.outcome import ResourceOutcome
from restsync.engine.scaleout.cluster import ray_session
from restsync.errors import ConfigError
from restsync.plan.partitions import DEFAULT_CHUNK_SIZE

__all__ = ["RayExecutor"]


class RayExecutor:
    """Runs partitions on Ray; the destination is loaded by this process.

    Args:
        workers: Workers (local instance: its CPUs; a cluster: partitions running at once).
        ray_address: ``None`` to start a local instance for the run, else a cluster address
            (``auto``, ``ray://host:10001``).
        chunk_size: Parent records per partition of a child resource.
        global_limits: Per-host limits for the whole run (one permit service); ``False``:
            each worker keeps them on its own (N workers may then send N times the rate).
        checkpoint_seconds: At most this long between two commits of a resource whose
            partitions are committed as they load (0: after every partition; see
            :mod:`restsync.engine.scaleout.driver`).

    Raises:
        ConfigError: ``workers`` or ``chunk_size`` below 1.
    """

    def __init__(self, workers: int = 2, ray_address: str | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, global_limits: bool = True,
                 checkpoint_seconds: float = 2.0) -> None:
        if workers < 1:
            raise ConfigError("--workers must be at least 1", location="--workers")
        if chunk_size < 1:
            raise ConfigError("--chunk-size must be at least 1", location="--chunk-size")
        self.workers = workers
        self.ray_address = ray_address
        self.chunk_size = chunk_size
        self.global_limits = global_limits
        self.checkpoint_seconds = checkpoint_seconds

    async def run(self, ctx: RunContext) -> dict[str, ResourceOutcome]:
        """Connect to Ray, run the plan, disconnect (see :mod:`.cluster`)."""
        from restsync.engine.scaleout.driver import RayDriver

        with ray_session(self.ray_address, self.workers) as ray:
            return await RayDriver(ray, ctx, self.workers, self.chunk_size,
                                   global_limits=self.global_limits,
                                   checkpoint_seconds=self.checkpoint_seconds).run()
