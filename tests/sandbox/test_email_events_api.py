"""Sandbox of seed 002 (email events API) over real loopback HTTP."""

from __future__ import annotations

import base64

import pytest
from yarl import URL

from restsync.sandbox import EmailEventsApiSandbox


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
async def server():
    async with EmailEventsApiSandbox() as srv:
        yield srv


@pytest.fixture
def auth(server) -> dict[str, str]:
    return basic("api", server.secrets["private_key"])


async def test_basic_auth_user_api_and_private_key(http, server):
    key = server.secrets["private_key"]
    for headers in ({}, basic("admin", key), basic("api", "wrong"), {"Authorization": f"Bearer {key}"}):
        reply = await http.get(server.url("/v1/domains"), headers=headers)
        assert reply.status == 401
        assert reply.body == "Forbidden"
    assert (await http.get(server.url("/v1/events"), headers=basic("api", key))).status == 200


async def test_domains_offset_paging_with_skip_and_limit(http, server, auth):
    pages: list[list[dict]] = []
    skip = 0
    while True:
        reply = await http.get(server.url("/v1/domains"), params={"limit": 1000, "skip": skip},
                               headers=auth)
        assert set(reply.body) == {"items"}, "no total in the body"
        pages.append(reply.body["items"])
        if len(reply.body["items"]) < 1000:
            break
        skip += 1000
    assert [len(p) for p in pages] == [1000, 1000, 350]
    ids = [d["id"] for p in pages for d in p]
    assert len(ids) == len(set(ids)) == server.expected_records["domains"]
    assert all(isinstance(d["ips"], list) for p in pages for d in p)
    default = await http.get(server.url("/v1/domains"), headers=auth)
    assert len(default.body["items"]) == 100
    past_end = await http.get(server.url("/v1/domains"), params={"skip": 5000}, headers=auth)
    assert past_end.body == {"items": []}


async def test_events_next_is_a_full_url_on_every_page_and_data_ends_with_empty_items(
    http, server, auth
):
    url = server.url("/v1/events")
    events: list[dict] = []
    sizes: list[int] = []
    for _ in range(100):
        reply = await http.get(url, headers=auth)
        assert reply.status == 200
        next_url = reply.body["paging"]["next"]
        assert URL(next_url).is_absolute()
        assert next_url.startswith(server.origin)
        assert "from" in URL(next_url).query
        sizes.append(len(reply.body["items"]))
        if not reply.body["items"]:
            break
        events.extend(reply.body["items"])
        url = next_url
    else:
        pytest.fail("events never ended with an empty page")
    assert sizes[-1] == 0 and sizes[0] == 100
    assert len(events) == server.expected_records["events"]
    assert len({e["id"] for e in events}) == len(events)
    # an empty page still points on: a client must stop on empty items, not on missing next
    again = await http.get(next_url, headers=auth)
    assert again.body["items"] == [] and again.body["paging"]["next"]
    keys = {k for e in events for k in e}
    assert {"delivery-status", "client-info", "user-variables", "log-level",
            "recipient-domain"} <= keys
    assert any(e.get("campaigns") for e in events) and any(e.get("tags") for e in events)


async def test_events_limit_is_kept_in_next_urls_and_bad_from_is_400(http, server, auth):
    first = await http.get(server.url("/v1/events"), params={"limit": 300}, headers=auth)
    assert len(first.body["items"]) == 300
    second = await http.get(first.body["paging"]["next"], headers=auth)
    assert len(second.body["items"]) == 300
    assert second.body["items"][0]["id"] != first.body["items"][0]["id"]
    as_param = await http.get(server.url("/v1/events"), params={"from": first.body["paging"]["next"]},
                              headers=auth)
    assert as_param.status == 400
    garbage = await http.get(server.url("/v1/events"), params={"from": "zzz"}, headers=auth)
    assert garbage.status == 400


async def test_scale_for_benchmarks(http, auth):
    async with EmailEventsApiSandbox(domains=10, events=2500, events_page_size=1000) as server:
        headers = basic("api", server.secrets["private_key"])
        url = server.url("/v1/events")
        sizes = []
        while True:
            reply = await http.get(url, headers=headers)
            sizes.append(len(reply.body["items"]))
            if not reply.body["items"]:
                break
            url = reply.body["paging"]["next"]
        assert sizes == [1000, 1000, 500, 0]
        assert server.expected_records == {"domains": 10, "events": 2500}
