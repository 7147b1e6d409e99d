"""The package docstring's example uses the public API as it is."""

from __future__ import annotations

import re
from pathlib import Path

import restsync
from restsync.engine import RunInfo
from restsync.sandbox import start_sandboxes
from restsync.spec.values import ValueResolver

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"


def test_every_name_the_example_calls_exists() -> None:
    doc = restsync.__doc__ or ""
    called = set(re.findall(r"restsync\.(\w+)\(", doc))
    assert called == {"rest_api_source", "pipeline"}
    for name in called:
        assert callable(getattr(restsync, name)), name


def test_the_example_runs(tmp_path: Path) -> None:
    with start_sandboxes(["email_events_api"],
                         options={"email_events_api": {"domains": 3, "events": 5}}) as group:
        server = group["email_events_api"]
        source = restsync.rest_api_source(
            SEEDS / "email_events_api.md", overrides=server.overrides(),
            values=ValueResolver.from_values(secrets=server.secrets, config=server.config))
        info = restsync.pipeline(destination=f"duckdb:///{tmp_path / 'email.duckdb'}").run(source)
    assert isinstance(info, RunInfo)
    assert info.ok, info.failed
