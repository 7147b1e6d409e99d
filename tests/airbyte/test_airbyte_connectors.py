"""Airbyte's real Nylas, Mailgun and Basecamp manifests, read from a checkout of Airbyte's
repository (``RESTSYNC_AIRBYTE_REPO``, see ``tests/airbyte/airbyte_checkout.py``; skipped
without one), run by the Airbyte CDK and by restsync against the same loopback sandbox,
serving the real APIs' paths, paging and auth (``airbyte_paths``, ``account_id``,
``events_by_calendar``). Per stream, both read the same number of records with the same
key values; restsync's distinct requests are the CDK's (Nylas' ``events``: the CDK also asks
for every grant with every other grant's calendars, which restsync pairs; docs/airbyte.md).
The Mailgun manifest of Airbyte's package on PyPI (``airbyte_packages.py``) runs the same
comparison where no checkout is at hand, as in CI.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline
from restsync.sandbox import SandboxServer, start_sandboxes
from restsync.sandbox.calendar_api import CalendarApiSandbox
from restsync.spec.airbyte import load_manifest
from tests.airbyte.airbyte_checkout import airbyte_repo, manifest_text, pointed_manifest
from tests.airbyte.airbyte_packages import packaged_manifest_text
from tests.airbyte.cdk import find_cdk_or_fail, read_with_cdk
from tests.e2e.helpers import assert_ok
from tests.seed_run import DocumentRun

pytestmark = pytest.mark.slow

SANDBOX = {"mailgun": "email_events_api", "nylas": "calendar_api", "basecamp": "project_api"}
OPTIONS: dict[str, dict[str, Any]] = {
    "mailgun": {"airbyte_paths": True, "domains": 150, "events": 430},
    "nylas": {"events_by_calendar": True, "grants": 23},
    "basecamp": {"account_id": 4242},
}
KEYS: dict[str, dict[str, str]] = {
    "mailgun": {"domains": "id", "events": "id"},
    "nylas": {"calendars": "id", "connectors": "provider", "contacts": "id",
              "contact_groups": "id", "credentials": "name", "drafts": "id", "events": "id",
              "folders": "id", "grants": "id", "messages": "id",
              "scheduled_messages": "schedule_id", "threads": "id"},
    "basecamp": {"projects": "id", "schedules": "id", "schedule_entries": "id", "todos": "id",
                 "messages": "id"},
}


def connector_config(connector: str, server: SandboxServer) -> dict[str, Any]:
    """The connector's Airbyte config (its own spec's fields) for the running sandbox."""
    if connector == "mailgun":
        recent = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT00:00:00Z")
        return {"private_key": server.secrets["private_key"], "domain_region": "US",
                "start_date": recent}
    if connector == "nylas":
        return {"api_key": server.secrets["api_key"], "api_server": "us",
                "start_date": "2023-01-01T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"}
    return {"account_id": 4242, "start_date": "2023-01-01T00:00:00Z",
            "client_id": server.secrets["client_id"],
            "client_secret": server.secrets["client_secret"],
            "client_refresh_token_2": server.secrets["refresh_token"]}


def request_keys(server: SandboxServer) -> set[tuple[str, str, str]]:
    """Distinct API requests; the server's origin (a URL sent back as a parameter, in
    Mailgun's ``from``) written as ``ORIGIN``, since each run has its own port."""
    return {(r.method, r.path,
             "&".join(sorted(r.query_string.replace(server.origin, "ORIGIN").split("&"))))
            for r in server.requests if r.server == "api"}


def crossed_calendar_requests(server: SandboxServer, requests: set[tuple[str, str, str]]
                              ) -> set[tuple[str, str, str]]:
    """Nylas' event requests for a calendar of another grant (the CDK's cartesian product)."""
    assert isinstance(server, CalendarApiSandbox)
    own = {(g, r["id"]) for g in server.grant_ids() for r in server.records_of(g, "calendars")}
    crossed = set()
    for method, path, query in requests:
        parts = path.split("/")
        calendar = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("calendar_id")
        if path.endswith("/events") and calendar and (parts[3], calendar) not in own:
            crossed.add((method, path, query))
    return crossed


def read_with_restsync(connector: str, manifest: Path, config: dict[str, Any],
                       server: SandboxServer, tmp_path: Path) -> tuple[dict[str, int],
                                                                       DocumentRun]:
    run = DocumentRun(name=connector, server=server, db_path=tmp_path / "restsync.duckdb")
    source = load_manifest(manifest, config=config, name=connector)
    info = Pipeline(destination=run.destination, events=run.events.append,
                    sleeper=run.sleeper).run(source)
    assert_ok(info)
    return {stream: outcome.tables.get(stream, 0)
            for stream, outcome in info.outcomes.items()}, run


def compare_with_cdk(connector: str, text: str, tmp_path: Path) -> None:
    """Run the manifest ``text`` with the CDK and with restsync against fresh sandboxes and
    compare records per stream (counts and key values) and distinct requests."""
    cdk_python = find_cdk_or_fail()
    name = SANDBOX[connector]
    with start_sandboxes([name], options={name: OPTIONS[connector]}) as group:
        server = group[name]
        manifest = pointed_manifest(text, connector, server.origin, tmp_path)
        config = connector_config(connector, server)
        cdk_records = read_with_cdk(cdk_python, manifest, config, tmp_path)
        cdk_requests = request_keys(server)
    with start_sandboxes([name], options={name: OPTIONS[connector]}) as group:
        server = group[name]
        manifest = pointed_manifest(text, connector, server.origin, tmp_path)
        counts, run = read_with_restsync(connector, manifest, connector_config(connector, server),
                                         server, tmp_path)
        ours = request_keys(server)
        crossed = crossed_calendar_requests(server, cdk_requests) if connector == "nylas" \
            else set()
    assert counts == {stream: len(cdk_records.get(stream, [])) for stream in counts}
    assert set(counts) == set(KEYS[connector])
    assert sum(counts.values()) > 0, "the sandbox served nothing: the comparison is empty"
    for stream, key in KEYS[connector].items():
        loaded = Counter(str(r[0]) for r in run.query(f'SELECT "{key}" FROM {connector}.{stream}'))
        assert loaded == Counter(str(r[key]) for r in cdk_records.get(stream, [])), stream
    assert ours == cdk_requests - crossed


@pytest.mark.parametrize("connector", sorted(SANDBOX))
def test_real_manifest_reads_what_the_cdk_reads(connector: str, tmp_path: Path) -> None:
    repo = airbyte_repo()  # skips first: CI has no checkout of Airbyte's repository
    compare_with_cdk(connector, manifest_text(repo, connector), tmp_path)


def test_packaged_mailgun_manifest_reads_what_the_cdk_reads(tmp_path: Path) -> None:
    """The Mailgun manifest of the ``airbyte-source-mailgun`` wheel on PyPI (an older
    version than the repository's: its own shape of the same API), which CI can reach."""
    compare_with_cdk("mailgun", packaged_manifest_text("mailgun"), tmp_path)
