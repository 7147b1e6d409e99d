"""Sandbox of seed 000 (email API) over real loopback HTTP."""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest
from yarl import URL

from restsync.sandbox import EmailApiSandbox


@pytest.fixture
async def server():
    async with EmailApiSandbox() as srv:
        yield srv


async def walk(http, server, resource: str, token: str, **params: Any) -> tuple[list[dict], int]:
    """Follow nextPageToken to the end; returns records and number of pages."""
    records: list[dict] = []
    pages = 0
    query: dict[str, Any] = dict(params)
    while True:
        reply = await http.get(server.base_url + resource, params=query,
                               headers={"Authorization": f"Bearer {token}"})
        assert reply.status == 200, reply.body
        pages += 1
        records.extend(reply.body[resource])
        if "nextPageToken" not in reply.body:
            return records, pages
        query = {**params, "pageToken": reply.body["nextPageToken"]}


async def test_token_endpoint_is_on_another_host_and_issues_tokens(http, server):
    assert URL(server.token_url).port != URL(server.base_url).port
    assert server.token_url.endswith("/o/oauth2/token")
    reply = await http.request("POST", server.token_url, data={
        "grant_type": "refresh_token", "client_id": server.secrets["client_id"],
        "client_secret": server.secrets["client_secret"],
        "refresh_token": server.secrets["client_refresh_token"]})
    assert reply.status == 200
    assert reply.body["token_type"] == "Bearer"
    assert reply.body["expires_in"] > 0
    token = reply.body["access_token"]
    profile = await http.get(server.base_url + "profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status == 200
    token_calls = server.requests.matching(server="token")
    assert len(token_calls) == 1
    assert token_calls[0].form is not None
    assert token_calls[0].form["grant_type"] == "refresh_token"
    # the API is not served on the token host, nor the token endpoint on the API host
    other = await http.get(server.token_url.replace("/o/oauth2/token", "/v1/users/me/profile"))
    assert other.status == 404
    wrong = await http.request("POST", server.url("/o/oauth2/token"), data={"grant_type": "x"})
    assert wrong.status in (404, 405)


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"refresh_token": "revoked"}, 400, "invalid_grant"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
async def test_token_endpoint_refuses_bad_grants(http, server, change, status, error):
    form = {"grant_type": "refresh_token", "client_id": server.secrets["client_id"],
            "client_secret": server.secrets["client_secret"],
            "refresh_token": server.secrets["client_refresh_token"], **change}
    reply = await http.request("POST", server.token_url, data=form)
    assert reply.status == status
    assert reply.body["error"] == error
    assert server.tokens.issued == 0


async def test_token_endpoint_refuses_credentials_in_url_and_json_bodies(http, server):
    in_url = await http.request("POST", server.token_url, params={
        "refresh_token": server.secrets["client_refresh_token"]}, data={"grant_type": "refresh_token"})
    assert in_url.status == 400
    as_json = await http.request("POST", server.token_url, json={
        "grant_type": "refresh_token", "client_id": server.secrets["client_id"],
        "client_secret": server.secrets["client_secret"],
        "refresh_token": server.secrets["client_refresh_token"]})
    assert as_json.status == 400


async def test_client_credentials_in_basic_header_are_accepted(http, server):
    pair = f"{server.secrets['client_id']}:{server.secrets['client_secret']}".encode()
    reply = await http.request(
        "POST", server.token_url,
        data={"grant_type": "refresh_token", "refresh_token": server.secrets["client_refresh_token"]},
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()})
    assert reply.status == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic YXBpOng="}])
async def test_every_api_call_needs_a_valid_bearer_token(http, server, headers):
    for path in ("profile", "drafts", "labels", "labels/INBOX"):
        reply = await http.get(server.base_url + path, headers=headers)
        assert reply.status == 401
        assert reply.body["error"]["status"] == "UNAUTHENTICATED"


async def test_invalidated_and_expired_tokens_get_401(http):
    async with EmailApiSandbox(token_ttl=0.05, drafts=3, messages=3, threads=2) as server:
        token = await http.token(server, refresh_name="client_refresh_token")
        auth = {"Authorization": f"Bearer {token}"}
        assert (await http.get(server.base_url + "profile", headers=auth)).status == 200
        import asyncio

        await asyncio.sleep(0.1)
        assert (await http.get(server.base_url + "profile", headers=auth)).status == 401
        fresh = await http.token(server, refresh_name="client_refresh_token")
        auth = {"Authorization": f"Bearer {fresh}"}
        assert (await http.get(server.base_url + "profile", headers=auth)).status == 200
        server.invalidate_tokens()
        assert (await http.get(server.base_url + "profile", headers=auth)).status == 401


async def test_profile_is_one_object_without_id_and_double_slash_is_404(http, server):
    token = await http.token(server, refresh_name="client_refresh_token")
    auth = {"Authorization": f"Bearer {token}"}
    reply = await http.get(server.base_url + "profile", headers=auth)
    assert isinstance(reply.body["data"], dict)
    assert "id" not in reply.body["data"]
    assert reply.body["data"]["messagesTotal"] == server.expected_records["messages"]
    assert server.base_url.endswith("/v1/users/me/")
    doubled = await http.get(server.base_url + "/profile", headers=auth)
    assert doubled.status == 404


@pytest.mark.parametrize("resource", ["drafts", "messages", "threads"])
async def test_cursor_paging_walks_every_record_once(http, server, resource):
    token = await http.token(server, refresh_name="client_refresh_token")
    records, pages = await walk(http, server, resource, token)
    expected = server.expected_records[resource]
    assert len(records) == expected
    assert len({r["id"] for r in records}) == expected
    assert pages == math.ceil(expected / 100) and pages > 1
    # maxResults is honoured; an unknown `limit` parameter is ignored
    small, small_pages = await walk(http, server, resource, token, maxResults=40, limit=7)
    assert [r["id"] for r in small] == [r["id"] for r in records]
    assert small_pages == math.ceil(expected / 40)
    assert server.requests.duplicates(server.api_root + resource, status=200) == {}


async def test_invalid_page_token_is_400(http, server):
    token = await http.token(server, refresh_name="client_refresh_token")
    reply = await http.get(server.base_url + "drafts", params={"pageToken": "garbage!"},
                           headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 400


async def test_labels_and_details_have_nested_objects(http, server):
    token = await http.token(server, refresh_name="client_refresh_token")
    auth = {"Authorization": f"Bearer {token}"}
    labels = (await http.get(server.base_url + "labels", headers=auth)).body["labels"]
    assert len(labels) == server.expected_records["labels"] == server.expected_records["labels_details"]
    assert "nextPageToken" not in labels
    for label in labels:
        detail = await http.get(server.base_url + f"labels/{label['id']}", headers=auth)
        assert detail.status == 200
        assert detail.body["data"]["id"] == label["id"]
        assert "messagesTotal" in detail.body["data"]
    messages, _ = await walk(http, server, "messages", token)
    first = await http.get(server.base_url + f"messages/{messages[0]['id']}", headers=auth)
    data = first.body["data"]
    assert data["id"] == messages[0]["id"]
    assert isinstance(data["labelIds"], list) and all(isinstance(x, str) for x in data["labelIds"])
    assert {"name", "value"} <= set(data["payload"]["headers"][0])
    threads, _ = await walk(http, server, "threads", token)
    thread = await http.get(server.base_url + f"threads/{threads[0]['id']}", headers=auth)
    assert thread.body["data"]["messages"], "a thread holds at least one message"
    assert all(m["threadId"] == threads[0]["id"] for m in thread.body["data"]["messages"])
    missing = await http.get(server.base_url + "messages/does-not-exist", headers=auth)
    assert missing.status == 404


def test_expected_counts_follow_the_generated_data():
    server = EmailApiSandbox(drafts=5, messages=12, threads=4, user_labels=2)
    expected = server.expected_records
    assert expected["drafts"] == 5
    assert expected["messages"] == expected["messages_details"] == 12
    assert expected["threads"] == expected["threads_details"] == 4
    assert expected["profile"] == 1
    nested = server.expected_nested("messages_details")
    records = server.document_records()["messages_details"]
    assert nested[("payload", "headers")] == sum(len(m["payload"]["headers"]) for m in records)
    assert nested[("labelIds",)] == sum(len(m["labelIds"]) for m in records)
    # threads' nested messages also carry their own lists
    assert server.expected_nested("threads_details")[("messages",)] == 12
    # same seed, same data; another seed, other data
    assert EmailApiSandbox(seed=1).document_records() != EmailApiSandbox(seed=2).document_records()
    assert EmailApiSandbox(seed=3).document_records() == EmailApiSandbox(seed=3).document_records()
    with pytest.raises(ValueError):
        EmailApiSandbox(messages=2, threads=3)
