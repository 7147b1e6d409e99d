"""``run --max-concurrency`` / ``--fixed-concurrency`` and the line saying where the in-flight
limit settled."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from restsync.cli.app import app
from tests.e2e.test_adaptive_concurrency import ITEMS, InFlightServer, fan_out_spec

runner = CliRunner()


def run_cli(tmp_path: Path, server: InFlightServer, *flags: str) -> str:
    spec = tmp_path / "fan.json"
    spec.write_text(json.dumps(fan_out_spec(server.url)))
    result = runner.invoke(app, ["run", str(spec), "--destination",
                                 f"duckdb:///{tmp_path / 'run.duckdb'}", *flags])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_fixed_concurrency_holds_the_limit_and_says_so(tmp_path: Path) -> None:
    with InFlightServer(refuse_above=None, delay=0.005) as server:
        out = run_cli(tmp_path, server, "--fixed-concurrency", "--max-concurrency", "3")
    assert f"requests in flight to 127.0.0.1:{server.url.rsplit(':', 1)[1]}: fixed at 3" in out
    assert len(server.arrivals) == ITEMS
    assert max(flight for flight, _ in server.arrivals) <= 3


def test_adaptive_by_default_reports_where_it_settled(tmp_path: Path) -> None:
    with InFlightServer(refuse_above=None, delay=0.005) as server:
        out = run_cli(tmp_path, server, "--max-concurrency", "20")
    assert "settled at" in out and "started at 16" in out and "ceiling 20" in out
