"""Schema evolution end to end into Delta and Iceberg: the e2e DuckDB scenario, over a lake.

A sandbox whose payload changes shape between runs (new nested field, dropped field, a type
that drifts to text, a nested list that becomes a scalar and back); the stored changes, the
merged rows and the tables are read back through the lake destination (the format's reader).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline, RunInfo
from restsync.load import open_destination
from tests.e2e.helpers import assert_ok

from .conftest import rows

SIZE = {"domains": 30, "events": 20}
DATASET = "email_events_api"


def _reshape(server: Any, change: Any) -> None:
    for i, domain in enumerate(server._domains):
        change(i, domain)


class Lake:
    def __init__(self, run: Any, url: str) -> None:
        self.run_ = run
        self.url = url

    def run(self, **kwargs: Any) -> RunInfo:
        return Pipeline(destination=self.url, sleeper=self.run_.sleeper).run(
            self.run_.source(**kwargs))

    def changes(self) -> list[tuple[Any, ...]]:
        dest: Any = open_destination(self.url, DATASET)
        try:
            return [(h["load_id"], h["change"], h["table"], h["column"], h["new_type"])
                    for h in dest.schema_history()]
        finally:
            dest.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        dest: Any = open_destination(self.url, DATASET)
        try:
            return rows(dest, sql)
        finally:
            dest.close()


@pytest.mark.parametrize("scheme", ["delta", "iceberg"])
def test_payload_shape_changes_are_loaded_and_recorded(seed_run: Any, scheme: str,
                                                       tmp_path: Path) -> None:
    lake = Lake(seed_run("email_events_api", **SIZE), f"{scheme}:///{tmp_path / 'lake'}")
    assert_ok(lake.run())
    created = {(c[1], c[2]) for c in lake.changes()}
    assert {("new_table", "domains"), ("new_table", "events"),
            ("new_table", "domains__ips")} <= created

    def evolve(i: int, domain: dict[str, Any]) -> None:
        domain["tracking"] = {"open": i % 2 == 0}  # new nested field
        domain.pop("wildcard")  # dropped field
        if i == 3:
            domain["dkim_key_size"] = "2048 bits"  # type drift
            domain["ips"] = "198.51.100.7"  # nested -> scalar

    _reshape(lake.run_.server, evolve)
    second = lake.run()
    assert_ok(second)
    now = {(c[1], c[3], c[4]) for c in lake.changes()
           if c[0] == second.load_id and c[2] == "domains"}
    assert now == {("new_column", "tracking__open", "bool"),
                   ("type_changed", "dkim_key_size", "text"),
                   ("new_column", "ips", "text")}
    assert lake.query("SELECT count(*) FROM DS.domains") == [(SIZE["domains"],)]  # merged
    assert lake.query("SELECT dkim_key_size, ips FROM DS.domains "
                      "WHERE dkim_key_size = '2048 bits'") == [("2048 bits", "198.51.100.7")]
    assert lake.query("SELECT count(*) FROM DS.domains WHERE wildcard IS NULL") == [
        (SIZE["domains"],)]

    def back(i: int, domain: dict[str, Any]) -> None:
        domain["ips"] = ["198.51.100.9"]  # scalar -> nested again
        domain["dkim_key_size"] = 1024

    _reshape(lake.run_.server, back)
    third = lake.run()
    assert_ok(third)
    assert not [c for c in lake.changes() if c[0] == third.load_id]  # fits what is stored
    assert lake.query("SELECT count(*) FROM DS.domains__ips "
                      "WHERE value = '198.51.100.9'")[0][0] >= SIZE["domains"]


def test_frozen_contract_fails_before_anything_is_committed(seed_run: Any,
                                                            tmp_path: Path) -> None:
    lake = Lake(seed_run("email_events_api", **SIZE), f"delta:///{tmp_path / 'lake'}")
    assert_ok(lake.run())
    before = lake.query("SELECT count(*), max(_dlt_load_id) FROM DS.domains")

    def add_field(i: int, domain: dict[str, Any]) -> None:
        if i == 5:
            domain["api_token"] = "tok-very-secret-value"

    _reshape(lake.run_.server, add_field)
    frozen = lake.run(overrides=["resources.domains.schema_contract=freeze"])
    assert frozen.outcomes["domains"].status == "failed"
    assert frozen.outcomes["events"].status == "completed"
    assert lake.query("SELECT count(*), max(_dlt_load_id) FROM DS.domains") == before
