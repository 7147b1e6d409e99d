"""``restsync schema``: the stored schema in three formats, and ``--diff`` against live pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.sandbox import start_sandboxes

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"
DOC = str(SEEDS / "email_events_api.md")
runner = CliRunner()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, list[str], dict[str, str]]]:
    group = start_sandboxes(["email_events_api"],
                            options={"email_events_api": {"domains": 12, "events": 8}})
    group.start()
    server = group["email_events_api"]
    env = {k.upper(): v for k, v in {**server.secrets, **server.config}.items()}
    args = [arg for o in server.overrides() for arg in ("--set", o)]
    args += ["--destination", f"duckdb:///{tmp_path / 'db.duckdb'}"]
    yield server, args, env
    group.stop()


def test_schema_before_and_after_a_run(served: tuple[Any, list[str], dict[str, str]]) -> None:
    server, args, env = served
    empty = runner.invoke(app, ["schema", DOC, *args], env=env)
    assert empty.exit_code == 0, empty.output
    assert "no stored schema" in empty.output
    preview = runner.invoke(app, ["schema", DOC, "--diff", *args], env=env)
    assert preview.exit_code == 0, preview.output
    assert "new table domains" in preview.output and "new table events" in preview.output
    ran = runner.invoke(app, ["run", DOC, *args], env=env)
    assert ran.exit_code == 0, ran.output

    as_json = runner.invoke(app, ["schema", DOC, "--resource", "domains", "--format", "json",
                                  *args], env=env)
    assert as_json.exit_code == 0, as_json.output
    tables = json.loads(as_json.output)
    assert set(tables) == {"domains", "domains__ips"}
    columns = {c["name"]: c for c in tables["domains"]["columns"]}
    assert columns["id"]["primary_key"] is True
    assert columns["state"]["description"] == "The current state of the domain."
    assert tables["domains__ips"]["parent"] == "domains"

    as_yaml = yaml.safe_load(runner.invoke(
        app, ["schema", DOC, "--resource", "events", "--format", "yaml", *args],
        env=env).output)
    events = {c["name"]: c for c in as_yaml["events"]["columns"]}
    assert events["delivery_status__code"]["json_path"] == ["delivery-status", "code"]
    assert events["timestamp"]["data_type"] == "timestamp"
    table = runner.invoke(app, ["schema", DOC, "--resource", "events", *args], env=env)
    assert "events (version 1)" in table.output

    for domain in server._domains:
        domain["region"] = "eu"
    changed = runner.invoke(app, ["schema", DOC, "--diff", *args], env=env)
    assert changed.exit_code == 0, changed.output
    assert "new column domains.region (text, from `region`)" in changed.output
    frozen = runner.invoke(app, ["schema", DOC, "--diff", "--set",
                                 "resources.domains.schema_contract=freeze", *args], env=env)
    assert "would FAIL" in frozen.output and "region" in frozen.output


def test_schema_rejects_unknown_resource_and_format(
        served: tuple[Any, list[str], dict[str, str]]) -> None:
    _, args, env = served
    bad = runner.invoke(app, ["schema", DOC, "--resource", "nope", *args], env=env)
    assert bad.exit_code == 1 and "unknown resource 'nope'" in bad.output
    fmt = runner.invoke(app, ["schema", DOC, "--format", "xml", *args], env=env)
    assert fmt.exit_code != 0 and "--format" in fmt.output
