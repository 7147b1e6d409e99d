"""Sandbox of seed 004 (project API) over real loopback HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from yarl import URL

from restsync.sandbox import ProjectApiSandbox
from restsync.sandbox.project_api import parse_iso

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LINK = re.compile(r'^<([^>]+)>; rel="next"$')


@pytest.fixture
async def server():
    async with ProjectApiSandbox() as srv:
        yield srv


async def walk(http, url: str, auth: dict[str, str], **params: Any) -> tuple[list[dict], int]:
    """Follow ``Link: <...>; rel="next"`` to the end."""
    records: list[dict] = []
    pages = 0
    reply = await http.get(url, params=params, headers=auth)
    while True:
        assert reply.status == 200, reply.body
        pages += 1
        records.extend(reply.body["data"])
        link = reply.headers.get("Link")
        if link is None:
            return records, pages
        match = LINK.match(link)
        assert match, link
        assert URL(match.group(1)).is_absolute()
        reply = await http.get(match.group(1), headers=auth)


@pytest.fixture
async def auth(http, server) -> dict[str, str]:
    return {"Authorization": f"Bearer {await http.token(server)}"}


async def test_token_endpoint_on_the_api_host_and_auth_enforced(http, server):
    assert server.token_url == server.origin + "/authorization/token"
    assert (await http.get(server.url("/v1/projects.json"))).status == 401
    token = await http.token(server)
    reply = await http.get(server.url("/v1/projects.json"), headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 200
    assert server.requests.count("/authorization/token", method="POST") == 1
    assert server.config == {"start_date": "2024-01-01T00:00:00Z"}
    assert set(server.secrets) == {"client_id", "client_secret", "refresh_token"}


async def test_projects_are_paged_by_link_header(http, server, auth):
    projects, pages = await walk(http, server.url("/v1/projects.json"), auth)
    assert len(projects) == server.expected_records["projects"] == 7
    assert pages == 3
    assert server.requests.duplicates("/v1/projects.json", status=200) == {}


async def test_project_dock_and_schedule_entries(http, server, auth):
    projects, _ = await walk(http, server.url("/v1/projects.json"), auth)
    tools: list[tuple[int, dict]] = []
    for project in projects:
        reply = await http.get(server.url(f"/v1/projects/{project['id']}.json"), headers=auth)
        assert "Link" not in reply.headers
        assert reply.body["id"] == project["id"]
        tools.extend((project["id"], tool) for tool in reply.body["dock"])
    assert len(tools) == server.expected_records["schedules"]
    assert {t["name"] for _, t in tools} >= {"schedule", "todoset", "message_board"}
    entries_total = 0
    multi_page = False
    for project_id, tool in tools:
        url = server.url(f"/v1/buckets/{project_id}/schedules/{tool['id']}/entries.json")
        if tool["name"] != "schedule":
            assert (await http.get(url, headers=auth)).status == 404
            continue
        entries, pages = await walk(http, url, auth)
        multi_page = multi_page or pages > 1
        entries_total += len(entries)
        assert all(e["parent"]["id"] == tool["id"] for e in entries)
    assert entries_total == server.expected_records["schedule_entries"] > 0
    assert multi_page, "some schedules span several pages"
    assert (await http.get(server.url("/v1/projects/999.json"), headers=auth)).status == 404


async def test_recordings_mixed_sorted_desc_with_millisecond_z_timestamps(http, server, auth):
    rows, pages = await walk(http, server.url("/v1/projects/recordings.json"), auth)
    assert pages > 1
    assert {r["type"] for r in rows} == {"Todo", "Message"}
    stamps = [r["updated_at"] for r in rows]
    assert all(ISO_MS_Z.match(s) for s in stamps)
    assert stamps == sorted(stamps, reverse=True)
    start = parse_iso(server.config["start_date"])
    newer = [r for r in rows if parse_iso(r["updated_at"]) >= start]
    assert 0 < len(newer) < len(rows), "the start date filter matters"
    assert len(newer) == server.expected_records["todos"] == server.expected_records["messages"]
    todos, _ = await walk(http, server.url("/v1/projects/recordings.json"), auth, type="Todo")
    assert {r["type"] for r in todos} == {"Todo"}
    assert len(todos) == len(server.recordings(type="Todo"))
    ascending, _ = await walk(http, server.url("/v1/projects/recordings.json"), auth,
                              type="Message", sort="updated_at", direction="asc")
    assert [r["updated_at"] for r in ascending] == sorted(r["updated_at"] for r in ascending)
    bad = await http.get(server.url("/v1/projects/recordings.json"), params={"type": "Nope"},
                         headers=auth)
    assert bad.status == 400


async def test_controls_add_and_touch_recordings_for_incremental_runs(http, server, auth):
    before = server.max_updated_at()
    added = server.add_recordings(2, type="Message")
    touched = server.touch_recordings(3, type="Todo")
    changed = server.recordings(since=before, inclusive=False)
    assert {r["id"] for r in changed} == set(added) | set(touched)
    rows, _ = await walk(http, server.url("/v1/projects/recordings.json"), auth)
    newest = rows[: len(changed)]
    assert {r["id"] for r in newest} == {r["id"] for r in changed}
    assert all(parse_iso(r["updated_at"]) > parse_iso(before) for r in newest)
    assert server.expected_records["todos"] == len(server.recordings(since=server.config["start_date"]))
    with pytest.raises(ValueError):
        server.add_recordings(1, type="Upload")
