"""The ``seed_run`` fixture: a seed document, run as written, over real HTTP into a real DuckDB file."""

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
from restsync.spec import load_spec
from restsync.spec.model import SourceConfig
from restsync.spec.values import ValueResolver

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"


@dataclass
class DocumentRun:
    """One seed document wired to its sandbox, runnable several times into one DuckDB file."""

    name: str
    server: SandboxServer
    db_path: Path
    events: list[Event] = field(default_factory=list)
    sleeper: RecordingSleeper = field(default_factory=RecordingSleeper)
    extra_overrides: list[str] = field(default_factory=list)

    @property
    def document(self) -> Path:
        return SEEDS / f"{self.name}.md"

    @property
    def destination(self) -> str:
        return f"duckdb:///{self.db_path}"

    def values(self) -> ValueResolver:
        return ValueResolver.from_values(secrets=self.server.secrets, config=self.server.config)

    def source(self, **kwargs: Any) -> SourceConfig:
        return load_spec(self.document,
                         overrides=[*self.server.overrides(), *self.extra_overrides,
                                    *kwargs.pop("overrides", [])],
                         params=kwargs.pop("params", None) or self.server.params,
                         values=self.values(), **kwargs)

    def run(self, resources: list[str] | None = None, **kwargs: Any) -> RunInfo:
        source = self.source(**kwargs)
        pipe = Pipeline(destination=self.destination, events=self.events.append,
                        sleeper=self.sleeper)
        return pipe.run(source, resources=resources)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def count(self, table: str, dataset: str | None = None) -> int:
        schema = dataset or self.name
        [(n,)] = self.query(f'SELECT count(*) FROM "{schema}"."{table}"')
        return int(n)

    def tables(self, dataset: str | None = None) -> set[str]:
        schema = dataset or self.name
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
            .replace("?", f"'{schema}'"))
        return {r[0] for r in rows if not r[0].startswith("_restsync")}


@pytest.fixture
def seed_run(tmp_path: Path) -> Iterator[Any]:
    """``seed_run("email_api", **sandbox_options)`` starts that sandbox for the test."""
    groups: list[Any] = []

    def make(name: str, **options: Any) -> DocumentRun:
        group = start_sandboxes([name], options={name: options} if options else None)
        group.start()
        groups.append(group)
        return DocumentRun(name=name, server=group[name], db_path=tmp_path / f"{name}_run.duckdb")

    yield make
    for group in groups:
        group.stop()
