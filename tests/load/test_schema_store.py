"""Stored, versioned schemas: changes per load, comments, same transaction as the data."""

from restsync.load import Destination
from restsync.load.schema_diff import SchemaChange, diff_tables, kind_of_sql_type
from restsync.normalize import Normalizer, TableSchema
from restsync.normalize.schema import ColumnSchema

from .conftest import DATASET, rows


def load_pages(dest: Destination, pages: list[list[dict]], load_id: str, **kw: object):
    load = dest.begin("events", load_id=load_id, write_disposition="append",
                      primary_key=["id"], root_table="events")
    norm = Normalizer(table_name="events", primary_key=["id"], load_id=load_id,
                      stored=load.stored_schema, **kw)  # type: ignore[arg-type]
    for page in pages:
        for batch in norm.normalize(page):
            load.write(batch)
    return load, load.commit(None)


def test_each_load_records_new_tables_columns_and_widened_types(dest: Destination) -> None:
    _, first = load_pages(dest, [[{"id": 1, "v": 1, "tags": ["a"]}]], "L1")
    assert first.schema_changes == ["new table events", "new table events__tags"]
    assert first.schema_versions == {"events": 1, "events__tags": 1}
    _, second = load_pages(dest, [[{"id": 2, "v": 2.5, "delivery-status": {"code": 250}}]], "L2")
    assert second.schema_changes == [
        "events.v: bigint -> double",
        "new column events.delivery_status__code (bigint, from `delivery-status.code`)"]
    _, third = load_pages(dest, [[{"id": 3, "v": 3}]], "L3")
    assert third.schema_changes == [] and third.schema_versions == {"events": 2}
    history = dest.schema_store.history("events")
    assert [(h["load_id"], h["version"], h["change"], h["column"]) for h in history] == [
        ("L1", 1, "new_table", None), ("L2", 2, "type_changed", "v"),
        ("L2", 2, "new_column", "delivery_status__code")]
    stored = dest.stored_schema("events")["events"]
    assert stored.version == 2
    assert stored.columns["delivery_status__code"].json_path == ("delivery-status", "code")
    assert stored.columns["id"].primary_key
    assert dest.stored_schema("events")["events__tags"].parent == "events"


def test_descriptions_become_column_comments(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1, "client-info": {"os": "x"}, "ip": "1.2.3.4"}]], "L1",
               columns={"ip": {"description": "IP address of the recipient."},
                        "id": {"description": "It's the id"}})
    got = dict(rows(dest, "SELECT column_name, comment FROM duckdb_columns() "
                          f"WHERE schema_name = '{DATASET}' AND table_name = 'events'"))
    assert got["ip"] == "IP address of the recipient."
    assert got["id"] == "It's the id"
    assert got["client_info__os"] is None


def test_aborted_load_stores_no_schema(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1}]], "L1")
    load = dest.begin("events", load_id="L2", write_disposition="append", primary_key=["id"],
                      root_table="events")
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L2",
                      stored=load.stored_schema)
    for batch in norm.normalize([{"id": 2, "new": 1}]):
        load.write(batch)
    load.abort()
    assert "new" not in dest.stored_schema("events")["events"].columns
    assert [h["load_id"] for h in dest.schema_store.history()] == ["L1"]


def test_tables_loaded_before_schemas_were_stored_are_described(dest: Destination) -> None:
    dest.sql(f"CREATE SCHEMA {dest.ref(DATASET)}")
    dest.sql(f"CREATE TABLE {dest.ref(DATASET, 'events')} (id BIGINT, v DOUBLE, "
             "_dlt_load_id VARCHAR, _dlt_id VARCHAR)")
    stored = dest.stored_schema("events")["events"]
    assert (stored.version, stored.columns["v"].data_type) == (0, "double")
    _, report = load_pages(dest, [[{"id": 1, "v": 1, "w": True}]], "L1")
    assert report.schema_changes == ["new column events.w (bool, from `w`)"]


def test_diff_tables_and_sql_kinds() -> None:
    old = TableSchema("t", columns={"a": ColumnSchema("a", "bigint", ("a",))}, version=1)
    new = TableSchema("t", columns={"a": ColumnSchema("a", "text", ("a",)),
                                    "b": ColumnSchema("b", "timestamp", ("b",),
                                                      timestamp_unit="s")})
    assert diff_tables(old, new) == [
        SchemaChange("t", "type_changed", "a", "bigint", "text", "a"),
        SchemaChange("t", "new_column", "b", None, "timestamp (epoch s)", "b")]
    assert diff_tables(None, new) == [SchemaChange("t", "new_table")]
    assert kind_of_sql_type("DECIMAL(12,2)") == ("decimal", 12, 2)
    assert kind_of_sql_type("TIMESTAMP WITH TIME ZONE")[0] == "timestamp"


def test_reserved_words_and_odd_names_are_quoted(dest: Destination) -> None:
    _, report = load_pages(dest, [[{"id": 1, "select": 1, "order": "x", "from ": True}]], "L1")
    got = rows(dest, 'SELECT "select", "order", "from" FROM DS.events')
    assert got == [(1, "x", True)]
    stored = dest.stored_schema("events")["events"]
    assert stored.columns["from"].json_path == ("from ",)
    assert report.schema_changes == ["new table events"]
