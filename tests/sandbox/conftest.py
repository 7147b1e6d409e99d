"""Fixtures for the sandbox tests: a small HTTP helper over a real aiohttp client session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from restsync.sandbox import SandboxServer


@dataclass
class Reply:
    """A finished response: status, headers and the parsed JSON body (or text)."""

    status: int
    headers: dict[str, str]
    body: Any
    url: str


class Http:
    """Thin async helper around one :class:`aiohttp.ClientSession`."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def request(self, method: str, url: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            body: Any = text
            if response.content_type == "application/json":
                body = await response.json(content_type=None)
            return Reply(response.status, dict(response.headers), body, str(response.url))

    async def get(self, url: str, **kwargs: Any) -> Reply:
        return await self.request("GET", url, **kwargs)

    async def token(self, server: SandboxServer, *, refresh_name: str = "refresh_token") -> str:
        """Run the refresh-token grant against ``server`` and return the access token."""
        assert server.token_url is not None
        reply = await self.request("POST", server.token_url, data={
            "grant_type": "refresh_token",
            "client_id": server.secrets["client_id"],
            "client_secret": server.secrets["client_secret"],
            "refresh_token": server.secrets[refresh_name],
        })
        assert reply.status == 200, reply.body
        return str(reply.body["access_token"])


@pytest.fixture
async def http() -> AsyncIterator[Http]:
    async with aiohttp.ClientSession() as session:
        yield Http(session)


def bearer(token: str) -> dict[str, str]:
    """Authorization header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}
