"""Airbyte manifests whose children read their parents' records (a parent router with
``extra_fields``, a nested ``parent_key``, routers over one parent, chains of three parent
routers carrying ancestor columns) give the same tables under Ray as in one process: the
parent records a worker hands back keep every field the children's routers read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

import restsync
from restsync.engine.scaleout import RayExecutor
from restsync.spec.airbyte import load_manifest
from tests.airbyte.construct_cases import CASES as FIRST_CASES
from tests.airbyte.construct_cases_parents import PARENT_CASES
from tests.airbyte.construct_support import Case, manifest_of
from tests.e2e.dlt_support import expected_rows, table_rows
from tests.recording_server import recording_server

pytestmark = pytest.mark.slow

CHOSEN = ["substream-extra-fields", "substream-nested-parent-key",
          "two-routers-over-one-parent-read-one-record",
          "three-parent-routers-in-a-chain-run-as-tuples"]
CASES = {c.id: c for c in [*FIRST_CASES, *PARENT_CASES] if c.id in CHOSEN}


def tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table of the dataset without restsync's own columns, rows sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ab'"
            ).fetchall() if not r[0].startswith("_")]  # not the load and state records
        out = {}
        for name in sorted(names):
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ab' "
                "AND table_name = ? ORDER BY column_name", [name]).fetchall()
                if not r[0].startswith("_dlt_")]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {quoted} FROM ab."{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def run(case: Case, db: Path, executor: Any) -> None:
    with recording_server(case.exchanges, handler=case.handler) as server:
        source = load_manifest(manifest_of(case.streams, **case.top),
                               config={"base": server.base_url, **case.config}, name="ab")
        info = restsync.pipeline(destination=f"duckdb:///{db}", dataset_name="ab",
                                 executor=executor).run(source)
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}


def test_every_chosen_case_is_there() -> None:
    assert sorted(CASES) == sorted(CHOSEN)


@pytest.mark.parametrize("case_id", CHOSEN)
def test_same_tables_under_ray_and_in_one_process(case_id: str, local_ray: Any,
                                                  tmp_path: Path) -> None:
    case = CASES[case_id]
    run(case, tmp_path / "one.duckdb", None)
    run(case, tmp_path / "ray.duckdb", RayExecutor(workers=2, chunk_size=1))
    in_one_process = tables(tmp_path / "one.duckdb")
    assert tables(tmp_path / "ray.duckdb") == in_one_process
    for stream, rows in case.rows.items():  # and both are the rows the case expects
        columns, expected = expected_rows(rows)
        assert table_rows(tmp_path / "ray.duckdb", "ab", stream, columns or ["id"]) == expected
