"""Delta Lake and Iceberg destinations: the destination-neutral cases, and what is theirs.

The cases shared with DuckDB and PostgreSQL are imported below, so pytest collects them again
here, once per lake format (``dest`` is parametrized). Tables are read back with each format's
own reader (deltalake, pyiceberg) into Arrow; DuckDB only runs the tests' SQL over that Arrow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restsync.errors import DestinationError
from restsync.load import Destination, open_destination
from restsync.normalize import Normalizer

from .conftest import DATASET, count, lake_url, rows, run_load
from .test_dispositions import (  # noqa: F401  (collected again with the lake `dest`)
    test_append_adds_every_load,
    test_merge_dedups_within_run_last_wins,
    test_merge_deletes_grandchildren_of_replaced_roots,
    test_merge_of_an_empty_run_changes_nothing,
    test_merge_on_composite_key_and_type_widened_key,
    test_merge_second_identical_load_keeps_counts,
    test_merge_updated_record_replaces_old_row_and_its_children,
    test_merge_without_any_key_value_falls_back_to_replace,
    test_replace_does_not_touch_other_resources,
    test_replace_swaps_root_and_children,
)
from .test_duckdb_destination import (  # noqa: F401
    test_batches_with_differing_columns_and_types_within_one_load,
    test_many_small_batches_with_changing_kinds_are_buffered_and_loaded,
    test_nested_to_scalar_change_loads,
    test_state_round_trip_is_committed_with_data,
    test_two_resources_staged_at_once_commit_independently,
    test_unknown_disposition_is_refused,
)
from .test_merge_keys import *  # noqa: F403  (its tests, collected again with the lake `dest`)

LAKES = ["delta", "iceberg"]


@pytest.fixture(params=LAKES)
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(scheme: str, tmp_path: Path) -> str:
    return lake_url(scheme, tmp_path)


@pytest.fixture
def dest(url: str) -> Iterator[Destination]:
    d = open_destination(url, DATASET)
    yield d
    d.close()


def test_merge_with_some_key_values_missing_fails_and_commits_nothing(
        dest: Any, tmp_path: Path) -> None:
    run_load(dest, "events", [[{"id": 1}]], state={"cursor": "a"})
    with pytest.raises(DestinationError, match="2 of 3 rows"):
        run_load(dest, "events", [[{"id": 2}, {"x": 1}, {"x": 2}]], load_id="L2",
                 state={"cursor": "b"})
    assert count(dest, "events") == 1 and dest.get_state("events") == {"cursor": "a"}
    assert not any(dest.lake.staging.iterdir())  # staged rows dropped
    assert not any(dest.lake.pending.glob("*.json"))


def test_new_columns_and_widened_types_across_loads(dest: Any) -> None:
    run_load(dest, "events", [[{"id": 1, "v": 1}]], disposition="append")
    second = run_load(dest, "events", [[{"id": 2, "v": 2.5, "w": True}]],
                      disposition="append", load_id="L2")
    assert "events.v: bigint -> double" in second.schema_changes
    assert "new column events.w (bool, from `w`)" in second.schema_changes
    third = run_load(dest, "events", [[{"id": 3, "v": "n/a"}]], disposition="append",
                     load_id="L3")
    assert "events.v: double -> text" in third.schema_changes
    # numbers become text the way the normalizer renders them (PostgreSQL too; DuckDB's own
    # cast writes 1.0)
    assert rows(dest, "SELECT id, v, w FROM DS.events ORDER BY id") == [
        (1, "1", None), (2, "2.5", True), (3, "n/a", None)]
    stored = dest.stored_schema("events")["events"]
    assert stored.version == 3 and stored.columns["v"].data_type == "text"


def test_json_columns_absorb_scalars_and_stay_json(dest: Any) -> None:
    def load(records: list[dict[str, Any]], load_id: str) -> Any:
        d = dest.begin("raw", load_id=load_id, write_disposition="append", primary_key=None,
                       root_table="raw")
        norm = Normalizer(table_name="raw", primary_key=None, load_id=load_id,
                          json_columns=["doc"], stored=d.stored_schema)
        for batch in norm.normalize(records):
            d.write(batch)
        return d.commit(None)

    load([{"doc": {"a": [1, 2]}}], "L1")
    load([{"doc": 5}], "L2")
    docs = [json.loads(r[0]) for r in rows(dest, "SELECT doc FROM DS.raw")]
    assert sorted(docs, key=json.dumps) == sorted([{"a": [1, 2]}, 5], key=json.dumps)
    assert dest.stored_schema("raw")["raw"].columns["doc"].data_type == "json"


def test_big_integers_beyond_doubles_widen_to_text(dest: Any) -> None:
    run_load(dest, "events", [[{"id": 1, "v": 2**60 + 1}]], disposition="append")
    run_load(dest, "events", [[{"id": 2, "v": 0.5}]], disposition="append", load_id="L2")
    assert rows(dest, "SELECT v FROM DS.events ORDER BY id") == [(str(2**60 + 1),), ("0.5",)]


def test_second_run_of_the_same_dataset_is_refused_while_one_holds_it(
        dest: Any, url: str) -> None:
    with pytest.raises(DestinationError, match="another run is loading this dataset"):
        open_destination(url, DATASET)
    other = open_destination(url, "other")  # another dataset is free
    other.close()


def test_state_reset_and_schema_history(dest: Any) -> None:
    run_load(dest, "a", [[{"id": 1}]], state={"c": 1})
    run_load(dest, "b", [[{"id": 1, "x": "y"}]], state={"c": 2})
    assert dest.reset_state("a") == ["a"]
    assert dest.states() == {"b": {"c": 2}}
    assert [h["change"] for h in dest.schema_history("b")] == ["new_table"]
    assert [(r["resource"], r["rows"]) for r in dest.loads()] == [("a", 1), ("b", 1)]


def test_state_and_data_survive_reopen(url: str) -> None:
    d = open_destination(url, DATASET)
    run_load(d, "events", [[{"id": 1, "tags": ["a"]}]], state={"cursor": 5})
    d.close()
    d = open_destination(url, DATASET)
    try:
        assert d.get_state("events") == {"cursor": 5}
        assert (count(d, "events"), count(d, "events__tags")) == (1, 1)
        assert d.tables() == ["events", "events__tags"]
    finally:
        d.close()


def test_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch, scheme: str,
                                        tmp_path: Path) -> None:
    import importlib

    module = {"delta": "deltalake", "iceberg": "pyiceberg"}[scheme]
    real = importlib.import_module

    def missing(name: str, *args: Any) -> Any:
        if name == module:
            raise ImportError(f"No module named {module!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(DestinationError, match=rf"pip install 'restsync\[{scheme}\]'"):
        open_destination(lake_url(scheme, tmp_path), DATASET)


def test_unknown_url_option_is_refused(scheme: str, tmp_path: Path) -> None:
    with pytest.raises(DestinationError, match=r"unknown .* URL option 'nope'"):
        open_destination(lake_url(scheme, tmp_path) + "?nope=1", DATASET)


def test_iceberg_catalog_uri_option_names_another_sql_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "elsewhere" / "catalog.sqlite"
    catalog.parent.mkdir()
    url = f"{lake_url('iceberg', tmp_path)}?catalog_uri=sqlite:///{catalog}&catalog_name=team"
    d = open_destination(url, DATASET)
    try:
        run_load(d, "events", [[{"id": 1}]], state={"c": 1})
    finally:
        d.close()
    assert catalog.exists() and not (tmp_path / "lake" / "catalog.db").exists()
    from pyiceberg.catalog.sql import SqlCatalog

    table = SqlCatalog("team", uri=f"sqlite:///{catalog}").load_table((DATASET, "events"))
    assert table.scan().to_arrow().column("id").to_pylist() == [1]
