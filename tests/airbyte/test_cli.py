"""``restsync check|run MANIFEST.yaml --config config.json [--streams a,b]`` over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.sandbox import start_sandboxes
from tests.airbyte.support import MANIFESTS, sandbox_config

runner = CliRunner()


@pytest.fixture
def events_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["email_events_api"]) as group:
        server = group["email_events_api"]
        config = tmp_path / "config.json"
        config.write_text(json.dumps(sandbox_config("email_events_api", server)))
        yield server, config


def test_check_prints_the_plan_and_inferences_without_a_request(events_api) -> None:
    server, config = events_api
    result = runner.invoke(app, ["check", str(MANIFESTS / "email_events_api.yaml"),
                                 "--config", str(config)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "domains" in out and "events" in out
    assert "restsync differs from the CDK on purpose" in out
    assert "spec OK" in out
    assert len(server.requests) == 0
    assert server.secrets["private_key"] not in result.output


def test_check_without_config_uses_a_generated_one_and_says_so(tmp_path: Path,
                                                               monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["check", str(MANIFESTS / "project_api.yaml")])
    assert result.exit_code == 0, result.output
    assert "config generated from the spec" in " ".join(result.output.split())


def test_invalid_config_is_a_located_error_before_any_request(events_api, tmp_path) -> None:
    server, _ = events_api
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"base_url": server.base_url}))
    for command in ("check", "run"):
        result = runner.invoke(app, [command, str(MANIFESTS / "email_events_api.yaml"),
                                     "--config", str(bad)])
        assert result.exit_code == 2, result.output
        assert "config.private_key" in result.output
        assert "'private_key' is a required property" in " ".join(result.output.split())
    assert len(server.requests) == 0


@pytest.mark.slow
def test_run_streams_loads_only_those(events_api, tmp_path) -> None:
    server, config = events_api
    db = tmp_path / "out.duckdb"
    result = runner.invoke(app, ["run", str(MANIFESTS / "email_events_api.yaml"),
                                 "--config", str(config), "--streams", "domains",
                                 "--destination", f"duckdb:///{db}", "--dataset", "mg"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mg'"
        ).fetchall()}
        [(n,)] = con.execute("SELECT count(*) FROM mg.domains").fetchall()
    finally:
        con.close()
    assert "domains" in tables and "events" not in tables
    assert n == server.expected_records["domains"]
    assert not server.requests.matching("/v1/events")


def test_unknown_stream_names_the_known_ones(events_api) -> None:
    _, config = events_api
    result = runner.invoke(app, ["check", str(MANIFESTS / "email_events_api.yaml"),
                                 "--config", str(config), "--streams", "domians"])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "unknown stream `domians`" in out and "domains, events" in out


def test_custom_component_is_refused_with_its_path_and_streams_runs_the_rest(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = (MANIFESTS / "email_events_api.yaml").read_text()
    custom = text.replace("""        pagination_strategy:
          type: CursorPagination""", """        pagination_strategy:
          type: CustomPaginationStrategy
          class_name: source_x.components.MyPaging
          extra: x
          cursor_pagination_unused:
            type: CursorPagination""")
    assert custom != text
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(custom)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"base_url": "http://127.0.0.1:9", "private_key": "k"}))
    result = runner.invoke(app, ["check", str(manifest), "--config", str(config)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "stream `events`" in out and "source_x.components.MyPaging" in out
    assert "streams[1].retriever.paginator.pagination_strategy" in out
    assert "--streams" in out
    result = runner.invoke(app, ["check", str(manifest), "--config", str(config),
                                 "--streams", "domains"])
    assert result.exit_code == 0, result.output


def test_config_and_streams_are_for_manifests_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = Path(__file__).resolve().parents[2] / "examples" / "seeds" / "email_events_api.md"
    result = runner.invoke(app, ["check", str(spec), "--streams", "a"])
    assert result.exit_code == 2
    assert "for Airbyte manifests" in result.output
