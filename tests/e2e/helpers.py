"""Assertions shared by the per-seed end-to-end tests."""

from __future__ import annotations

from typing import Any

from restsync.engine import RunInfo
from restsync.normalize.naming import normalize_identifier, normalize_path


def assert_ok(info: RunInfo) -> None:
    failed = {n: o.error for n, o in info.outcomes.items() if o.status == "failed"}
    assert not failed, failed


def assert_complete_tables(run: Any, info: RunInfo, *, skip: set[str] = frozenset()) -> None:
    """Every resource's table and child tables hold exactly what the sandbox served."""
    server = run.server
    expected = server.expected_records
    for resource, outcome in info.outcomes.items():
        if resource in skip:
            continue
        table = normalize_identifier(resource)
        assert run.count(table) == expected[resource], resource
        assert outcome.tables[table] == expected[resource], resource
        for path, n in server.expected_nested(resource).items():
            child = f"{table}__{normalize_path(path)}"
            if n == 0:  # only empty lists: no child table, like dlt
                assert child not in run.tables(), child
                continue
            assert run.count(child) == n, child
            assert outcome.tables.get(child) == n, child


def assert_no_secret_in_urls(run: Any) -> None:
    """Credentials never travel in a URL (query string or path)."""
    secrets = [v for v in run.server.secrets.values() if len(v) >= 6]
    for r in run.server.requests:
        for secret in secrets:
            assert secret not in r.url, (r.method, r.path)


def assert_each_page_once(run: Any, **filters: Any) -> None:
    """No successful request target was asked for twice."""
    assert run.server.requests.duplicates(status=200, server="api", **filters) == {}


def assert_one_refresh_grant(run: Any) -> None:
    """One refresh-token grant on the token host, and its one access token used everywhere."""
    log = run.server.requests
    token_calls = log.matching(server="token")
    assert len(token_calls) == 1
    form = token_calls[0].form or {}
    assert form.get("grant_type") == "refresh_token"
    assert form.get("refresh_token") == run.server.secrets["client_refresh_token"]
    [auth] = log.authorization_headers("api")
    assert auth.startswith("Bearer ") and run.server.bearer_ok(auth.removeprefix("Bearer "))
