"""Declared columns, JSON columns, epoch timestamps and schema contracts in the normalizer."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from restsync.errors import ConfigError, RestsyncError, SchemaContractError
from restsync.normalize import Normalizer, TableBatch, TableSchema
from restsync.normalize.schema import ColumnHint, ColumnSchema, SchemaContract


def make(**kw: Any) -> Normalizer:
    return Normalizer(table_name="t", primary_key=["id"], load_id="L", **kw)


def rows(batches: list[TableBatch], table: str = "t") -> list[dict[str, Any]]:
    return next(b.arrow.to_pylist() for b in batches if b.table == table)


def stored_t(**columns: str) -> dict[str, TableSchema]:
    cols = {n: ColumnSchema(n, k, (n,)) for n, k in {"id": "bigint", **columns}.items()}
    return {"t": TableSchema("t", None, "t", (), cols, version=1)}


def test_epoch_numbers_in_timestamp_named_columns_become_timestamps() -> None:
    n = make()
    out = rows(n.normalize([{"id": 1, "created_at": 1704067200, "timestamp": 1704067200.5,
                             "sent_ts": 1704067200123, "count": 1704067200}]))[0]
    assert out["created_at"] == datetime(2024, 1, 1, tzinfo=UTC)
    assert out["timestamp"] == datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    assert out["sent_ts"] == datetime(2024, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert out["count"] == 1704067200  # the name says nothing: stays a number
    cols = n.table_schemas()["t"].columns
    assert (cols["created_at"].timestamp_unit, cols["sent_ts"].timestamp_unit) == ("s", "ms")


def test_small_numbers_in_a_timestamp_named_column_stay_numbers() -> None:
    out = rows(make().normalize([{"id": 1, "updated_at": 5}]))[0]
    assert out["updated_at"] == 5


def test_epoch_column_later_given_iso_strings_keeps_timestamps() -> None:
    n = make()
    n.normalize([{"id": 1, "created_at": 1704067200}])
    out = rows(n.normalize([{"id": 2, "created_at": "2024-01-02T00:00:00Z"}]))[0]
    assert out["created_at"] == datetime(2024, 1, 2, tzinfo=UTC)


def test_declared_types_win_over_inference() -> None:
    n = make(columns={"amount": {"data_type": "decimal", "precision": 12, "scale": 2},
                      "day": {"data_type": "date"}, "flag": {"data_type": "bool"},
                      "seen": {"data_type": "timestamp"}, "n": {"data_type": "bigint"},
                      "code": {"data_type": "text"}})
    batch = n.normalize([{"id": 1, "amount": "12.34", "day": "2024-03-01", "flag": "true",
                          "seen": "Mon, 01 Jan 2024 10:00:00 GMT", "n": "42", "code": 7}])[0]
    assert batch.arrow.schema.field("amount").type == pa.decimal128(12, 2)
    out = batch.arrow.to_pylist()[0]
    assert out["amount"] == Decimal("12.34")
    assert str(out["day"]) == "2024-03-01"
    assert out["flag"] is True
    assert out["seen"] == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert (out["n"], out["code"]) == (42, "7")


def test_declared_value_that_does_not_fit_widens_under_evolve() -> None:
    n = make(columns={"n": {"data_type": "bigint"}})
    out = rows(n.normalize([{"id": 1, "n": 1}, {"id": 2, "n": "abc"}]))
    assert [r["n"] for r in out] == ["1", "abc"]  # nothing lost
    assert n.table_schemas()["t"].columns["n"].data_type == "text"
    assert not n.table_schemas()["t"].columns["n"].declared


def test_declared_value_that_does_not_fit_follows_the_data_type_contract() -> None:
    records = [{"id": 1, "n": 1}, {"id": 2, "n": "abc"}, {"id": 3, "n": "7"}]
    declared = {"n": {"data_type": "bigint"}}
    kept = rows(make(columns=declared, contract={"data_type": "discard_value"})
                .normalize(records))
    assert [(r["id"], r["n"]) for r in kept] == [(1, 1), (2, None), (3, 7)]
    dropped = make(columns=declared, contract={"data_type": "discard_row"})
    assert [r["id"] for r in rows(dropped.normalize(records))] == [1, 3]
    assert dropped.dropped_rows == {"t": 1}
    with pytest.raises(SchemaContractError) as info:
        make(columns=declared, contract={"data_type": "freeze"}).normalize(records)
    err = info.value
    assert (err.table, err.column, err.json_path, err.value) == ("t", "n", "[1].n", "'abc'")


def test_json_columns_keep_fields_whole() -> None:
    n = make(json_columns=["payload", "items.meta"])
    batches = n.normalize([{"id": 1, "payload": {"a": {"b": [1, 2]}}, "plain": {"x": 1},
                            "items": [{"k": 1, "meta": {"z": [3]}}]}])
    root = rows(batches)[0]
    assert root["payload"] == '{"a":{"b":[1,2]}}'
    assert root["plain__x"] == 1 and "payload__a__b" not in root
    assert [b.table for b in batches] == ["t", "t__items"]
    assert rows(batches, "t__items")[0]["meta"] == '{"z":[3]}'


def test_columns_freeze_rejects_new_column_of_a_stored_table_with_location() -> None:
    n = make(stored=stored_t(name="text"), contract={"columns": "freeze"})
    assert rows(n.normalize([{"id": 1, "name": "a"}]))[0]["name"] == "a"
    with pytest.raises(SchemaContractError) as info:
        n.normalize([{"id": 2}, {"id": 3, "api_token": "s3cr3t-value"}])
    err = info.value
    assert (err.column, err.json_path, err.value) == ("api_token", "[1].api_token",
                                                      "<redacted>")
    assert "s3cr3t" not in str(err)


def test_columns_discard_modes() -> None:
    records = [{"id": 1, "name": "a"}, {"id": 2, "name": "b", "extra": 5}]
    value = make(stored=stored_t(name="text"), contract={"columns": "discard_value"})
    out = rows(value.normalize(records))
    assert [r["id"] for r in out] == [1, 2] and "extra" not in out[0]
    assert value.discarded_values == {"t.extra": 1}
    row = make(stored=stored_t(name="text"), contract={"columns": "discard_row"})
    assert [r["id"] for r in rows(row.normalize(records))] == [1]


def test_columns_contract_does_not_apply_to_a_new_table() -> None:
    out = rows(make(contract="freeze").normalize([{"id": 1, "anything": "goes"}]))
    assert out[0]["anything"] == "goes"


def test_tables_contract_on_new_child_table() -> None:
    records = [{"id": 1, "tags": ["a", "b"]}]
    with pytest.raises(SchemaContractError) as info:
        make(stored=stored_t(), contract={"tables": "freeze"}).normalize(records)
    assert info.value.table == "t__tags" and info.value.json_path == "[0].tags[0]"
    batches = make(stored=stored_t(), contract={"tables": "discard_row"}).normalize(records)
    assert [b.table for b in batches] == ["t"]


def test_data_type_freeze_on_stored_column_names_the_value_path() -> None:
    n = make(stored=stored_t(v="bigint"), contract={"data_type": "freeze"})
    assert rows(n.normalize([{"id": 1, "v": "12"}]))[0]["v"] == 12  # coerced: fits
    with pytest.raises(SchemaContractError, match=r"\[0\]\.v.*2\.5"):
        n.normalize([{"id": 1, "v": 2.5}])


def test_discard_row_drops_children_of_dropped_rows() -> None:
    n = make(stored={**stored_t(v="bigint"),
                     "t__tags": TableSchema("t__tags", "t", "t", ("tags",),
                                            {"value": ColumnSchema("value", "text", ("value",))},
                                            1)},
             contract={"data_type": "discard_row"})
    batches = n.normalize([{"id": 1, "v": 1, "tags": ["a"]}, {"id": 2, "v": "x", "tags": ["b"]}])
    assert [r["id"] for r in rows(batches)] == [1]
    assert [r["value"] for r in rows(batches, "t__tags")] == ["a"]


def test_stored_names_keep_collision_resolution_stable() -> None:
    first = make()
    first.normalize([{"id": 1, "aB": 1, "a_b": 2}])
    stored = first.table_schemas()
    assert stored["t"].columns["a_b_2"].json_path == ("a_b",)
    second = make(stored=stored)
    out = rows(second.normalize([{"id": 2, "a_b": 3}, {"id": 3, "aB": 4}]))
    assert [(r["id"], r.get("a_b"), r.get("a_b_2")) for r in out] == [(2, None, 3), (3, 4, None)]


def test_contract_from_string_and_mapping() -> None:
    assert SchemaContract.from_value("freeze") == SchemaContract("freeze", "freeze", "freeze")
    assert SchemaContract.from_value({"columns": "discard_row"}).columns == "discard_row"
    with pytest.raises(ConfigError, match="unknown"):
        SchemaContract.from_value({"columns": "melt"})


@pytest.mark.parametrize(("build", "message"), [
    (lambda: SchemaContract.from_value({"rows": "freeze"}), "unknown schema_contract entity 'rows'"),
    (lambda: SchemaContract.from_value("melt"), "unknown schema_contract contract mode 'melt'"),
    (lambda: SchemaContract.from_value({"columns": "melt"}), "unknown columns contract mode"),
    (lambda: ColumnHint.from_value({"data_type": "money"}), "unknown data_type 'money'"),
    (lambda: Normalizer(table_name="t", primary_key=None, load_id="1", max_nesting=-1),
     "max_nesting must be >= 0"),
])
def test_bad_settings_raise_config_errors_of_the_tree(build: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        build()
    assert isinstance(caught.value, RestsyncError) and not isinstance(caught.value, ValueError)
