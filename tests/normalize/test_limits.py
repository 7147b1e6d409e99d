"""``max_columns`` (wide maps become JSON columns) and ``max_nesting_depth`` in the normalizer."""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import pytest

from restsync.errors import LimitExceededError
from restsync.normalize import Normalizer, ShapeLimits, TableBatch
from restsync.normalize.kinds import is_json_type
from restsync.normalize.shape import cut_records, plan_cuts, shape_of_type, shape_of_values

LIMITS = ShapeLimits(max_columns=100, max_depth=8, columns_setting="client.limits.max_columns=100",
                     depth_setting="client.limits.max_nesting_depth=8")


def make(**extra: Any) -> Normalizer:
    return Normalizer(table_name="stats", primary_key=["id"], load_id="L1", resource="stats",
                      limits=LIMITS, **extra)


def tables(batches: list[TableBatch]) -> dict[str, TableBatch]:
    return {b.table: b for b in batches}


def counts(n: int, start: int = 0) -> dict[str, int]:
    return {f"user{i}": i for i in range(start, start + n)}


def test_a_map_wider_than_the_limit_becomes_one_json_column() -> None:
    norm = make()
    records = [{"id": 1, "name": "a", "counts": counts(10_000)},
               {"id": 2, "name": "b", "counts": counts(3)}]
    original = copy.deepcopy(records)
    out = tables(norm.normalize(records, where="page 1"))
    root = out["stats"].arrow
    assert root.column_names == ["id", "name", "counts", "_dlt_load_id", "_dlt_id"]
    assert is_json_type(root.schema.field("counts").type)
    assert json.loads(root.column("counts")[0].as_py()) == counts(10_000)
    assert records == original  # the caller's records (shared with child resources) untouched
    assert out["stats"].schema is not None
    assert out["stats"].schema.columns["counts"].limit == "max_columns"
    [note] = norm.limit_notes
    assert note == ("table `stats`: `counts` has 10,000 keys: kept as one JSON column instead "
                    "of a column per key (the table would have 10,002 columns, more than "
                    "client.limits.max_columns=100); first seen in page 1")


def test_keys_spread_over_records_count_together() -> None:
    norm = make()
    records = [{"id": i, "counts": counts(20, start=i * 20)} for i in range(50)]  # 1,000 keys
    root = tables(norm.normalize(records))["stats"].arrow
    assert root.column_names == ["id", "counts", "_dlt_load_id", "_dlt_id"]
    assert json.loads(root.column("counts")[49].as_py()) == counts(20, start=980)


def test_a_map_that_grows_past_the_limit_is_cut_from_then_on() -> None:
    norm = make()
    first = tables(norm.normalize([{"id": 1, "counts": counts(60)}]))["stats"].arrow
    assert "counts__user59" in first.column_names and not norm.limit_notes
    second = tables(norm.normalize([{"id": 2, "counts": counts(60, start=60)}]))["stats"].arrow
    assert "counts" in second.column_names and "counts__user60" not in second.column_names
    third = tables(norm.normalize([{"id": 3, "counts": counts(2)}]))["stats"].arrow
    assert third.column_names == ["id", "counts", "_dlt_load_id", "_dlt_id"]  # stays JSON
    assert len(norm.limit_notes) == 1


def test_a_cut_is_remembered_by_the_stored_schema() -> None:
    norm = make()
    [batch] = norm.normalize([{"id": 1, "counts": counts(500)}])
    assert batch.schema is not None
    stored = {"stats": batch.schema.copy()}
    again = make(stored=stored)
    root = tables(again.normalize([{"id": 2, "counts": counts(2)}]))["stats"].arrow
    assert root.column_names == ["id", "counts", "_dlt_load_id", "_dlt_id"]
    assert json.loads(root.column("counts")[0].as_py()) == counts(2)


def test_nested_maps_cut_the_outer_map() -> None:
    norm = make()
    per_user_per_day = {f"u{u}": {f"2024-01-{d:02d}": d for d in range(1, 31)} for u in range(40)}
    root = tables(norm.normalize([{"id": 1, "daily": per_user_per_day}]))["stats"].arrow
    assert root.column_names == ["id", "daily", "_dlt_load_id", "_dlt_id"]


def test_maps_in_child_tables_and_maps_of_lists() -> None:
    norm = make()
    records = [{"id": 1,
                "orders": [{"sku": "a", "attrs": counts(300)}, {"sku": "b", "attrs": {}}],
                "history": {f"d{i}": [i, i + 1] for i in range(150)}}]  # 150 child tables
    out = tables(norm.normalize(records))
    assert set(out) == {"stats", "stats__orders"}
    assert out["stats"].arrow.column_names == ["id", "history", "_dlt_load_id", "_dlt_id"]
    orders = out["stats__orders"].arrow
    assert orders.column_names[:2] == ["sku", "attrs"]
    assert is_json_type(orders.schema.field("attrs").type)


def test_records_that_are_themselves_too_wide_fail_clearly() -> None:
    norm = make()
    with pytest.raises(LimitExceededError) as caught:
        norm.normalize([{f"2024-{i}": i for i in range(150)}], where="page 4")
    error = caught.value
    assert error.setting == "client.limits.max_columns=100"
    assert str(error).startswith("resource 'stats', page 4, table 'stats': the records have "
                                 "150 top-level fields, more than the 100 columns")
    assert "data_selector" in str(error)


def test_a_table_stored_wider_than_the_limit_keeps_its_columns() -> None:
    unlimited = Normalizer(table_name="stats", primary_key=None, load_id="L0")
    [batch] = unlimited.normalize([{f"c{i}": i for i in range(150)}])
    assert batch.schema is not None
    norm = make(stored={"stats": batch.schema.copy()})
    [again] = norm.normalize([{f"c{i}": i for i in range(150)}])
    assert again.arrow.num_columns == 152 and not norm.limit_notes
    with pytest.raises(LimitExceededError):
        norm.normalize([{f"c{i}": i for i in range(151)}])


def test_mixed_types_take_the_fallback_and_are_bounded_too() -> None:
    norm = make()
    records = [{"id": 1, "v": "text", "counts": counts(500)}, {"id": 2, "v": 5, "counts": {}}]
    root = tables(norm.normalize(records))["stats"].arrow
    assert root.column_names == ["id", "v", "counts", "_dlt_load_id", "_dlt_id"]
    assert norm.limit_notes


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_deep_records_are_kept_as_json_below_the_depth_limit() -> None:
    assert sys.getrecursionlimit() <= 1000 * 5
    norm = make()
    root = tables(norm.normalize([{"id": 1, "tree": deep(1000)}], where="page 2"))["stats"]
    names = root.arrow.column_names
    cut = "tree" + "__a" * 8  # `tree` is met at level 0, its 8th `a` at level 8: JSON
    assert names == ["id", cut, "_dlt_load_id", "_dlt_id"]
    rest = 1000 - 8  # (== on so deep a dict would itself overflow Python's stack)
    assert root.arrow.column(cut)[0].as_py() == '{"a":' * rest + '{"leaf":1}' + "}" * rest
    assert root.schema is not None and root.schema.columns[cut].limit == "max_nesting_depth"
    assert norm.limit_notes == [
        "table `stats`: `tree.a.a.a.a.a.a.a.a` holds values nested deeper than 8 levels: kept as "
        "JSON (client.limits.max_nesting_depth=8); first seen in page 2"]


def test_deep_lists_are_bounded_too() -> None:
    value: Any = [1]
    for _ in range(1000):
        value = [value]
    out = tables(make().normalize([{"id": 1, "nested": value}]))
    assert len(out) <= 9  # a chain of child tables down to the limit, then JSON


def test_max_table_nesting_below_the_limit_gives_no_limit_note() -> None:
    norm = make(max_nesting=1)
    root = tables(norm.normalize([{"id": 1, "tree": deep(1000)}]))["stats"].arrow
    assert root.column_names == ["id", "tree__a", "_dlt_load_id", "_dlt_id"]
    assert norm.limit_notes == []


def test_shape_of_values_and_of_types_agree() -> None:
    import pyarrow as pa
    records = [{"a": 1, "b": {"c": [1, 2], "d": {"e": "x"}}, "f": [{"g": 1}, {"h": [[1]]}]},
               {"a": None, "b": {"c": [], "d": None}}]
    plan_args = {"max_columns": 3, "nesting": None, "is_json": lambda p: False,
                 "known_columns": lambda p: set()}
    by_type = plan_cuts(shape_of_type(pa.infer_type(records)), **plan_args)
    by_values = plan_cuts(shape_of_values(records, None), **plan_args)
    assert by_type == by_values
    assert [c.path for c in by_type.cuts] == [("b",)]


def test_cut_records_copies_only_what_it_changes() -> None:
    records = [{"a": {"b": 1}, "keep": {"x": 1}, "l": [{"m": {"n": 1}}, {"m": None}]}]
    out = cut_records(records, [("a",), ("l", "m")], json.dumps)
    assert out[0] == {"a": '{"b": 1}', "keep": {"x": 1}, "l": [{"m": '{"n": 1}'}, {"m": None}]}
    assert out[0]["keep"] is records[0]["keep"] and records[0]["a"] == {"b": 1}


@pytest.mark.parametrize("max_depth", [None, 1024])
def test_mixed_types_nested_past_the_recursion_limit_are_built(max_depth: int | None) -> None:
    """A type conflict 600 levels deep takes the fallback builder all the way down (two of its
    steps per level: it used to recurse past Python's limit at ~500): it keeps its own stack,
    and the leaf column is text holding both values."""
    assert sys.getrecursionlimit() <= 600 * 2
    conflict = [{"id": 1, "tree": deep(600)}, {"id": 2, "tree": deep(600)}]
    leaf = conflict[1]["tree"]
    for _ in range(600):
        leaf = leaf["a"]
    leaf["leaf"] = "one"
    norm = Normalizer(table_name="stats", primary_key=["id"], load_id="L",
                      limits=ShapeLimits(max_depth=max_depth))
    root = tables(norm.normalize(conflict))["stats"].arrow
    assert root.num_columns == 4
    assert root.column(1).to_pylist() == ["1", "one"]
    assert root.schema.field(1).type == "string"
