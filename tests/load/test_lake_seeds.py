"""The five seed documents, as written, over real HTTP into Delta, Iceberg and Parquet.

Each seed runs twice into a DuckDB file and twice into the lake format; after each run every
table must hold as many rows as DuckDB's (read back with the format's own reader: deltalake,
pyiceberg, pyarrow.parquet), and a second run must leave merged tables as they were. Parquet
cannot merge, so there both runs load every resource with ``replace`` (DuckDB too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline, RunInfo
from restsync.load import open_destination
from tests.e2e.helpers import assert_ok

# five whole seeds into three lake formats (`make test-slow`)
pytestmark = pytest.mark.slow

SEEDS = ["email_api", "calendar_api", "email_events_api", "marketing_api", "project_api"]


def lake_counts(url: str, dataset: str) -> dict[str, int]:
    dest: Any = open_destination(url, dataset)
    try:
        return {t: dest.fmt.read(t).num_rows for t in dest.tables()}
    finally:
        dest.close()


def duckdb_counts(run: Any) -> dict[str, int]:
    return {t: run.count(t) for t in sorted(run.tables())}


def replace_everywhere(run: Any) -> list[str]:
    return [f"resources.{r.name}.write_disposition=replace" for r in run.source().resources]


def run_into(run: Any, destination: str, overrides: list[str]) -> RunInfo:
    source = run.source(overrides=overrides)
    return Pipeline(destination=destination, sleeper=run.sleeper).run(source)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scheme", ["delta", "iceberg", "parquet"])
def test_seed_counts_equal_duckdb_and_a_second_run_keeps_merged_tables(
        seed_run: Any, seed: str, scheme: str, tmp_path: Path) -> None:
    run = seed_run(seed)
    overrides = replace_everywhere(run) if scheme == "parquet" else []
    lake = f"{scheme}:///{tmp_path / 'lake'}"
    first_duck = run_into(run, run.destination, overrides)
    assert_ok(first_duck)
    first = run_into(run, lake, overrides)
    assert_ok(first)
    duck = duckdb_counts(run)
    assert duck and sum(duck.values()) > 0
    assert lake_counts(lake, seed) == duck
    assert {n: o.tables for n, o in first.outcomes.items()} == \
        {n: o.tables for n, o in first_duck.outcomes.items()}

    second_duck = run_into(run, run.destination, overrides)
    assert_ok(second_duck)
    second = run_into(run, lake, overrides)
    assert_ok(second)
    again = lake_counts(lake, seed)
    assert again == duckdb_counts(run)
    merged = [r.name for r in run.source(overrides=overrides).resources
              if r.write_disposition == "merge" and r.name in first.outcomes
              and first.outcomes[r.name].status == "completed"]
    for resource in merged:
        for table in first.outcomes[resource].tables:
            assert again[table] == duck[table], (resource, table)
