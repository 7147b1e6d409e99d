"""Seed calendar_api (001) as written: bearer token, nine collections per grant, {provider}."""

from __future__ import annotations

import pytest

from restsync.errors import SpecError
from tests.e2e.helpers import (
    assert_complete_tables,
    assert_each_page_once,
    assert_no_secret_in_urls,
    assert_ok,
)


def test_runs_as_written_into_complete_tables(seed_run) -> None:
    run = seed_run("calendar_api")
    info = run.run()
    assert_ok(info)
    assert_complete_tables(run, info)
    # no id in connectors/credentials/scheduled_messages: loaded as snapshots, visibly
    for name in ("connectors", "credentials", "scheduled_messages"):
        assert any("loaded as replace" in n for n in info.outcomes[name].notes), name


def test_every_grant_and_provider_is_requested_once_with_the_bearer_token(seed_run) -> None:
    run = seed_run("calendar_api")
    assert_ok(run.run())
    log = run.server.requests
    assert log.authorization_headers("api") == {f"Bearer {run.server.secrets['api_key']}"}
    for grant in run.server.grant_ids():
        assert log.count(f"/v3/grants/{grant}/calendars", status=200) >= 1
    for provider in run.server.providers():
        assert log.count(f"/v3/connectors/{provider}/creds") == 1
    assert_each_page_once(run)
    assert_no_secret_in_urls(run)


def test_child_records_carry_their_grant(seed_run) -> None:
    run = seed_run("calendar_api")
    assert_ok(run.run(resources=["grants", "calendars"]))
    rows = run.query("SELECT _grants_id, count(*) FROM calendar_api.calendars GROUP BY 1")
    for grant, n in rows:
        assert n == len(run.server.records_of(grant, "calendars"))
    # grants without calendars simply have no rows
    assert sum(n for _, n in rows) == run.server.expected_records["calendars"]


def test_explicit_param_wins_over_inferred_provider_binding(seed_run) -> None:
    run = seed_run("calendar_api")
    providers = [p for p in run.server.providers() if run.server._creds[p]]
    chosen = providers[:2]
    info = run.run(resources=["credentials"], params={"provider": chosen})
    assert_ok(info)
    # connectors was not needed: the param replaced the inferred binding
    assert run.server.requests.count("/v3/connectors", server="api") == len(chosen)
    rows = run.query("SELECT _provider, count(*) FROM calendar_api.credentials GROUP BY 1 ORDER BY 1")
    assert rows == sorted((p, len(run.server._creds[p])) for p in chosen)


def test_unbound_placeholder_is_an_error_before_any_request(seed_run) -> None:
    run = seed_run("calendar_api")
    # with `connectors` on another path, nothing binds {provider}: a located error, no request
    with pytest.raises(SpecError) as info:
        run.run(overrides=["resources.connectors.endpoint.path=/v3/providers"])
    assert "resources[credentials].endpoint.path" in str(info.value)
    assert "--param provider=" in str(info.value)
    assert len(run.server.requests) == 0
