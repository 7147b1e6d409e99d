"""dlt's native dialect end to end: YAML and a Python dict against the calendar sandbox, and the
table of dlt-dialect configs (tests/e2e/dlt_cases.py) against a recording loopback server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver
from tests.e2e import dlt_python_cases
from tests.e2e.dlt_cases import BODIES, BODY_REPLIES, CASES, HEADER_CHECKS
from tests.e2e.dlt_merge_cases import MERGE_CASES
from tests.e2e.dlt_python_cases import PYTHON_CASES
from tests.e2e.dlt_support import (
    Case,
    check_request,
    expected_rows,
    run_restsync,
    table_rows,
)
from tests.e2e.helpers import assert_ok
from tests.recording_server import (
    Recorded,
    RecordingServer,
    Reply,
    normalize_key,
    recording_server,
)

SPEC = """\
client:
  base_url: https://api.example.com
  auth: {type: bearer, token: "${secrets.api_key}"}
  paginator: {type: cursor, cursor_path: next_cursor, cursor_param: page_token}
resource_defaults:
  primary_key: id
  write_disposition: merge
  endpoint:
    params: {limit: 50}
    data_selector: data
resources:
  - name: grants
    endpoint: {path: /v3/grants}
  - name: calendars
    endpoint:
      path: "/v3/grants/{resources.grants.id}/calendars"
    include_from_parent: [provider]
  - name: events
    endpoint:
      path: "/v3/grants/{grant}/events"
      params:
        grant: {type: resolve, resource: grants, field: id}
"""


def run_yaml(run, tmp_path: Path, text: str) -> tuple[Any, Any]:
    """Load ``text`` as a YAML spec against ``run``'s sandbox and run it into dataset cal."""
    spec = tmp_path / "calendar.yaml"
    spec.write_text(text)
    source = load_spec(spec, overrides=run.server.overrides(),
                       values=ValueResolver.from_values(secrets=run.server.secrets))
    info = restsync.pipeline(destination=run.destination, dataset_name="cal").run(source)
    assert_ok(info)
    return source, info


def test_yaml_spec_in_dlt_dialect_loads_complete_tables(seed_run, tmp_path: Path) -> None:
    run = seed_run("calendar_api")
    source, _ = run_yaml(run, tmp_path, SPEC)
    expected = run.server.expected_records
    for name in ("grants", "calendars", "events"):
        assert run.count(name, dataset="cal") == expected[name], name
    # explicit bindings, include_from_parent and the limit from resource_defaults all applied
    rows = run.query("SELECT DISTINCT _grants_id IS NOT NULL, _grants_provider IS NOT NULL "
                     "FROM cal.calendars")
    assert rows == [(True, True)]
    assert all(r.query.get("limit") == "50" for r in run.server.requests.matching("/v3/grants"))
    assert not [i for i in source.inferences if "bound to" in i.message]  # nothing inferred


def test_python_dict_api_like_dlt(seed_run) -> None:
    run = seed_run("calendar_api")
    source = restsync.rest_api_source(
        {
            "client": {"base_url": run.server.base_url,
                       "auth": {"type": "bearer", "token": run.server.secrets["api_key"]}},
            "resources": [{"name": "connectors",
                           "endpoint": {"path": "/v3/connectors", "data_selector": "data"}}],
        },
        name="calendar_dict",
    )
    info = restsync.pipeline(destination=run.destination).run(source)
    assert_ok(info)
    assert info.dataset == "calendar_dict"
    assert run.count("connectors", dataset="calendar_dict") == run.server.expected_records[
        "connectors"]
    assert repr(source).count(run.server.secrets["api_key"]) == 0


def test_two_resources_writing_one_table_both_land(seed_run, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Resources sharing a table load through shared staging (their own transactions would
    conflict on the shared table's schema changes)."""
    monkeypatch.setattr("restsync.load.duckdb.load.FLUSH_ROWS", 1)  # interleave the inserts
    run = seed_run("calendar_api")
    shared = SPEC.replace("write_disposition: merge", "write_disposition: append").replace(
        "    include_from_parent: [provider]\n",
        "    include_from_parent: [provider]\n    table_name: grant_items\n").replace(
        "        grant: {type: resolve, resource: grants, field: id}\n",
        "        grant: {type: resolve, resource: grants, field: id}\n"
        "    table_name: grant_items\n")
    assert shared.count("table_name: grant_items") == 2
    run_yaml(run, tmp_path, shared)
    expected = run.server.expected_records
    assert run.count("grant_items", dataset="cal") == expected["calendars"] + expected["events"]
    assert run.count("grants", dataset="cal") == expected["grants"]


# --------------------------------------------------------------------------- the dlt table
# Every case of tests/e2e/dlt_cases.py over real HTTP: the exact requests (method, path,
# query; bodies and headers where the case says), no stray credentials, the rows loaded.


def body_handler(case_id: str) -> Any:
    """Answers POST requests by their JSON body (for the body-path paginators)."""
    table = BODY_REPLIES.get(case_id)
    if table is None:
        return None

    def handle(request: Recorded, base: str) -> Reply | None:
        for body, reply in table:
            if request.json() == body:
                return Reply(reply)
        return Reply({"error": f"unexpected body {request.body!r}"}, status=400)
    return handle


def assert_case(case: Case, server: RecordingServer, db: Path, info: Any, run: int = 0) -> None:
    """Run ``run`` of ``case`` sent what it must (and loaded the rows, after the last run)."""
    failed = {n: str(o.error) for n, o in info.outcomes.items() if o.status == "failed"}
    if case.fails is None:
        assert not failed, failed
    else:
        resource, words = case.fails
        assert list(failed) == [resource] and words in failed[resource], failed
    if run > 0:
        assert server.keys() == sorted(normalize_key(k) for k in case.runs()[run])
        for request in server.requests:
            check_request(case, request)
        assert_rows(case, db)
        return
    assert server.keys() == case.expected_requests()
    for request in server.requests:
        if case.id not in BODIES:
            check_request(case, request)
    if case.id in BODIES:
        sent = [r.form() if r.headers.get("content-type", "").startswith(
            "application/x-www-form") else r.json() for r in server.requests if r.body]
        assert sorted(map(repr, sent)) == sorted(map(repr, BODIES[case.id]))
    if case.id in HEADER_CHECKS:
        name, values = HEADER_CHECKS[case.id]
        sent_values = [r.headers.get(name) for r in server.requests if r.path != "/posts"]
        assert sorted(v or "" for v in sent_values) == sorted(values)
    if case.second is None:
        assert_rows(case, db)


def assert_rows(case: Case, db: Path) -> None:
    for table, rows in case.rows.items():
        columns, expected = expected_rows(rows)
        if not rows:
            assert table_rows(db, "ds", table, ["_dlt_id"]) == [], table
            continue
        assert table_rows(db, "ds", table, columns) == expected, table


ALL_CASES = [*CASES, *MERGE_CASES, *PYTHON_CASES]


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_dlt_config_sends_the_exact_requests_and_loads_the_rows(case: Case, tmp_path: Path
                                                                 ) -> None:
    for run, exchanges in enumerate(case.runs()):
        with recording_server(exchanges, body_handler(case.id)) as server:
            info, _ = run_restsync(case, server, tmp_path / "out.duckdb")
            assert_case(case, server, tmp_path / "out.duckdb", info, run)


def test_the_table_is_big_enough() -> None:
    """issue 9: at least 120 table-driven dlt-dialect configs, unique ids."""
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", PYTHON_CASES, ids=[c.id for c in PYTHON_CASES])
def test_python_api_cases_with_dlt_stand_ins(case: Case, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dlt installed: objects with dlt's module/class names and attributes are read
    the same way (restsync never imports dlt)."""
    monkeypatch.setattr(dlt_python_cases, "kit", lambda: dlt_python_cases.StandIns)
    with recording_server(case.exchanges, body_handler(case.id)) as server:
        info, _ = run_restsync(case, server, tmp_path / "out.duckdb")
        assert_case(case, server, tmp_path / "out.duckdb", info)
