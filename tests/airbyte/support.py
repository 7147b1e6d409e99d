"""Our manifests of the five sandboxes (tests/airbyte/manifests), wired to running sandboxes.

:class:`ManifestRun` compiles a manifest with a config pointing at its sandbox and runs it
over real HTTP into a real DuckDB file, as the seed runs of ``tests/seed_run.py`` do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline, RunInfo
from restsync.sandbox import SandboxServer
from restsync.spec.airbyte import load_manifest
from restsync.spec.model import SourceConfig
from tests.seed_run import DocumentRun

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
class ManifestRun(DocumentRun):
    """One of our manifests wired to its sandbox, runnable several times into one DuckDB
    (queries as :class:`tests.seed_run.DocumentRun`)."""

    config_changes: dict[str, Any] = field(default_factory=dict)

    @property
    def manifest(self) -> Path:
        return MANIFESTS / f"{self.name}.yaml"

    @property
    def config(self) -> dict[str, Any]:
        return {**sandbox_config(self.name, self.server), **self.config_changes}

    def source(self, streams: list[str] | None = None) -> SourceConfig:  # type: ignore[override]
        return load_manifest(self.manifest, config=self.config, streams=streams, name=self.name)

    def run(self, streams: list[str] | None = None) -> RunInfo:  # type: ignore[override]
        pipe = Pipeline(destination=self.destination, events=self.events.append,
                        sleeper=self.sleeper)
        return pipe.run(self.source(streams))


@pytest.fixture
def manifest_run(seed_run: Any) -> Any:
    """``manifest_run("email_api", **sandbox_options)``: the sandbox started as for
    ``seed_run``, our manifest instead of the seed document."""
    def make(name: str, **options: Any) -> ManifestRun:
        started = seed_run(name, **options)
        return ManifestRun(name=name, server=started.server,
                           db_path=started.db_path.with_name(f"{name}_manifest.duckdb"))
    return make
