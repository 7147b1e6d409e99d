"""A transport that shows every exchange to a listener: what ``preview`` prints and what
``--record`` saves.

:class:`TapTransport` wraps another :class:`~restsync.extract.http.Transport` (by default the
real :class:`~restsync.extract.aiohttp_transport.AiohttpTransport` the client would have made) and hands
each request, with the response or the transport failure, to a listener. It changes nothing
in what is sent or received. Token requests pass through it too: the tap sits below the auth
flows, so an :class:`Exchange` holds credentials; listeners redact before they show or keep
anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from restsync.errors import RestsyncError
from restsync.extract.aiohttp_transport import AiohttpTransport
from restsync.extract.concurrency import client_bounds
from restsync.extract.http import Request, Response, Transport
from restsync.spec.model import ClientConfig

__all__ = ["Exchange", "TapTransport", "transport_for"]


@dataclass
class Exchange:
    """One request as sent and what came back.

    Attributes:
        request: The request as sent (credentials included: redact before showing it).
        response: The response, or ``None`` when the transport failed.
        error: The transport failure (already free of secrets), or ``None``.
        seconds: How long the exchange took.
    """

    request: Request
    response: Response | None
    error: str | None
    seconds: float


Listener = Callable[[Exchange], None]


def transport_for(config: ClientConfig) -> AiohttpTransport:
    """The real transport :class:`~restsync.extract.ApiClient` makes for ``config``."""
    return AiohttpTransport(timeout=config.timeout, verify_tls=config.verify_tls,
                            limit_per_host=client_bounds(config).ceiling)


class TapTransport:
    """Sends through ``inner`` and hands every exchange to ``listener``.

    Args:
        inner: The transport that really sends.
        listener: Called once per exchange, after it ended (also when it failed).
    """

    def __init__(self, inner: Transport, listener: Listener) -> None:
        self.inner = inner
        self.listener = listener

    async def send(self, request: Request, *, max_bytes: int | None = None) -> Response:
        """Send ``request`` through the inner transport and report the exchange."""
        sent = request.copy()
        started = time.monotonic()
        try:
            response = await self.inner.send(request, max_bytes=max_bytes)
        except RestsyncError as exc:
            self.listener(Exchange(sent, None, str(exc), time.monotonic() - started))
            raise
        self.listener(Exchange(sent, response, None, time.monotonic() - started))
        return response

    async def close(self) -> None:
        """Close the inner transport."""
        await self.inner.close()
