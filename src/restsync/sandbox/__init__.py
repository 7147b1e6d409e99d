"""Loopback servers of the five seed APIs, for end-to-end tests and the README demo.

Each sandbox follows its seed document (``examples/seeds/<name>.md``) and, where the document
is silent, the real service (see ``/work/shared/notes/seeds.md``). Every sandbox exposes:

* ``overrides()``: the ``--set`` strings that point the document at it
  (``client.base_url=...`` and, with OAuth2, ``client.auth.token_url=...``);
* ``secrets`` / ``config`` / ``params``: the values the document asks for by name;
* ``expected_records``: rows per resource a full run of the document yields, computed from
  the generated data; ``expected_nested(resource)`` for child-table rows;
* ``requests``: a log of every request; ``faults``: fault injection; ``latency``;
  ``invalidate_tokens()``.

Synchronous use (pytest fixtures, CLI)::

    with start_sandboxes(["email_api"]) as group:
        server = group["email_api"]
        ...

Asynchronous use: ``async with EmailApiSandbox() as server: ...``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from restsync.sandbox._common import RecordedRequest, RequestLog
from restsync.sandbox._faults import Fault, FaultInjector
from restsync.sandbox._group import SandboxGroup
from restsync.sandbox._server import SandboxInfo, SandboxServer
from restsync.sandbox.calendar_api import CalendarApiSandbox
from restsync.sandbox.email_api import EmailApiSandbox
from restsync.sandbox.email_events_api import EmailEventsApiSandbox
from restsync.sandbox.marketing_api import MarketingApiSandbox
from restsync.sandbox.project_api import ProjectApiSandbox

SANDBOXES: dict[str, type[SandboxServer]] = {
    "email_api": EmailApiSandbox,
    "calendar_api": CalendarApiSandbox,
    "email_events_api": EmailEventsApiSandbox,
    "marketing_api": MarketingApiSandbox,
    "project_api": ProjectApiSandbox,
}
"""Registry: seed document stem -> sandbox class."""


def start_sandboxes(
    names: Sequence[str] | None = None,
    host: str = "127.0.0.1",
    *,
    ports: Mapping[str, int] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> SandboxGroup:
    """Build a :class:`SandboxGroup`; start it with ``with`` (or ``.start()``/``.stop()``).

    Args:
        names: Registry names to start (``None``: all five).
        host: Interface to listen on.
        ports: Fixed ports by name (``"<name>:token"`` for a separate token host); others free.
        options: Constructor keyword arguments by name, e.g.
            ``{"email_events_api": {"events": 200_000, "latency": 0.02}}``.

    Returns:
        The group (not yet started; ``with start_sandboxes(...) as group`` starts it).
    """
    return SandboxGroup(SANDBOXES, names, host, ports=ports, options=options)


def serve_forever(
    names: Sequence[str] | None = None,
    host: str = "127.0.0.1",
    ports: Mapping[str, int] | None = None,
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    on_started: Callable[[list[SandboxInfo]], None] | None = None,
    stop: threading.Event | None = None,
) -> list[SandboxInfo]:
    """Serve sandboxes until ``stop`` is set or Ctrl-C; prints nothing.

    Args:
        names: Registry names (``None``: all five).
        host: Interface to listen on.
        ports: Fixed ports by name, see :func:`start_sandboxes`.
        options: Constructor keyword arguments by name.
        on_started: Called once with the servers' details as soon as they listen (the CLI
            prints them there).
        stop: Set it (from another thread) to shut down; without it only Ctrl-C stops.

    Returns:
        The servers' details (after they stopped).
    """
    stop = stop or threading.Event()
    with start_sandboxes(names, host, ports=ports, options=options) as group:
        infos = group.info()
        if on_started is not None:
            on_started(infos)
        try:
            while not stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
    return infos


__all__ = [
    "SANDBOXES",
    "CalendarApiSandbox",
    "EmailApiSandbox",
    "EmailEventsApiSandbox",
    "Fault",
    "FaultInjector",
    "MarketingApiSandbox",
    "ProjectApiSandbox",
    "RecordedRequest",
    "RequestLog",
    "SandboxGroup",
    "SandboxInfo",
    "SandboxServer",
    "serve_forever",
    "start_sandboxes",
]
