"""One HTTP client per worker process and run, kept from partition to partition.

A Ray worker process runs many partitions one after the other. Opening an
:class:`~restsync.extract.ApiClient` for each one cost a new connection pool, a new
OAuth token (a token request per partition) and a new event loop. Instead each worker
process keeps **one event loop** for its life and **one client per run** (keyed by the
run's load id, ``--max-wait`` and the client settings: a client holds the source's auth, so
one client per run is what the in-process executor has too), with the run's :class:`~.permits.RemotePacer`. The clients of
older runs are closed when a newer run arrives (a worker of a long-lived cluster serves many
runs), keeping at most :data:`KEEP_RUNS`.

If a partition is interrupted from outside (``ray.cancel`` raises ``KeyboardInterrupt`` in
the worker), the loop may hold half-run tasks: it is dropped with its clients and the next
partition starts afresh.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from restsync.engine.scaleout.permits import RemotePacer
from restsync.events import discard
from restsync.extract import ApiClient
from restsync.spec.model import ClientConfig

__all__ = ["KEEP_RUNS", "WORKER_ID", "WorkerClients", "worker_clients"]

KEEP_RUNS = 2
"""Runs whose clients a worker process keeps open."""

WORKER_ID = uuid.uuid4().hex
"""This process's id towards the permit service (a partition re-run after its worker died
runs in another process, under another id)."""

T = TypeVar("T")
ClientKey = tuple[str, float | None, str]


class WorkerClients:
    """A worker process's event loop and its open clients, by run."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: OrderedDict[ClientKey, ApiClient] = OrderedDict()
        self.opened = 0

    def run(self, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``work()`` to completion on the worker's loop."""
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
        try:
            return self.loop.run_until_complete(work())
        except Exception:
            raise
        except BaseException:
            self._drop_loop()
            raise

    async def client(self, config: ClientConfig, *, load_id: str, max_wait: float | None,
                     permits: Any, pacing_key: bytes | None = None) -> ApiClient:
        """The open client of run ``load_id`` (opened on first use; ``pacing_key``: the
        run's key of credential digests, the same in every worker)."""
        key = (load_id, max_wait, config.model_dump_json())
        found = self.clients.get(key)
        if found is not None:
            self.clients.move_to_end(key)
            return found
        while len(self.clients) >= KEEP_RUNS:
            _, old = self.clients.popitem(last=False)
            await old.close()
        client = ApiClient(config, events=discard, max_wait=max_wait, pacing_key=pacing_key)
        await client.__aenter__()
        if permits is not None:
            client.pacer = RemotePacer(  # type: ignore[assignment]
                permits, config, load_id, WORKER_ID)
        self.clients[key] = client
        self.opened += 1
        return client

    def _drop_loop(self) -> None:
        self.clients.clear()
        loop, self.loop = self.loop, None
        if loop is not None and not loop.is_running():
            loop.close()


worker_clients = WorkerClients()
"""This process's clients (a Ray worker runs one partition at a time)."""
