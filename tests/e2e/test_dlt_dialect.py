"""dlt's native dialect (YAML and a Python dict) against the calendar sandbox, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import restsync
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver
from tests.e2e.helpers import assert_ok

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
