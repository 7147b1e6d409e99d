"""Seed documents run as written over real HTTP into a real PostgreSQL 15 server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from restsync.engine import Pipeline, RunInfo
from restsync.errors import DestinationError
from restsync.sandbox import start_sandboxes
from tests.e2e.helpers import assert_complete_tables, assert_ok
from tests.seed_run import DocumentRun


@dataclass
class PostgresDocumentRun(DocumentRun):
    """A :class:`DocumentRun` whose destination is a PostgreSQL database."""

    url: str = ""

    @property
    def destination(self) -> str:
        return self.url

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as con:
            return con.execute(sql).fetchall()

    def tables(self, dataset: str | None = None) -> set[str]:
        rows = self.query("SELECT table_name FROM information_schema.tables "
                          f"WHERE table_schema = '{dataset or self.name}'")
        return {r[0] for r in rows if not r[0].startswith("_restsync")}

    def all_counts(self) -> dict[str, int]:
        return {t: self.count(t) for t in sorted(self.tables())}


@pytest.fixture
def pg_seed_run(pg_database_url: str, tmp_path: Path) -> Iterator[Any]:
    """``pg_seed_run("email_api")`` starts that sandbox; runs load into a fresh database."""
    groups: list[Any] = []

    def make(name: str) -> PostgresDocumentRun:
        group = start_sandboxes([name])
        group.start()
        groups.append(group)
        return PostgresDocumentRun(name=name, server=group[name], db_path=tmp_path / "unused",
                                   url=pg_database_url)

    yield make
    for group in groups:
        group.stop()


@pytest.mark.parametrize("seed", ["email_api", "calendar_api"])
def test_seed_loads_complete_tables_and_a_second_merge_run_keeps_counts(
        pg_seed_run: Any, seed: str) -> None:
    run = pg_seed_run(seed)
    first = run.run()
    assert_ok(first)
    assert_complete_tables(run, first)  # every table and child table: the sandbox's counts
    counts = run.all_counts()
    assert counts and all(n > 0 for n in counts.values())
    assert any(child for child in counts if "__" in child)  # nested data went to child tables

    second = run.run()
    assert_ok(second)
    assert run.all_counts() == counts
    loads = run.query(f"SELECT load_id, count(*) FROM {seed}._restsync_loads "
                      "GROUP BY load_id ORDER BY load_id")
    assert [n for _, n in loads] == [len(first.outcomes), len(second.outcomes)]
    assert run.query(f"SELECT count(*) FROM information_schema.tables "
                     f"WHERE table_schema = '{seed}_staging'") == [(0,)]


def test_child_rows_point_at_their_roots(pg_seed_run: Any) -> None:
    run = pg_seed_run("email_api")
    assert_ok(run.run())
    run.run()
    for child in (t for t in run.tables() if "__" in t):
        root = child.split("__", 1)[0]
        orphans = run.query(
            f'SELECT count(*) FROM email_api."{child}" c WHERE NOT EXISTS '
            f'(SELECT 1 FROM email_api."{root}" r WHERE r._dlt_id = c._dlt_root_id)')
        assert orphans == [(0,)], child


def test_a_second_pipeline_on_the_same_dataset_is_refused_while_one_runs(
        pg_seed_run: Any) -> None:
    run = pg_seed_run("calendar_api")
    from restsync.load import open_destination

    holder = open_destination(run.url, "calendar_api")
    try:
        info: RunInfo | None = None
        with pytest.raises(DestinationError, match="another run is loading dataset"):
            info = Pipeline(destination=run.url, events=run.events.append).run(run.source())
        assert info is None
        assert len(run.server.requests) == 0  # refused before any request
    finally:
        holder.close()
