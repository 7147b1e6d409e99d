"""Fault injection: unit tests and every fault kind over real loopback HTTP."""

from __future__ import annotations

import base64

import aiohttp
import pytest

from restsync.sandbox import EmailEventsApiSandbox
from restsync.sandbox._faults import FaultInjector


@pytest.fixture
async def server():
    async with EmailEventsApiSandbox(domains=30, events=40) as srv:
        yield srv


@pytest.fixture
def auth(server) -> dict[str, str]:
    pair = f"api:{server.secrets['private_key']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def test_fault_injector_counts_and_matching():
    faults = FaultInjector()
    first = faults.add(r"/drafts$", 503, times=2, retry_after="0")
    only_page_2 = faults.add(r"/messages$", 500, times=None, query={"pageToken": "p2"}, method="GET")
    assert faults.take("GET", "/v1/drafts", {}) is first
    assert faults.take("GET", "/v1/drafts", {}) is first
    assert faults.take("GET", "/v1/drafts", {}) is None
    assert first.fired == 2 and first.exhausted
    assert faults.take("GET", "/v1/messages", {}) is None
    assert faults.take("POST", "/v1/messages", {"pageToken": "p2"}) is None
    for _ in range(5):
        assert faults.take("GET", "/v1/messages", {"pageToken": "p2"}) is only_page_2
    assert only_page_2.fired == 5 and not only_page_2.exhausted
    assert len(faults) == 2
    faults.clear()
    assert faults.take("GET", "/v1/messages", {"pageToken": "p2"}) is None
    with pytest.raises(ValueError):
        faults.add("/x", kind="explode")  # type: ignore[arg-type]


async def test_status_fault_fires_n_times_with_retry_after(http, server, auth):
    fault = server.faults.add(r"^/v1/domains$", 503, times=2, retry_after="0")
    url = server.url("/v1/domains")
    first = await http.get(url, headers=auth)
    second = await http.get(url, headers=auth)
    third = await http.get(url, headers=auth)
    assert (first.status, second.status, third.status) == (503, 503, 200)
    assert first.headers["Retry-After"] == "0"
    assert fault.fired == 2
    assert [r.status for r in server.requests.matching("/v1/domains")] == [503, 503, 200]


async def test_status_fault_with_http_date_and_custom_body(http, server, auth):
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    server.faults.add(r"/v1/events", 429, retry_after=date, body="slow down")
    reply = await http.get(server.url("/v1/events"), headers=auth)
    assert reply.status == 429
    assert reply.headers["Retry-After"] == date
    assert reply.body == "slow down"


async def test_faults_fire_before_authentication(http, server):
    server.faults.add(r"/v1/domains", 500)
    assert (await http.get(server.url("/v1/domains"))).status == 500
    assert (await http.get(server.url("/v1/domains"))).status == 401


async def test_reset_closes_the_connection_without_an_answer(http, server, auth):
    # aiohttp's client silently retries a GET once on a dropped connection: reset twice
    fault = server.faults.add(r"/v1/domains", kind="reset", times=2)
    with pytest.raises(aiohttp.ClientError):
        await http.get(server.url("/v1/domains"), headers=auth)
    assert fault.fired == 2
    assert (await http.get(server.url("/v1/domains"), headers=auth)).status == 200
    assert [r.status for r in server.requests] == [0, 0, 200]


async def test_truncated_body_fails_while_reading(http, server, auth):
    server.faults.add(r"/v1/domains", kind="truncated")
    with pytest.raises(aiohttp.ClientPayloadError):
        await http.get(server.url("/v1/domains"), headers=auth)


async def test_invalid_json_and_html_pages_answer_200(http, server, auth):
    server.faults.add(r"/v1/domains", kind="invalid_json")
    server.faults.add(r"/v1/events", kind="html")
    async with http.session.get(server.url("/v1/domains"), headers=auth) as response:
        assert response.status == 200
        with pytest.raises(ValueError):
            await response.json()
    html = await http.get(server.url("/v1/events"), headers=auth)
    assert html.status == 200
    assert html.headers["Content-Type"].startswith("text/html")
    assert "<html>" in html.body


async def test_html_maintenance_page_with_explicit_status(http, server, auth):
    server.faults.add(r"/v1/domains", 503, kind="html", times=None)
    for _ in range(2):
        reply = await http.get(server.url("/v1/domains"), headers=auth)
        assert reply.status == 503
        assert reply.headers["Content-Type"].startswith("text/html")
