"""Run several sandboxes on a private asyncio loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from restsync.sandbox._server import SandboxInfo, SandboxServer

T = TypeVar("T")
S = TypeVar("S", bound=SandboxServer)


class SandboxGroup:
    """Sandboxes served from a background thread with its own event loop.

    Usable from synchronous code (pytest fixtures, the CLI)::

        with start_sandboxes(["email_api"]) as group:
            server = group["email_api"]
            run_document("examples/seeds/email_api.md", overrides=server.overrides())

    Args:
        registry: Name -> sandbox class.
        names: Which sandboxes to start (``None``: all of ``registry``).
        host: Interface to listen on.
        ports: Fixed ports by name; ``"<name>:token"`` sets the separate token host's port.
            Missing names get free ports.
        options: Constructor keyword arguments by name (data scale, latency, seed...).
    """

    def __init__(
        self,
        registry: Mapping[str, type[SandboxServer]],
        names: Sequence[str] | None = None,
        host: str = "127.0.0.1",
        *,
        ports: Mapping[str, int] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        chosen = list(registry) if names is None else list(names)
        unknown = [n for n in chosen if n not in registry]
        if unknown:
            raise KeyError(f"unknown sandbox(es) {unknown}; known: {sorted(registry)}")
        bad_options = set(options or {}) - set(chosen)
        if bad_options:
            raise KeyError(f"options given for sandboxes that are not started: {sorted(bad_options)}")
        self.host = host
        self.ports = dict(ports or {})
        self.servers: dict[str, SandboxServer] = {
            name: registry[name](**dict((options or {}).get(name, {}))) for name in chosen
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SandboxGroup:
        """Start the loop thread and every server; returns ``self``."""
        if self._thread is not None:
            raise RuntimeError("sandbox group already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="restsync-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self.call(self._start_all())
        except BaseException:
            self.stop()
            raise
        return self

    async def _start_all(self) -> None:
        for name, server in self.servers.items():
            await server.start(self.host, self.ports.get(name, 0), self.ports.get(f"{name}:token", 0))

    async def _stop_all(self) -> None:
        for server in self.servers.values():
            await server.stop()

    def stop(self) -> None:
        """Stop every server and the loop thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            if loop.is_running():
                self.call(self._stop_all())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            self._loop = None
            self._thread = None

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run a coroutine on the group's loop and wait for its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("sandbox group is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call_soon(self, func: Callable[[], Any]) -> None:
        """Schedule a plain callable on the group's loop (thread-safe)."""
        if self._loop is None:
            raise RuntimeError("sandbox group is not started")
        self._loop.call_soon_threadsafe(func)

    def __enter__(self) -> SandboxGroup:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ access

    def __getitem__(self, name: str) -> SandboxServer:
        return self.servers[name]

    def get(self, name: str, kind: type[S]) -> S:
        """The server ``name``, checked to be a ``kind`` (typed access to its own controls).

        Example: ``group.get("project_api", ProjectApiSandbox).add_recordings(3)``.
        """
        server = self.servers[name]
        if not isinstance(server, kind):
            raise TypeError(f"sandbox {name!r} is a {type(server).__name__}, not {kind.__name__}")
        return server

    def __iter__(self) -> Iterator[SandboxServer]:
        return iter(self.servers.values())

    def __len__(self) -> int:
        return len(self.servers)

    def info(self) -> list[SandboxInfo]:
        """Connection details of every started server."""
        return [server.info() for server in self.servers.values()]
