"""Property tests: generated records round-trip, evolution sequences never fail, contracts hold."""

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restsync.errors import SchemaContractError
from restsync.load import open_destination
from restsync.normalize import Normalizer
from restsync.normalize.kinds import render_text

KEYS = st.sampled_from(["a", "b", "c", "created_at"])
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
SCALARS = st.one_of(st.none(), st.booleans(), INT64,
                    st.floats(allow_nan=False, allow_infinity=False, width=64),
                    st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)), max_leaves=6)
RECORDS = st.lists(st.dictionaries(KEYS, VALUES, max_size=4), min_size=1, max_size=6)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _same(original: Any, loaded: Any) -> bool:
    """A loaded scalar holds the original value exactly (as itself, or as its text)."""
    if original is None:
        return loaded is None
    if isinstance(loaded, str) and not isinstance(original, str):
        return loaded == render_text(original)
    if isinstance(original, bool) or isinstance(loaded, bool):
        return original is loaded
    if hasattr(loaded, "timestamp"):  # epoch-named column: an instant
        return abs(loaded.timestamp() - float(original) / (1000 if abs(original) >= 1e11
                                                          else 1)) < 1e-3
    return bool(original == loaded)


@FAST
@given(RECORDS)
def test_top_level_scalars_round_trip_through_normalize(records: list[dict[str, Any]]) -> None:
    norm = Normalizer(table_name="t", primary_key=None, load_id="L")
    batches = norm.normalize(records)
    root = batches[0].arrow.to_pylist() if batches else []
    assert len(root) == len(records)
    for record, row in zip(records, root, strict=True):
        for key, value in record.items():
            if isinstance(value, dict | list):
                continue
            column = norm.column_paths()["t"]
            name = next((n for n, p in column.items() if p == key), None)
            if value is None:
                assert name is None or row.get(name) is None
                continue
            assert name is not None
            assert _same(value, row[name]), (key, value, row[name])


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(RECORDS, min_size=2, max_size=4))
def test_evolution_sequences_never_fail_and_record_changes(tmp_path_factory: Any,
                                                           runs: list[list[dict[str, Any]]]
                                                           ) -> None:
    path: Path = tmp_path_factory.mktemp("evo") / "db.duckdb"
    dest = open_destination(f"duckdb:///{path}", "ds")
    try:
        seen_tables: set[str] = set()
        for i, records in enumerate(runs):
            load = dest.begin("t", load_id=f"L{i}", write_disposition="append",
                              primary_key=None, root_table="t")
            before = {t: set(s.columns) for t, s in load.stored_schema.items()}
            norm = Normalizer(table_name="t", primary_key=None, load_id=f"L{i}",
                              stored=load.stored_schema)
            for batch in norm.normalize(records):
                load.write(batch)
            report = load.commit(None)
            after = dest.stored_schema("t")
            for table, schema in after.items():
                if table not in before:
                    assert f"new table {table}" in report.schema_changes or table in seen_tables
                else:
                    for col in set(schema.columns) - before[table]:
                        assert any(c.startswith(f"new column {table}.{col} ")
                                   for c in report.schema_changes), (col, report.schema_changes)
                seen_tables.add(table)
            total = dest.sql(f"SELECT count(*) FROM {dest.ref('ds', 't')}")[0][0]
            assert total == sum(len(r) for r in runs[:i + 1])
    finally:
        dest.close()


@FAST
@given(RECORDS, st.sampled_from(["freeze", "discard_value", "discard_row"]))
def test_contracts_never_let_a_new_column_through(records: list[dict[str, Any]],
                                                  mode: str) -> None:
    first = Normalizer(table_name="t", primary_key=None, load_id="L")
    first.normalize([{"a": 1}])
    stored = first.table_schemas()
    norm = Normalizer(table_name="t", primary_key=None, load_id="L2", stored=stored,
                      contract={"columns": mode})
    try:
        batches = norm.normalize(records)
    except SchemaContractError as exc:
        assert mode == "freeze"
        assert exc.column is not None and exc.json_path.startswith("[")
        return
    root = [b for b in batches if b.table == "t"]
    for batch in root:
        assert set(batch.arrow.column_names) <= {"a", "_dlt_load_id", "_dlt_id"}
    kept = sum(b.arrow.num_rows for b in root)
    if mode == "discard_value":
        assert kept == len(records)
    else:
        assert kept <= len(records)


def test_round_trip_into_duckdb_keeps_big_ints_exact(tmp_path: Path) -> None:
    dest = open_destination(f"duckdb:///{tmp_path / 'x.duckdb'}", "ds")
    big = [2**63 - 1, -(2**63), 2**53 + 1]
    load = dest.begin("t", load_id="L", write_disposition="append", primary_key=None,
                      root_table="t")
    norm = Normalizer(table_name="t", primary_key=None, load_id="L")
    for batch in norm.normalize([{"id": v, "mix": v} for v in big] + [{"mix": 1.5}]):
        load.write(batch)
    load.commit(None)
    got = dest.sql(f"SELECT id, mix FROM {dest.ref('ds', 't')} ORDER BY _dlt_id")
    dest.close()
    assert [g[0] for g in got[:3]] == big
    assert [g[1] for g in got] == [str(v) for v in big] + ["1.5"]  # exact, as text
