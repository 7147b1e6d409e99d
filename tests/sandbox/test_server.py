"""Sandbox plumbing over real loopback HTTP: latency, delay faults, the request log."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from restsync.sandbox import EmailEventsApiSandbox


@pytest.fixture
async def server():
    async with EmailEventsApiSandbox(domains=30, events=40) as srv:
        yield srv


@pytest.fixture
def auth(server) -> dict[str, str]:
    pair = f"api:{server.secrets['private_key']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


async def test_delay_fault_and_latency_slow_responses_down(http, server, auth):
    server.faults.add(r"/v1/domains", kind="delay", delay=0.2)
    started = time.monotonic()
    reply = await http.get(server.url("/v1/domains"), headers=auth)
    assert reply.status == 200
    assert time.monotonic() - started >= 0.2
    server.latency = 0.1
    started = time.monotonic()
    await asyncio.gather(*(http.get(server.url("/v1/domains"), headers=auth) for _ in range(5)))
    elapsed = time.monotonic() - started
    assert 0.1 <= elapsed < 0.45, "latency applies per request, concurrently"


async def test_request_log_records_method_query_headers_and_status(http, server, auth):
    await http.get(server.url("/v1/domains"), params={"limit": "10", "skip": "20"}, headers=auth)
    await http.get(server.url("/nowhere"), headers=auth)
    first, second = server.requests
    assert (first.method, first.path, first.query) == ("GET", "/v1/domains", {"limit": "10", "skip": "20"})
    assert first.headers["Authorization"] == auth["Authorization"]
    assert first.status == 200 and first.server == "api"
    assert first.url.startswith(server.origin)
    assert second.status == 404
    assert server.requests.count("/v1/") == 1


def test_info_before_start_is_an_error():
    idle = EmailEventsApiSandbox(domains=1, events=1)
    with pytest.raises(RuntimeError, match="not started"):
        idle.base_url  # noqa: B018
    assert "not started" in repr(idle)
