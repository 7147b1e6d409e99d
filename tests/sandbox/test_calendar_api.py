"""Sandbox of seed 001 (calendar/contacts API) over real loopback HTTP."""

from __future__ import annotations

import math
from typing import Any

import pytest

from restsync.sandbox import CalendarApiSandbox
from restsync.sandbox.calendar_api import COLLECTIONS, PROVIDERS


@pytest.fixture
async def server():
    async with CalendarApiSandbox() as srv:
        yield srv


@pytest.fixture
def auth(server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.secrets['api_key']}"}


async def walk(http, url: str, auth: dict[str, str], **params: Any) -> tuple[list[dict], int]:
    records: list[dict] = []
    pages = 0
    query = dict(params)
    while True:
        reply = await http.get(url, params=query, headers=auth)
        assert reply.status == 200, reply.body
        assert reply.body["request_id"]
        pages += 1
        records.extend(reply.body["data"])
        if "next_cursor" not in reply.body:
            return records, pages
        assert reply.body["next_cursor"], "next_cursor is absent, never empty, on the last page"
        query = {**params, "page_token": reply.body["next_cursor"]}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "sandbox-calendar-api-key-DO-NOT-LOG"}])
async def test_bearer_api_key_is_required(http, server, headers):
    for path in ("/v3/grants", "/v3/connectors", "/v3/connectors/google/creds"):
        reply = await http.get(server.url(path), headers=headers)
        assert reply.status == 401
        assert reply.body["error"]["type"] == "unauthorized"


async def test_grants_page_with_limit_and_page_token(http, server, auth):
    grants, pages = await walk(http, server.url("/v3/grants"), auth, limit=50)
    assert len(grants) == server.expected_records["grants"] == 53
    assert pages == 2
    default_grants, default_pages = await walk(http, server.url("/v3/grants"), auth)
    assert [g["id"] for g in default_grants] == [g["id"] for g in grants]
    assert default_pages == 2, "default page size is 50"
    _, small_pages = await walk(http, server.url("/v3/grants"), auth, limit=10)
    assert small_pages == math.ceil(53 / 10)
    assert server.overrides() == [f"client.base_url={server.origin}"]
    assert server.token_url is None


async def test_every_collection_of_every_grant_walks_to_expected_totals(http, server, auth):
    grants, _ = await walk(http, server.url("/v3/grants"), auth, limit=50)
    totals = dict.fromkeys(COLLECTIONS, 0)
    pages_per_grant: dict[str, int] = {}
    for grant in grants:
        for resource, segment in COLLECTIONS.items():
            rows, pages = await walk(http, server.url(f"/v3/grants/{grant['id']}/{segment}"), auth,
                                     limit=50)
            assert all(r["grant_id"] == grant["id"] for r in rows)
            assert len({r["id"] for r in rows}) == len(rows)
            totals[resource] += len(rows)
            pages_per_grant[grant["id"]] = max(pages_per_grant.get(grant["id"], 0), pages)
    for resource in COLLECTIONS:
        assert totals[resource] == server.expected_records[resource], resource
    assert max(pages_per_grant.values()) >= 3, "some grants span several pages"
    assert min(pages_per_grant.values()) == 1
    assert any(not server.records_of(g, "events") for g in server.grant_ids()), "some are empty"
    assert server.requests.duplicates("/v3/", status=200) == {}


async def test_scheduled_messages_are_one_page_keyed_by_schedule_id(http, server, auth):
    total = 0
    for grant_id in server.grant_ids():
        reply = await http.get(server.url(f"/v3/grants/{grant_id}/messages/schedules"), headers=auth)
        assert "next_cursor" not in reply.body
        for row in reply.body["data"]:
            assert "schedule_id" in row and "id" not in row
        total += len(reply.body["data"])
    assert total == server.expected_records["scheduled_messages"] > 0


async def test_connectors_and_top_level_array_credentials(http, server, auth):
    reply = await http.get(server.url("/v3/connectors"), headers=auth)
    connectors = reply.body["data"]
    assert len(connectors) == server.expected_records["connectors"]
    assert [c["provider"] for c in connectors] == server.providers()
    assert "next_cursor" not in reply.body
    assert all("provider" in c and "id" not in c for c in connectors)
    total = 0
    for connector in connectors:
        creds = await http.get(server.url(f"/v3/connectors/{connector['provider']}/creds"),
                               headers=auth)
        assert creds.status == 200
        assert isinstance(creds.body, list)
        assert all("id" not in c and "name" in c for c in creds.body)
        total += len(creds.body)
    assert total == server.expected_records["credentials"] > 0
    unknown = await http.get(server.url("/v3/connectors/zoom/creds"), headers=auth)
    assert unknown.status == 404


async def test_errors_for_bad_cursor_and_unknown_grant(http, server, auth):
    bad = await http.get(server.url("/v3/grants"), params={"page_token": "nonsense"}, headers=auth)
    assert bad.status == 400
    grant_id = server.grant_ids()[0]
    foreign = await http.get(server.url("/v3/grants"), headers=auth, params={
        "page_token": (await http.get(server.url(f"/v3/grants/{grant_id}/events"),
                                      params={"limit": 1}, headers=auth)).body["next_cursor"]})
    assert foreign.status == 400, "a cursor of another list is refused"
    missing = await http.get(server.url("/v3/grants/nope/events"), headers=auth)
    assert missing.status == 404
    too_big = await http.get(server.url("/v3/grants"), params={"limit": 10_000}, headers=auth)
    assert len(too_big.body["data"]) == 53  # clamped to the maximum (200), all fit


def test_scale_is_configurable():
    small = CalendarApiSandbox(grants=3, large_every=0, empty_every=0, small_records=(2, 2))
    expected = small.expected_records
    assert expected["grants"] == 3
    assert all(expected[r] == 6 for r in COLLECTIONS)
    assert expected["credentials"] == sum(PROVIDERS.values())
    assert expected["connectors"] == len(PROVIDERS)
