"""dlt's ``merge_key`` (delete-insert) on a real DuckDB file; the same cases run again on
PostgreSQL (test_postgres_destination.py) and on Delta and Iceberg read back with their own
readers (test_lake_destinations.py).

dlt's rule: a stored root row goes, with its child rows, when a loaded root row has its
primary key OR its merge key; with a primary key the loaded rows are deduplicated on it (last
wins in restsync), with only a merge key every loaded row stays.
"""

from typing import Any

import pytest

from restsync.errors import DestinationError
from restsync.load import Destination

from .conftest import count, rows, run_load

__all__ = [  # the tests the PostgreSQL and lake modules collect again
    "test_compound_merge_key",
    "test_merge_key_alone_keeps_every_loaded_row",
    "test_merge_key_column_new_to_the_stored_table",
    "test_merge_key_has_no_effect_on_append_and_replace",
    "test_merge_key_of_another_type_than_the_stored_column",
    "test_merge_key_replaces_the_stored_rows_of_each_loaded_key_with_their_children",
    "test_merge_key_with_an_empty_run_changes_nothing",
    "test_primary_key_or_merge_key_selects_the_replaced_rows",
    "test_primary_key_with_merge_key_keeps_the_last_row_per_key",
    "test_rows_without_a_key_value_commit_nothing",
]


def day_rows(*specs: tuple[int, str, str]) -> list[dict[str, Any]]:
    """Records ``{"id", "day", "v", "tags": [v-a, v-b]}`` from ``(id, day, v)``."""
    return [{"id": i, "day": d, "v": v, "tags": [f"{v}-a", f"{v}-b"]} for i, d, v in specs]


def by_day(dest: Destination, table: str = "daily") -> list[tuple[Any, ...]]:
    return sorted(rows(dest, f"SELECT day, id, v FROM DS.{table}"))


def tags_by_root(dest: Destination, table: str = "daily") -> list[tuple[Any, ...]]:
    """Child rows joined to their root (an orphan would have no partner and be missed, so
    the counts are compared too)."""
    joined = sorted(rows(dest, f"SELECT r.v, t.value FROM DS.{table} r JOIN "
                               f"DS.{table}__tags t ON t._dlt_root_id = r._dlt_id"))
    assert len(joined) == count(dest, f"{table}__tags")
    return joined


def test_merge_key_replaces_the_stored_rows_of_each_loaded_key_with_their_children(
        dest: Destination) -> None:
    run_load(dest, "daily", [day_rows((1, "d1", "a"), (2, "d1", "b"), (3, "d2", "c"))],
             primary_key=None, merge_key=["day"])
    report = run_load(dest, "daily", [day_rows((4, "d1", "e"))], primary_key=None,
                      merge_key=["day"], load_id="L2")
    assert report.disposition_applied == "merge"
    assert report.rows == {"daily": 1, "daily__tags": 2}
    assert by_day(dest) == [("d1", 4, "e"), ("d2", 3, "c")]
    assert tags_by_root(dest) == [("c", "c-a"), ("c", "c-b"), ("e", "e-a"), ("e", "e-b")]


def test_merge_key_alone_keeps_every_loaded_row(dest: Destination) -> None:
    """No primary key: nothing is deduplicated (dlt deduplicates on the primary key only)."""
    run_load(dest, "daily", [day_rows((1, "d1", "a"))], primary_key=None, merge_key=["day"])
    run_load(dest, "daily", [day_rows((7, "d1", "x"), (7, "d1", "y")), day_rows((8, "d9", "z"))],
             primary_key=None, merge_key=["day"], load_id="L2")
    assert by_day(dest) == [("d1", 7, "x"), ("d1", 7, "y"), ("d9", 8, "z")]
    assert count(dest, "daily__tags") == 6


def test_primary_key_or_merge_key_selects_the_replaced_rows(dest: Destination) -> None:
    run_load(dest, "daily", [day_rows((1, "d1", "a"), (2, "d2", "b"), (3, "d2", "c"),
                                      (4, "d4", "f"))], merge_key=["day"])
    # id 2 moves to day d1: it goes by its key, id 1 by its day; d3 is new; 3 and 4 stay
    run_load(dest, "daily", [day_rows((2, "d1", "moved"), (5, "d3", "n"))],
             merge_key=["day"], load_id="L2")
    assert by_day(dest) == [("d1", 2, "moved"), ("d2", 3, "c"), ("d3", 5, "n"), ("d4", 4, "f")]
    assert tags_by_root(dest) == sorted(
        (v, f"{v}-{s}") for v in ("moved", "c", "n", "f") for s in "ab")


def test_primary_key_with_merge_key_keeps_the_last_row_per_key(dest: Destination) -> None:
    run_load(dest, "daily", [day_rows((1, "d1", "a"))], merge_key=["day"])
    report = run_load(dest, "daily", [day_rows((1, "d1", "old")), day_rows((1, "d1", "new"))],
                      merge_key=["day"], load_id="L2")
    assert report.rows == {"daily": 1, "daily__tags": 2}
    assert by_day(dest) == [("d1", 1, "new")]
    assert tags_by_root(dest) == [("new", "new-a"), ("new", "new-b")]


def test_compound_merge_key(dest: Destination) -> None:
    first = [{"id": i, "day": d, "region": r} for i, d, r in
             [(1, "d1", "eu"), (2, "d1", "us"), (3, "d2", "eu")]]
    run_load(dest, "sales", [first], primary_key=None, merge_key=["day", "region"])
    run_load(dest, "sales", [[{"id": 9, "day": "d1", "region": "eu"}]], primary_key=None,
             merge_key=["day", "region"], load_id="L2")
    assert sorted(rows(dest, "SELECT id, day, region FROM DS.sales")) == [
        (2, "d1", "us"), (3, "d2", "eu"), (9, "d1", "eu")]


def test_merge_key_of_another_type_than_the_stored_column(dest: Destination) -> None:
    """A merge key stored as numbers, then loaded as text: the column widens to text and the
    stored values still match the loaded ones."""
    run_load(dest, "daily", [[{"id": 1, "day": 20240101}, {"id": 2, "day": 20240102}]],
             primary_key=None, merge_key=["day"])
    run_load(dest, "daily", [[{"id": 3, "day": "20240101"}]], primary_key=None,
             merge_key=["day"], load_id="L2")
    assert sorted(rows(dest, "SELECT id, CAST(day AS VARCHAR) FROM DS.daily")) == [
        (2, "20240102"), (3, "20240101")]


def test_merge_key_column_new_to_the_stored_table(dest: Destination) -> None:
    """Stored rows from before the merge key column existed have no value in it: only the
    primary key can replace them."""
    run_load(dest, "daily", [[{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]])
    run_load(dest, "daily", [[{"id": 2, "day": "d1", "v": "c"}]], merge_key=["day"],
             load_id="L2")
    assert sorted(rows(dest, "SELECT id, day, v FROM DS.daily")) == [
        (1, None, "a"), (2, "d1", "c")]
    run_load(dest, "daily", [[{"id": 5, "day": "d1", "v": "e"}]], merge_key=["day"],
             load_id="L3")
    assert sorted(rows(dest, "SELECT id, day, v FROM DS.daily")) == [
        (1, None, "a"), (5, "d1", "e")]


@pytest.mark.parametrize(("primary_key", "loaded"), [
    (None, [{"id": 2, "day": "d1"}, {"id": 3}]),
    (("id",), [{"id": 2}, {"id": 3}]),  # no value at all: not a snapshot when a merge key is set
    (("id",), [{"day": "d1"}]),  # the merge key is there, the primary key is not
], ids=["some-rows-lack-it", "no-row-has-it", "primary-key-lacking"])
def test_rows_without_a_key_value_commit_nothing(dest: Destination, primary_key: Any,
                                                 loaded: list[dict[str, Any]]) -> None:
    run_load(dest, "daily", [[{"id": 1, "day": "d1"}]], primary_key=primary_key,
             merge_key=["day"], state={"cursor": "a"})
    with pytest.raises(DestinationError) as info:
        run_load(dest, "daily", [loaded], primary_key=primary_key, merge_key=["day"],
                 load_id="L2", state={"cursor": "b"})
    assert "resource 'daily'" in str(info.value) and "nothing was committed" in str(info.value)
    assert rows(dest, "SELECT id, day FROM DS.daily") == [(1, "d1")]
    assert dest.get_state("daily") == {"cursor": "a"}


def test_merge_key_with_an_empty_run_changes_nothing(dest: Destination) -> None:
    run_load(dest, "daily", [day_rows((1, "d1", "a"))], primary_key=None, merge_key=["day"])
    report = run_load(dest, "daily", [], primary_key=None, merge_key=["day"], load_id="L2")
    assert report.rows == {} and by_day(dest) == [("d1", 1, "a")]


def test_merge_key_has_no_effect_on_append_and_replace(dest: Destination) -> None:
    run_load(dest, "daily", [day_rows((1, "d1", "a"))], disposition="append",
             merge_key=["day"])
    run_load(dest, "daily", [day_rows((2, "d1", "b"))], disposition="append",
             merge_key=["day"], load_id="L2")
    assert by_day(dest) == [("d1", 1, "a"), ("d1", 2, "b")]
    run_load(dest, "daily", [day_rows((3, "d2", "c"))], disposition="replace",
             merge_key=["day"], load_id="L3")
    assert by_day(dest) == [("d2", 3, "c")]
