"""Type inference and widening across pages; mixed pages take the fallback path."""

from typing import Any

import pyarrow as pa

from restsync.normalize import Normalizer
from restsync.normalize.kinds import widen


def norm() -> Normalizer:
    return Normalizer(table_name="t", primary_key=None, load_id="L")


def root(n: Normalizer, records: list[Any]) -> pa.Table:
    return n.normalize(records)[0].arrow


def test_int_then_float_then_str_widens_step_by_step() -> None:
    n = norm()
    assert root(n, [{"v": 1}]).schema.field("v").type == pa.int64()
    second = root(n, [{"v": 2.5}])
    assert second.schema.field("v").type == pa.float64()
    assert n.schema["t"]["v"] == "double"
    third = root(n, [{"v": "abc"}])
    assert third.column("v").to_pylist() == ["abc"]
    assert n.schema["t"]["v"] == "text"
    # once text, later ints are rendered as text, not narrowed back
    assert root(n, [{"v": 7}]).column("v").to_pylist() == ["7"]


def test_mixed_numbers_and_strings_in_one_page_become_text() -> None:
    table = root(norm(), [{"v": 1}, {"v": "x"}, {"v": 2.5}, {"v": True}, {"v": None}])
    assert table.column("v").to_pylist() == ["1", "x", "2.5", "true", None]


def test_ints_and_floats_in_one_page_become_double() -> None:
    table = root(norm(), [{"v": 1}, {"v": 2.5}])
    assert table.column("v").to_pylist() == [1.0, 2.5]


def test_new_column_in_later_page() -> None:
    n = norm()
    root(n, [{"a": 1}])
    table = root(n, [{"a": 2, "b": "new"}])
    assert table.column("b").to_pylist() == ["new"]
    assert set(n.schema["t"]) == {"a", "b"}


def test_nested_then_scalar_does_not_fail_and_keeps_both() -> None:
    n = norm()
    first = root(n, [{"meta": {"a": 1}}])
    assert first.column("meta__a").to_pylist() == [1]
    second = root(n, [{"meta": "plain"}])
    assert second.column("meta").to_pylist() == ["plain"]
    # both shapes in one page: dict part flattened, scalar part in `meta`, list -> child table
    batches = n.normalize([{"meta": {"a": 2}}, {"meta": "s"}, {"meta": [1, 2]}])
    mixed = batches[0].arrow
    assert mixed.column("meta__a").to_pylist() == [2, None, None]
    assert mixed.column("meta").to_pylist() == [None, "s", None]
    assert batches[1].table == "t__meta"
    assert batches[1].arrow.column("value").to_pylist() == [1, 2]


def test_inner_mixed_types_only_slow_path_the_offending_column() -> None:
    table = root(norm(), [{"o": {"x": 1, "y": "a"}}, {"o": {"x": "b", "y": "c"}}])
    assert table.column("o__x").to_pylist() == ["1", "b"]
    assert table.column("o__y").to_pylist() == ["a", "c"]


def test_mixed_list_elements_follow_dlt_wrapping() -> None:
    batches = norm().normalize([{"l": [1, {"value": "v", "k": 2}, None]}])
    child = batches[1].arrow
    assert child.column("value").to_pylist() == ["1", "v", None]
    assert child.column("k").to_pylist() == [None, 2, None]
    assert child.column("_dlt_list_idx").to_pylist() == [0, 1, 2]


def test_64_bit_ids_stay_exact() -> None:
    big = 2**63 - 1
    table = root(norm(), [{"id": big}, {"id": -(2**63)}, {"id": 9007199254740993}])
    assert table.column("id").to_pylist() == [big, -(2**63), 9007199254740993]


def test_ints_beyond_64_bits_become_exact_text() -> None:
    table = root(norm(), [{"id": 2**64 + 1}, {"id": 5}])
    assert table.column("id").to_pylist() == [str(2**64 + 1), "5"]


def test_big_int_does_not_widen_to_lossy_double() -> None:
    n = norm()
    root(n, [{"v": 0.5}])
    table = root(n, [{"v": 9007199254740993}])
    assert table.column("v").to_pylist() == ["9007199254740993"]
    assert n.schema["t"]["v"] == "text"


def test_timestamps_detected_only_when_consistent() -> None:
    n = norm()
    ts = root(n, [{"t": "2024-05-01T10:00:00.123Z"}, {"t": "2024-05-01T12:00:00+02:00"}])
    assert ts.schema.field("t").type == pa.timestamp("us", tz="UTC")
    values = [v.value for v in ts.column("t")]  # microseconds since epoch
    assert values[1] - values[0] == -123_000  # 12:00+02:00 == 10:00Z
    assert n.schema["t"]["t"] == "timestamp"
    # a later plain string widens the column to text with the original strings
    later = root(n, [{"t": "yesterday"}, {"t": "2024-05-02T10:00:00Z"}])
    assert later.column("t").to_pylist() == ["yesterday", "2024-05-02T10:00:00Z"]
    assert n.schema["t"]["t"] == "text"


def test_strings_without_zone_or_time_stay_text() -> None:
    table = root(norm(), [{"a": "2024-05-01T10:00:00", "b": "2024-05-01",
                           "c": "2024-05-01T10:00:00.1234567Z"}])
    assert [table.schema.field(c).type for c in "abc"] == [pa.string()] * 3


def test_bool_and_int_mix_is_text() -> None:
    assert root(norm(), [{"v": True}, {"v": 2}]).column("v").to_pylist() == ["true", "2"]


def test_float_then_bool_is_text_not_a_coerced_float() -> None:
    # Arrow alone reads [0.0, False] as [0.0, 0.0]; found by the property test.
    assert root(norm(), [{"v": 0.5}, {"v": False}]).column("v").to_pylist() == ["0.5", "false"]


def test_float_then_bool_nested_in_struct_and_list_is_text() -> None:
    n = norm()
    tables = {b.table: b.arrow for b in n.normalize(
        [{"s": {"x": 1.5}, "l": [0.25]}, {"s": {"x": True}, "l": [True]}])}
    assert tables["t"].column("s__x").to_pylist() == ["1.5", "true"]
    assert tables["t__l"].column("value").to_pylist() == ["0.25", "true"]


def test_widen_rules() -> None:
    assert widen(None, "bigint") == "bigint"
    assert widen("bigint", "double") == "double"
    assert widen("double", "bigint") == "double"
    assert widen("bigint", "text") == "text"
    assert widen("timestamp", "text") == "text"
    assert widen("json", "bigint") == "json"
    assert widen("json", "text") == "text"
    assert widen("bool", None) == "bool"


def test_json_column_absorbs_scalars_at_same_path() -> None:
    n = Normalizer(table_name="t", primary_key=None, load_id="L", max_nesting=0)
    table = root(n, [{"a": {"x": 1}}, {"a": 5}])
    assert table.column("a").to_pylist() == ['{"x":1}', "5"]
    assert n.schema["t"]["a"] == "json"


def test_int64_min_after_a_double_column_widens_to_text_not_crash() -> None:
    # regression (found by hypothesis): abs(-2**63) overflowed, so the value looked exact
    from restsync.normalize import Normalizer

    n = Normalizer(table_name="t", primary_key=None, load_id="1")
    n.normalize([{"a": {"b": 0.0}}])
    [batch] = n.normalize([{"a": {"b": -9223372036854775808}}])
    assert batch.arrow.column("a__b").to_pylist() == ["-9223372036854775808"]
