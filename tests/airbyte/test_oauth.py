"""Airbyte's ``OAuthAuthenticator`` beyond one token request: a refresh token rotated by the
token endpoint is used for the next token request only with ``refresh_token_updater`` (as
the CDK), over HTTP against a loopback token server; and the token response readers
(:func:`find_key`, :func:`expiry_seconds`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from restsync.extract.auth_manifest_oauth import expiry_seconds, find_key
from tests.airbyte.construct_cases import authed, data
from tests.airbyte.construct_cases_more import OAUTH_CONFIG, oauth
from tests.airbyte.construct_support import Case, Reply, ids, run_case
from tests.recording_server import Recorded, recording_server


def rotating_token_server(rotates: bool):  # type: ignore[no-untyped-def]
    """Token answers each carry a new refresh token; the API refuses the first access token
    (401), so a second token request follows."""
    answers = iter([{"access_token": "at-1", "refresh_token": "refresh-2"},
                    {"access_token": "at-2", "refresh_token": "refresh-3"}])

    def handle(request: Recorded, base: str) -> Reply | None:
        if request.method == "POST" and request.path == "/oauth/token":
            return Reply(next(answers))
        if request.headers.get("authorization") != "Bearer at-2":
            return Reply({"error": "expired"}, status=401)
        return None
    return handle


@pytest.mark.parametrize(("updater", "second"), [(True, "refresh-2"), (False, "refresh-1")])
def test_rotated_refresh_token_only_with_an_updater(updater: bool, second: str,
                                                    tmp_path: Path) -> None:
    options = {"refresh_token_updater": {"refresh_token_name": "refresh_token"}} \
        if updater else {}
    case = Case("rotation", [authed(oauth(refresh_token="{{ config.rt }}", **options))],
                {"GET /items": data(1)}, {"items": ids(1)}, config=OAUTH_CONFIG, auth=True)
    with recording_server(case.exchanges, handler=rotating_token_server(updater)) as server:
        info = run_case(case, server, tmp_path / "run.duckdb")
    assert info.outcomes["items"].status != "failed", info.outcomes["items"].error
    sent = [dict(r.form()).get("refresh_token") for r in server.requests
            if r.path == "/oauth/token"]
    assert sent == ["refresh-1", second]
    assert [r.headers.get("authorization") for r in server.requests if r.path == "/items"] == \
        ["Bearer at-1", "Bearer at-2"]


def test_find_key_searches_nested_objects_and_lists() -> None:
    assert find_key({"access_token": "a"}, "access_token") == "a"
    assert find_key({"data": {"token": {"access_token": "b"}}}, "access_token") == "b"
    assert find_key({"items": [{"x": 1}, {"access_token": "c"}]}, "access_token") == "c"
    assert find_key({"other": 1}, "access_token") is None
    deep: dict[str, object] = {"access_token": "too-deep"}
    for _ in range(7):
        deep = {"level": deep}
    assert find_key(deep, "access_token") is None


NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("value", "is_date", "fmt", "seconds"), [
    (3600, False, None, 3600.0),
    ("7200", False, None, 7200.0),
    ("soon", False, None, None),
    (0, False, None, None),
    ("2026-01-01T01:00:00Z", True, "%Y-%m-%dT%H:%M:%SZ", 3600.0),
    ("2026-01-01T00:30:00+00:00", True, "YYYY-MM-DDTHH:mm:ssZ", 1800.0),  # CDK-style format: ISO
    ("2025-12-31T00:00:00Z", True, None, 1.0),  # already past: renewed at once
    ("not a date", True, "%Y", None),
])
def test_expiry_seconds(value: object, is_date: bool, fmt: str | None,
                        seconds: float | None) -> None:
    assert expiry_seconds(value, is_date=is_date, date_format=fmt, now=NOW) == seconds
