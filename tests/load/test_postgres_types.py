"""PostgreSQL types: Arrow -> COPY encoding, widening rules, identifiers (real server)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from restsync.load import Destination, open_destination
from restsync.load.postgres.types import (
    MAX_IDENTIFIER_BYTES,
    cast_expr,
    pg_identifier,
    widen_pg_type,
)
from restsync.normalize import Normalizer, TableBatch

from .conftest import DATASET, rows, run_load


@pytest.fixture
def dest(pg_database_url: str) -> Iterator[Destination]:
    d = open_destination(pg_database_url, DATASET)
    yield d
    d.close()


def test_text_values_survive_copy_exactly(dest: Destination) -> None:
    texts = ["", "plain", "comma, \"quote\"", "line\nbreak\r\nx", "back\\slash\\N",
             "tab\there", "ünïcödé ✓ 𝄞", "NULL", "\\."]
    run_load(dest, "events", [[{"id": i, "s": s} for i, s in enumerate(texts)] +
                              [{"id": 99, "s": None}]])
    got = dict(rows(dest, "SELECT id, s FROM DS.events"))
    assert [got[i] for i in range(len(texts))] == texts
    assert got[99] is None


def test_doubles_round_trip_exactly_including_special_values(dest: Destination) -> None:
    values = [0.1 + 0.2, 1e-300, 5e-324, -1.7976931348623157e308, 123456789.123456789, -0.0,
              float("inf"), float("-inf"), float("nan")]
    run_load(dest, "events", [[{"id": i, "f": v} for i, v in enumerate(values)]])
    got = [r[0] for r in rows(dest, "SELECT f FROM DS.events ORDER BY id")]
    assert got[:-1] == values[:-1] and math.isnan(got[-1])


def test_type_rules() -> None:
    assert widen_pg_type("bigint", "double precision") == "double precision"
    assert widen_pg_type("double precision", "bigint") == "double precision"
    assert widen_pg_type("bigint", "text") == "text"
    assert widen_pg_type("jsonb", "bigint") == "jsonb"
    assert widen_pg_type("jsonb", "text") == "text"
    assert widen_pg_type("boolean", "timestamp with time zone") == "text"
    assert widen_pg_type("integer", "text") == "integer"  # a hand-altered column stays
    assert cast_expr('"v"', "bigint", "jsonb") == 'to_jsonb("v")'
    assert pg_identifier("short") == "short"
    long_a, long_b = "t" * 80 + "a", "t" * 80 + "b"
    assert pg_identifier(long_a) != pg_identifier(long_b)
    assert len(pg_identifier("é" * 40).encode()) <= MAX_IDENTIFIER_BYTES


def test_declared_date_and_decimal_columns_keep_their_types(dest: Destination) -> None:
    arrow = pa.table({"id": pa.array([1, 2], pa.int64()),
                      "day": pa.array([dt.date(2024, 5, 1), None], pa.date32()),
                      "amount": pa.array([Decimal("12.345"), Decimal("-0.5")],
                                         pa.decimal128(12, 3))})
    load = dest.begin("prices", load_id="L1", write_disposition="append", primary_key=None,
                      root_table="prices")
    load.write(TableBatch(table="prices", parent_table=None, arrow=arrow))
    load.commit(None)
    assert dest.sql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'data.prices'::regclass AND attname IN ('day', 'amount') "
                    "ORDER BY attname") == [("numeric(12,3)",), ("date",)]
    assert rows(dest, "SELECT day, amount FROM DS.prices ORDER BY id") == [
        (dt.date(2024, 5, 1), Decimal("12.345")), (None, Decimal("-0.500"))]
    run_load(dest, "prices", [[{"id": 3, "day": "someday"}]], disposition="append",
             load_id="L2")
    assert rows(dest, "SELECT day FROM DS.prices ORDER BY id") == [
        ("2024-05-01",), (None,), ("someday",)]


NUL_RECORDS = [
    {"id": 1, "s": "a\x00b", "tags": ["x\x00", "y"], "payload": {"k\x00": "v\x00", "n": 1}},
    {"id": 2, "s": "clean", "tags": [], "payload": {"k": "\\u0000 stays as text"}},
]


def _nul_load(dest: Destination) -> list[str]:
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L1",
                      json_columns=["payload"])
    load = dest.begin("events", load_id="L1", write_disposition="append", primary_key=["id"],
                      root_table="events")
    for batch in norm.normalize([dict(r) for r in NUL_RECORDS]):
        load.write(batch)
    return load.commit({"cursor": "c\x00"}).notes


def test_nul_characters_are_removed_from_text_and_json_with_a_note(dest: Destination) -> None:
    notes = _nul_load(dest)
    got = {i: (text, json.loads(payload)) for i, text, payload in
           rows(dest, "SELECT id, s, payload::text FROM DS.events")}
    # the normalizer gives both rows every key of the JSON column; "k\x00" and "k" become
    # one key "k", where a value wins over a null
    assert got == {1: ("ab", {"k": "v", "n": 1}),
                   2: ("clean", {"k": "\\u0000 stays as text", "n": None})}
    assert rows(dest, "SELECT value FROM DS.events__tags ORDER BY value") == [("x",), ("y",)]
    assert any("4 text value(s) held NUL characters" in n for n in notes), notes
    assert dest.get_state("events") == {"cursor": "c"}
    assert "payload" in dest.stored_schema("events")["events"].columns


def test_duckdb_keeps_nul_characters(tmp_path: Any) -> None:
    duck = open_destination(f"duckdb:///{tmp_path / 'nul.duckdb'}", DATASET)
    try:
        notes = _nul_load(duck)
        assert rows(duck, "SELECT s FROM DS.events ORDER BY id") == [("a\x00b",), ("clean",)]
        assert not any("NUL" in n for n in notes)
        assert duck.get_state("events") == {"cursor": "c\x00"}
    finally:
        duck.close()
