"""``--executor``, ``--workers``, ``--ray-address``, ``--chunk-size`` and
``check --show-partitions``."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.sandbox import start_sandboxes
from tests.cli.test_app import SEEDS, env_for
from tests.engine.scaleout.conftest import listening_addresses

runner = CliRunner()

SPEC = """
client:
  base_url: http://127.0.0.1:9/
resources:
  - name: events
    endpoint:
      path: /t/{tenant}/events
      incremental:
        cursor_path: updated_at
        initial_value: "2024-01-01T00:00:00Z"
        end_value: "2024-03-01T00:00:00Z"
        step: P1M
        start_param: since
        end_param: until
  - name: posts
    endpoint: {path: /posts}
  - name: comments
    endpoint: {path: "/posts/{post_id}/comments"}
"""


@pytest.mark.parametrize("flag", ["--show-partitions", "--executor=ray"])
def test_check_shows_how_the_run_is_split(tmp_path: Path, flag: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = runner.invoke(app, ["check", str(spec), "--param", "tenant=a,b", flag,
                                 "--chunk-size", "25"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    for pid in ("events[tenant=a]@2024-01-01T00:00:00Z", "events[tenant=a]@2024-02-01T00:00:00Z",
                "events[tenant=b]@2024-01-01T00:00:00Z", "events[tenant=b]@2024-02-01T00:00:00Z"):
        assert pid in out
    assert "a single cursor chain cannot be split" in out
    assert "chunks of 25 `posts` records" in out


def test_check_without_the_flag_shows_no_partitions(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = runner.invoke(app, ["check", str(spec), "--param", "tenant=a"])
    assert result.exit_code == 0, result.output
    assert "partitions" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--executor", "threads"], "unknown executor 'threads'; known: in-process, ray"),
    (["--workers", "3"], "executor 'in-process' takes no option(s) --workers"),
    (["--executor", "ray", "--workers", "0"], "--workers must be at least 1"),
    (["--executor", "ray", "--chunk-size", "0"], "--chunk-size must be at least 1"),
])
def test_bad_executor_options_exit_2_before_anything_runs(tmp_path: Path, args: list[str],
                                                          message: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = runner.invoke(app, ["run", str(spec), "--param", "tenant=a",
                                 "--destination", f"duckdb:///{tmp_path / 'x.duckdb'}", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.slow
def test_run_on_its_own_local_ray_loads_and_shuts_it_down(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    with start_sandboxes(["marketing_api"]) as group:
        server = group["marketing_api"]
        args = ["run", str(SEEDS / "marketing_api.md"), "--executor", "ray", "--workers", "1",
                "--destination", f"duckdb:///{tmp_path / 'out.duckdb'}"]
        for o in server.overrides():
            args += ["--set", o]
        result = runner.invoke(app, args, env=env_for(server))
        assert result.exit_code == 0, result.output
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
        loaded = {t: con.execute(f"SELECT count(*) FROM marketing_api.{t}").fetchone()
                  for t in server.expected_records}
    assert loaded == {t: (n,) for t, n in server.expected_records.items()}
    # the instance is gone, and the run's token and switches left the environment
    assert listening_addresses() == {}
    ours = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_USAGE_STATS_ENABLED",
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    assert {k: os.environ.get(k) for k in ours} == {k: before.get(k) for k in ours}
