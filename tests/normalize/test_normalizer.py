"""Layout tests: flattening, child tables and their links, system columns, constants."""

from typing import Any

import pyarrow as pa
import pytest

from restsync.errors import FatalError
from restsync.normalize import Normalizer, TableBatch


def by_table(batches: list[TableBatch]) -> dict[str, list[dict[str, Any]]]:
    return {b.table: b.arrow.to_pylist() for b in batches}


def make(**kw: Any) -> Normalizer:
    return Normalizer(table_name=kw.pop("table_name", "email_events"),
                      primary_key=kw.pop("primary_key", ["id"]), load_id="load-1", **kw)


def test_nested_objects_become_double_underscore_columns() -> None:
    out = by_table(make().normalize([
        {"id": 1, "delivery-status": {"code": 250, "attempt-no": 1, "tls": {"on": True}}},
    ]))
    row = out["email_events"][0]
    assert row["delivery_status__code"] == 250
    assert row["delivery_status__attempt_no"] == 1
    assert row["delivery_status__tls__on"] is True
    assert row["_dlt_load_id"] == "load-1"
    assert isinstance(row["_dlt_id"], str) and row["_dlt_id"]


def test_root_ids_are_unique_across_pages() -> None:
    norm = make()
    ids: list[str] = []
    for page in range(3):
        batches = norm.normalize([{"id": page * 10 + i} for i in range(10)])
        ids += batches[0].arrow.column("_dlt_id").to_pylist()
    assert len(set(ids)) == 30


def test_list_of_objects_becomes_child_table_linked_to_parent() -> None:
    records = [
        {"id": 1, "campaigns": [{"id": "a"}, {"id": "b"}, {"id": "c"}]},
        {"id": 2, "campaigns": []},
        {"id": 3, "campaigns": [{"id": "d", "name": "D"}]},
    ]
    batches = make().normalize(records)
    assert [b.table for b in batches] == ["email_events", "email_events__campaigns"]
    assert batches[1].parent_table == "email_events"
    out = by_table(batches)
    root_by_id = {r["_dlt_id"]: r["id"] for r in out["email_events"]}
    children = out["email_events__campaigns"]
    # parent join gives back the nesting, list index gives back the order
    got = [(root_by_id[c["_dlt_parent_id"]], c["_dlt_list_idx"], c["id"]) for c in children]
    assert got == [(1, 0, "a"), (1, 1, "b"), (1, 2, "c"), (3, 0, "d")]
    assert all(c["_dlt_root_id"] == c["_dlt_parent_id"] for c in children)
    assert len({c["_dlt_id"] for c in children}) == 4
    assert children[3]["name"] == "D" and children[0]["name"] is None


def test_list_of_scalars_goes_to_value_column() -> None:
    out = by_table(make().normalize([{"id": 1, "tags": ["x", "y"]}, {"id": 2, "tags": None}]))
    tags = out["email_events__tags"]
    assert [(t["value"], t["_dlt_list_idx"]) for t in tags] == [("x", 0), ("y", 1)]
    assert "tags" not in out["email_events"][0]


def test_grandchildren_carry_root_id_and_nested_table_names() -> None:
    records = [{"id": 7, "message": {"parts": [{"n": 1, "headers": [{"k": "a"}, {"k": "b"}]},
                                                {"n": 2, "headers": [{"k": "c"}]}]}}]
    batches = make().normalize(records)
    names = [b.table for b in batches]
    assert names == ["email_events", "email_events__message__parts",
                     "email_events__message__parts__headers"]
    assert batches[2].parent_table == "email_events__message__parts"
    out = by_table(batches)
    root_id = out["email_events"][0]["_dlt_id"]
    parts = {p["_dlt_id"]: p["n"] for p in out["email_events__message__parts"]}
    headers = out["email_events__message__parts__headers"]
    assert [(parts[h["_dlt_parent_id"]], h["_dlt_list_idx"], h["k"]) for h in headers] == [
        (1, 0, "a"), (1, 1, "b"), (2, 0, "c")]
    assert {h["_dlt_root_id"] for h in headers} == {root_id}


def test_list_of_lists_uses_intermediary_list_table() -> None:
    out = by_table(make().normalize([{"id": 1, "matrix": [[1, 2], [3]]}]))
    inner = out["email_events__matrix__list"]
    rows = {r["_dlt_id"]: r["_dlt_list_idx"] for r in out["email_events__matrix"]}
    assert [(rows[v["_dlt_parent_id"]], v["_dlt_list_idx"], v["value"]) for v in inner] == [
        (0, 0, 1), (0, 1, 2), (1, 0, 3)]


def test_constant_columns_mapping_and_per_record_sequence() -> None:
    norm = make(table_name="messages_details")
    out = by_table(norm.normalize([{"id": "m1"}, {"id": "m2"}], {"_labels_id": "L1"}))
    assert [r["_labels_id"] for r in out["messages_details"]] == ["L1", "L1"]
    out = by_table(norm.normalize([{"id": "m3"}, {"id": "m4"}],
                                  [{"_labels_id": "L2"}, {"_labels_id": "L3"}]))
    assert [r["_labels_id"] for r in out["messages_details"]] == ["L2", "L3"]
    with pytest.raises(FatalError, match="3 records"):
        norm.normalize([{"id": 1}] * 3, [{"_labels_id": "x"}])


def test_max_nesting_stores_deeper_values_as_json() -> None:
    norm = make(max_nesting=1)
    out = by_table(norm.normalize([{"id": 1, "a": {"b": {"c": 1}, "d": 2},
                                    "tags": [{"x": {"y": 1}}]}]))
    row = out["email_events"][0]
    assert row["a__d"] == 2
    assert row["a__b"] == '{"c":1}'
    assert out["email_events__tags"][0]["x"] == '{"y":1}'
    assert norm.schema["email_events"]["a__b"] == "json"


def test_max_nesting_zero_keeps_every_nested_value_as_json() -> None:
    out = make(max_nesting=0).normalize([{"id": 1, "a": {"b": 1}, "t": [1, 2]}])
    assert [b.table for b in out] == ["email_events"]
    row = out[0].arrow.to_pylist()[0]
    assert (row["a"], row["t"]) == ('{"b":1}', "[1,2]")


def test_name_mapping_keeps_original_json_paths() -> None:
    norm = make()
    norm.normalize([{"id": 1, "delivery-status": {"attempt-no": 1}, "aB": 1, "a_b": 2,
                     "user-variables": [{"k": 1}]}])
    paths = norm.column_paths()["email_events"]
    assert paths["delivery_status__attempt_no"] == "delivery-status.attempt-no"
    assert (paths["a_b"], paths["a_b_2"]) == ("aB", "a_b")
    assert norm.table_paths() == {"email_events__user_variables": "user-variables"}


def test_data_key_named_like_system_column_is_suffixed() -> None:
    row = make().normalize([{"id": 1, "_dlt_id": "mine"}])[0].arrow.to_pylist()[0]
    assert row["_dlt_id_2"] == "mine" and row["_dlt_id"] != "mine"


def test_null_only_columns_are_left_out_until_a_value_appears() -> None:
    norm = make()
    first = norm.normalize([{"id": 1, "later": None}])[0].arrow
    assert "later" not in first.column_names
    second = norm.normalize([{"id": 2, "later": "now"}])[0].arrow
    assert second.column("later").to_pylist() == ["now"]


def test_primary_key_columns_are_normalized() -> None:
    assert make(primary_key=["scheduleId"]).primary_key_columns == ("schedule_id",)


def test_empty_page_gives_no_batches() -> None:
    assert make().normalize([]) == []


def test_non_dict_records_are_wrapped_in_value() -> None:
    out = make().normalize([{"id": 1}, 5])[0].arrow  # type: ignore[list-item]
    assert out.column("value").to_pylist() == [None, 5]
    assert out.column("id").to_pylist() == [1, None]


def test_output_types_are_plain_arrow() -> None:
    table = make().normalize([{"id": 1, "f": 1.5, "b": True, "s": "x",
                               "t": "2024-05-01T10:00:00Z"}])[0].arrow
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("f").type == pa.float64()
    assert table.schema.field("b").type == pa.bool_()
    assert table.schema.field("s").type == pa.string()
    assert table.schema.field("t").type == pa.timestamp("us", tz="UTC")


def test_max_nesting_on_fallback_path_keeps_original_json() -> None:
    # mixed list elements force the fallback builder; the JSON must still be the original value
    row = make(max_nesting=0).normalize([{"doc": {"k": [1, {"z": None}]}}])[0].arrow.to_pylist()
    assert row[0]["doc"] == '{"k":[1,{"z":null}]}'


def test_fallback_list_of_lists_matches_fast_path_layout() -> None:
    fast = by_table(make().normalize([{"m": [[1], [2, 3]]}]))
    slow = by_table(make().normalize([{"m": [[1], [2, "x"]]}]))
    assert set(fast) == set(slow) == {"email_events", "email_events__m", "email_events__m__list"}
    assert [r["value"] for r in slow["email_events__m__list"]] == ["1", "2", "x"]
