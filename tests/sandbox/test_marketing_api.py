"""Sandbox of seed 003 (marketing API) over real loopback HTTP."""

from __future__ import annotations

import itertools

import pytest
from yarl import URL

from restsync.sandbox import MarketingApiSandbox

CLICKS = "/emailClick/version/4/do/query"


@pytest.fixture
async def server():
    async with MarketingApiSandbox() as srv:
        yield srv


async def walk_clicks(http, server, token: str) -> tuple[list[dict], list[dict]]:
    """id_greater_than paging as the document describes; returns records and raw bodies."""
    auth = {"Authorization": f"Bearer {token}"}
    records: list[dict] = []
    bodies: list[dict] = []
    params: dict[str, str] = {"limit": "200"}
    while True:
        reply = await http.get(server.url(CLICKS), params=params, headers=auth)
        assert reply.status == 200, reply.body
        bodies.append(reply.body)
        page = reply.body["result"].get("emailClick")
        if not page:
            break
        records.extend(page)
        if len(page) < 200:
            break
        params = {"limit": "200", "id_greater_than": str(page[-1]["id"])}
    return records, bodies


async def test_token_response_has_no_expires_in_and_lives_on_another_host(http, server):
    assert URL(server.token_url).port != URL(server.origin).port
    assert server.token_url.endswith("/services/oauth2/token")
    reply = await http.request("POST", server.token_url, data={
        "grant_type": "refresh_token", "client_id": server.secrets["client_id"],
        "client_secret": server.secrets["client_secret"],
        "refresh_token": server.secrets["refresh_token"]})
    assert reply.status == 200
    assert "expires_in" not in reply.body
    assert reply.body["token_type"] == "Bearer" and reply.body["access_token"]
    assert server.overrides() == [f"client.base_url={server.origin}",
                                  f"client.auth.token_url={server.token_url}"]


async def test_campaigns_follow_next_page_url_until_it_is_absent(http, server):
    token = await http.token(server)
    auth = {"Authorization": f"Bearer {token}"}
    url = server.url("/v5/objects/campaigns")
    records: list[dict] = []
    pages = 0
    while True:
        reply = await http.get(url, headers=auth)
        assert reply.status == 200
        pages += 1
        records.extend(reply.body["values"])
        if "nextPageUrl" not in reply.body:
            break
        url = reply.body["nextPageUrl"]
        assert url.startswith(server.origin)
    assert pages == 3
    assert len({r["id"] for r in records}) == len(records) == server.expected_records["campaigns"]
    misuse = await http.get(server.url("/v5/objects/campaigns"),
                            params={"nextPageUrl": "http://x/"}, headers=auth)
    assert misuse.status == 400


async def test_email_clicks_id_greater_than_paging(http, server):
    token = await http.token(server)
    records, bodies = await walk_clicks(http, server, token)
    ids = [r["id"] for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert len(ids) == server.expected_records["email_clicks"] == 1130
    assert [len(b["result"].get("emailClick", [])) for b in bodies] == [200] * 5 + [130]
    assert bodies[0]["result"]["total_results"] == 1130
    assert any(b - a > 1 for a, b in itertools.pairwise(ids)), "ids have gaps"
    past = await http.get(server.url(CLICKS), params={"id_greater_than": str(ids[-1])},
                          headers={"Authorization": f"Bearer {token}"})
    assert "emailClick" not in past.body["result"]
    assert past.body["result"]["total_results"] == 0
    post = await http.request("POST", server.url(CLICKS), data={"id_greater_than": str(ids[199])},
                              headers={"Authorization": f"Bearer {token}"})
    assert post.body["result"]["emailClick"][0]["id"] == ids[200]


async def test_exact_multiple_ends_with_a_page_without_the_key(http):
    async with MarketingApiSandbox(email_clicks=800, campaigns=5) as server:
        token = await http.token(server)
        records, bodies = await walk_clicks(http, server, token)
        assert len(records) == 800 == server.expected_records["email_clicks"]
        assert len(bodies) == 5
        assert "emailClick" not in bodies[-1]["result"]


async def test_tokens_expire_after_n_calls_and_on_demand(http):
    async with MarketingApiSandbox(token_max_uses=3, campaigns=5, email_clicks=5) as server:
        token = await http.token(server)
        auth = {"Authorization": f"Bearer {token}"}
        statuses = [(await http.get(server.url("/v5/objects/campaigns"), headers=auth)).status
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 401]
        v4 = await http.get(server.url(CLICKS), headers=auth)
        assert v4.status == 401 and v4.body["@attributes"]["err_code"] == 184
        fresh = {"Authorization": f"Bearer {await http.token(server)}"}
        assert (await http.get(server.url(CLICKS), headers=fresh)).status == 200
        server.invalidate_tokens()
        assert (await http.get(server.url(CLICKS), headers=fresh)).status == 401
        assert server.requests.count(server="token") == 2


async def test_single_result_quirk_is_optional(http):
    async with MarketingApiSandbox(email_clicks=201, campaigns=1,
                                   single_result_as_object=True) as server:
        token = await http.token(server)
        auth = {"Authorization": f"Bearer {token}"}
        first = await http.get(server.url(CLICKS), headers=auth)
        last_id = first.body["result"]["emailClick"][-1]["id"]
        lone = await http.get(server.url(CLICKS), params={"id_greater_than": str(last_id)},
                              headers=auth)
        assert isinstance(lone.body["result"]["emailClick"], dict)
