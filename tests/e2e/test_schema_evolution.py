"""End to end: a sandbox whose payload shape changes between runs, into a real DuckDB file."""

from __future__ import annotations

from typing import Any

from .helpers import assert_ok

SIZE = {"domains": 30, "events": 20}


def _reshape(server: Any, change: Any) -> None:
    """Change the records the sandbox serves from now on (between runs)."""
    for i, domain in enumerate(server._domains):
        change(i, domain)


def _changes(run: Any) -> list[tuple[str, str, str | None, str | None, str | None]]:
    return run.query(
        'SELECT load_id, change, table_name, column_name, new_type FROM '
        '"email_events_api"."_restsync_schema_changes" ORDER BY created_at, table_name, column_name')


def test_payload_shape_changes_are_loaded_and_recorded(seed_run: Any) -> None:
    run = seed_run("email_events_api", **SIZE)
    first = run.run()
    assert_ok(first)
    created = {(c[1], c[2]) for c in _changes(run)}
    assert {("new_table", "domains"), ("new_table", "events"),
            ("new_table", "domains__ips")} <= created
    types = dict(run.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'email_events_api' AND table_name = 'events'"))
    assert types["timestamp"] == "TIMESTAMP WITH TIME ZONE"  # epoch seconds, named timestamp
    comments = dict(run.query(
        "SELECT column_name, comment FROM duckdb_columns() "
        "WHERE schema_name = 'email_events_api' AND table_name = 'domains'"))
    assert comments["web_scheme"] == "The scheme for webhook URLs (e.g., https)."

    def evolve(i: int, domain: dict[str, Any]) -> None:
        domain["tracking"] = {"open": i % 2 == 0}  # new nested field
        domain.pop("wildcard")  # dropped field
        if i == 3:
            domain["dkim_key_size"] = "2048 bits"  # type drift
            domain["ips"] = "198.51.100.7"  # nested -> scalar

    _reshape(run.server, evolve)
    second = run.run()
    assert_ok(second)
    load_id = second.load_id
    now = {(c[1], c[3], c[4]) for c in _changes(run) if c[0] == load_id and c[2] == "domains"}
    assert now == {("new_column", "tracking__open", "bool"),
                   ("type_changed", "dkim_key_size", "text"),
                   ("new_column", "ips", "text")}
    assert run.count("domains") == SIZE["domains"]  # merge on id
    assert run.query('SELECT dkim_key_size, ips FROM "email_events_api"."domains" '
                     "WHERE dkim_key_size = '2048 bits'") == [("2048 bits", "198.51.100.7")]
    assert run.query('SELECT count(*) FROM "email_events_api"."domains" '
                     "WHERE wildcard IS NULL") == [(SIZE["domains"],)]

    def back(i: int, domain: dict[str, Any]) -> None:
        domain["ips"] = ["198.51.100.9"]  # scalar -> nested again
        domain["dkim_key_size"] = 1024

    _reshape(run.server, back)
    third = run.run()
    assert_ok(third)
    assert not [c for c in _changes(run) if c[0] == third.load_id]  # fits what is stored
    assert run.query('SELECT count(*) FROM "email_events_api"."domains__ips" '
                     "WHERE value = '198.51.100.9'")[0][0] >= SIZE["domains"]


def test_frozen_contract_fails_before_loading_and_discard_row_skips(seed_run: Any) -> None:
    run = seed_run("email_events_api", **SIZE)
    assert_ok(run.run())
    before = run.query('SELECT count(*), max(_dlt_load_id) FROM "email_events_api"."domains"')

    def add_secret(i: int, domain: dict[str, Any]) -> None:
        if i == 5:
            domain["api_token"] = "tok-very-secret-value"

    _reshape(run.server, add_secret)
    frozen = run.run(overrides=["resources.domains.schema_contract=freeze"])
    outcome = frozen.outcomes["domains"]
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "api_token" in outcome.error and "[5].api_token" in outcome.error
    assert "tok-very-secret-value" not in outcome.error
    assert frozen.outcomes["events"].status == "completed"
    assert run.query('SELECT count(*), max(_dlt_load_id) FROM "email_events_api"."domains"') \
        == before
    discard = run.run(overrides=["resources.domains.schema_contract.columns=discard_row"])
    assert_ok(discard)
    columns = {r[0] for r in run.query(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'email_events_api' AND table_name = 'domains'")}
    assert "api_token" not in columns
    loaded = run.query('SELECT count(*) FROM "email_events_api"."domains" '
                       "WHERE _dlt_load_id = ?".replace("?", f"'{discard.load_id}'"))
    assert loaded == [(SIZE["domains"] - 1,)]
