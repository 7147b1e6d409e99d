"""Parquet destination: append and replace, files named by load id, merge refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from restsync.errors import DestinationError
from restsync.load import Destination, open_destination

from .conftest import DATASET, count, lake_url, rows, run_load
from .test_dispositions import (  # noqa: F401  (collected again with the Parquet `dest`)
    test_append_adds_every_load,
    test_replace_does_not_touch_other_resources,
    test_replace_swaps_root_and_children,
)
from .test_duckdb_destination import test_unknown_disposition_is_refused  # noqa: F401


@pytest.fixture
def url(tmp_path: Path) -> str:
    return lake_url("parquet", tmp_path)


@pytest.fixture
def dest(url: str) -> Iterator[Destination]:
    d = open_destination(url, DATASET)
    yield d
    d.close()


def test_merge_is_refused_before_anything_is_fetched_pointing_to_delta_and_iceberg(
        dest: Destination) -> None:
    with pytest.raises(DestinationError) as info:
        dest.begin("events", load_id="L1", write_disposition="merge", primary_key=["id"],
                   root_table="events")
    message = str(info.value)
    assert "resource 'events'" in message and "cannot merge" in message
    assert "delta:///PATH" in message and "iceberg:///PATH" in message


def test_one_folder_per_table_and_files_named_by_load_id(dest: Any, tmp_path: Path) -> None:
    run_load(dest, "events", [[{"id": 1, "tags": ["a"]}]], disposition="append",
             load_id="1700000000.000001", state={"c": 1})
    run_load(dest, "events", [[{"id": 2, "tags": ["b"]}]], disposition="append",
             load_id="1700000001.000002", state={"c": 2})
    folder = tmp_path / "lake" / DATASET
    names = sorted(p.name for p in (folder / "events").iterdir())
    assert len(names) == 2
    assert names[0].startswith("1700000000.000001.") and names[0].endswith(".parquet")
    assert names[1].startswith("1700000001.000002.")
    assert pq.read_table(folder / "events" / names[1]).column("id").to_pylist() == [2]
    assert (folder / "events__tags").is_dir()
    assert dest.get_state("events") == {"c": 2}
    # restsync's own tables are folders of Parquet files too
    assert (folder / "_restsync_state").is_dir() and (folder / "_restsync_loads").is_dir()


def test_replace_leaves_one_file_and_new_columns_widen_by_rewriting(dest: Any,
                                                                    tmp_path: Path) -> None:
    run_load(dest, "events", [[{"id": 1, "v": 1}]], disposition="append")
    report = run_load(dest, "events", [[{"id": 2, "v": "x", "w": 1.5}]], disposition="append",
                      load_id="L2")
    assert "events.v: bigint -> text" in report.schema_changes
    assert rows(dest, "SELECT id, v, w FROM DS.events ORDER BY id") == [
        (1, "1", None), (2, "x", 1.5)]
    run_load(dest, "events", [[{"id": 3, "v": "y"}]], disposition="replace", load_id="L3")
    assert len(list((tmp_path / "lake" / DATASET / "events").glob("*.parquet"))) == 1
    assert count(dest, "events") == 1
