"""Our manifests of the five sandboxes (tests/airbyte/manifests), wired to running sandboxes.

:class:`ManifestRun` compiles a manifest with a config pointing at its sandbox and runs it
over real HTTP into a real DuckDB file, as the seed runs of ``tests/seed_run.py`` do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from restsync.engine import Pipeline, RunInfo
from restsync.events import Event
from restsync.extract.retry import RecordingSleeper
from restsync.sandbox import SandboxServer, start_sandboxes
from restsync.spec.airbyte import load_manifest
from restsync.spec.model import SourceConfig

MANIFESTS = Path(__file__).resolve().parent / "manifests"

_URL_BASE = {"email_api": "/v1/users/me/", "email_events_api": "/v1"}
"""What each manifest's ``config.base_url`` holds after the sandbox's origin (the others
write the version in their paths)."""


def sandbox_config(name: str, server: SandboxServer) -> dict[str, Any]:
    """The connector config of our manifest ``name`` for a running sandbox."""
    secrets = dict(server.secrets)
    config: dict[str, Any] = {"base_url": server.origin + _URL_BASE.get(name, "")}
    if server.token_url is not None:
        config["token_url"] = server.token_url
    if "client_refresh_token" in secrets:
        secrets["refresh_token"] = secrets.pop("client_refresh_token")
    config.update(secrets)
    config.update(server.config)
    if name == "calendar_api":
        config["providers"] = server.providers()  # type: ignore[attr-defined]
    if name == "project_api":
        config["start_date"] = "2023-01-01T00:00:00Z"  # before every recording
    return config


@dataclass
class ManifestRun:
    """One of our manifests wired to its sandbox, runnable several times into one DuckDB."""

    name: str
    server: SandboxServer
    db_path: Path
    events: list[Event] = field(default_factory=list)
    sleeper: RecordingSleeper = field(default_factory=RecordingSleeper)
    config_changes: dict[str, Any] = field(default_factory=dict)

    @property
    def manifest(self) -> Path:
        return MANIFESTS / f"{self.name}.yaml"

    @property
    def destination(self) -> str:
        return f"duckdb:///{self.db_path}"

    @property
    def config(self) -> dict[str, Any]:
        return {**sandbox_config(self.name, self.server), **self.config_changes}

    def source(self, streams: list[str] | None = None) -> SourceConfig:
        return load_manifest(self.manifest, config=self.config, streams=streams, name=self.name)

    def run(self, streams: list[str] | None = None) -> RunInfo:
        pipe = Pipeline(destination=self.destination, events=self.events.append,
                        sleeper=self.sleeper)
        return pipe.run(self.source(streams))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def count(self, table: str) -> int:
        [(n,)] = self.query(f'SELECT count(*) FROM "{self.name}"."{table}"')
        return int(n)


@pytest.fixture
def manifest_run(tmp_path: Path) -> Iterator[Any]:
    """``manifest_run("email_api", **sandbox_options)`` starts that sandbox for the test."""
    groups: list[Any] = []

    def make(name: str, **options: Any) -> ManifestRun:
        group = start_sandboxes([name], options={name: options} if options else None)
        group.start()
        groups.append(group)
        return ManifestRun(name=name, server=group[name], db_path=tmp_path / f"{name}_run.duckdb")

    yield make
    for group in groups:
        group.stop()
