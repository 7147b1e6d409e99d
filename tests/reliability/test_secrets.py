"""Secrets never leave: not in stdout/stderr, not in the database, not in any file written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from restsync.engine import Pipeline
from restsync.sandbox import SANDBOXES, SandboxServer, start_sandboxes
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver

ROOT = Path(__file__).resolve().parents[2]


def secret_values(server: SandboxServer) -> list[str]:
    """The document's secrets plus every access token the sandbox issued."""
    values = [v for v in server.secrets.values() if len(v) >= 6]
    values += [t for t in getattr(server.tokens, "_tokens", {})]
    return values


def scan(blob: bytes, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s.encode() in blob]


@pytest.mark.parametrize("name", sorted(SANDBOXES))
def test_cli_run_output_and_files_hold_no_secret(name: str, tmp_path: Path) -> None:
    with start_sandboxes([name]) as group:
        server = group[name]
        # a hostile error body that echoes a secret back must not reach the output either
        first_secret = next(iter(server.secrets.values()))
        server.faults.add(r".", status=400, times=1, body=f'{{"error": "bad {first_secret}"}}',
                          method="GET")
        env = dict(os.environ)
        env.update({k.upper(): v for k, v in {**server.secrets, **server.config}.items()})
        args = [sys.executable, "-m", "restsync.cli", "run",
                str(ROOT / "examples" / "seeds" / f"{name}.md"),
                "--destination", f"duckdb:///{tmp_path / 'out.duckdb'}"]
        for override in server.overrides():
            args += ["--set", override]
        result = subprocess.run(args, env=env, capture_output=True, cwd=tmp_path, timeout=120,
                                check=False)
        secrets = secret_values(server)
    assert result.returncode == 1  # the 400 failed one resource, the rest completed
    assert b"400" in result.stdout + result.stderr
    assert scan(result.stdout, secrets) == []
    assert scan(result.stderr, secrets) == []
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written, "the run wrote no file at all"
    for path in written:
        assert scan(path.read_bytes(), secrets) == [], path.name


def test_events_and_errors_in_process_hold_no_secret(tmp_path: Path) -> None:
    with start_sandboxes(["marketing_api"]) as group:
        server = group["marketing_api"]
        server.tokens.max_uses = 2  # force 401 -> refresh mid-run
        events: list[object] = []
        source = load_spec(ROOT / "examples" / "seeds" / "marketing_api.md",
                           overrides=server.overrides(),
                           values=ValueResolver.from_values(secrets=server.secrets))
        info = Pipeline(destination=f"duckdb:///{tmp_path / 'x.duckdb'}",
                        events=events.append).run(source)
        secrets = secret_values(server)
    assert info.ok
    text = "\n".join(repr(e) for e in events) + repr(source) + repr(info)
    assert text and scan(text.encode(), secrets) == []
    assert scan(source.model_dump_json().encode(), secrets) == []
