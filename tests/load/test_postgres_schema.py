"""Stored, versioned schemas and column comments on a real PostgreSQL 15 server.

The destination-neutral cases of the DuckDB schema tests are imported and collected again
here, where ``dest`` is a PostgreSQL destination; the rest read PostgreSQL's own catalog.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from restsync.errors import DestinationError
from restsync.load import Destination, open_destination
from restsync.load.postgres.types import pg_identifier
from restsync.load.sql.schema_store import CHANGES_TABLE, SCHEMA_TABLE
from restsync.normalize import Normalizer

from .conftest import DATASET, rows
from .test_schema_store import (  # noqa: F401  (collected again with the PostgreSQL `dest`)
    load_pages,
    test_aborted_load_stores_no_schema,
    test_each_load_records_new_tables_columns_and_widened_types,
    test_reserved_words_and_odd_names_are_quoted,
)


@pytest.fixture
def dest(pg_database_url: str) -> Iterator[Destination]:
    d = open_destination(pg_database_url, DATASET)
    yield d
    d.close()


def column_comments(dest: Destination, table: str) -> dict[str, str | None]:
    got = dest.sql("SELECT a.attname, col_description(a.attrelid, a.attnum) "
                   "FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) "
                   "AND a.attnum > 0 AND NOT a.attisdropped", [dest.ref(DATASET, table)])
    return {name: text for name, text in got}


def test_versions_and_changes_are_stored_as_jsonb_rows(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1, "v": 1}]], "L1")
    _, second = load_pages(dest, [[{"id": 2, "v": "x", "w": True}]], "L2")
    assert second.schema_changes == ["events.v: bigint -> text",
                                     "new column events.w (bool, from `w`)"]
    assert second.schema_versions == {"events": 2}
    types = dict(rows(dest, "SELECT column_name, data_type FROM information_schema.columns "
                            f"WHERE table_schema = '{DATASET}' AND table_name = '{SCHEMA_TABLE}'"))
    assert types["schema"] == "jsonb"
    stored = rows(dest, "SELECT version, load_id, jsonb_path_query_first(schema, "
                        "'$.columns[*] ? (@.name == \"v\").data_type') #>> '{}' "
                        f"FROM DS.{SCHEMA_TABLE} WHERE table_name = 'events' ORDER BY version")
    assert stored == [(1, "L1", "bigint"), (2, "L2", "text")]
    changes = rows(dest, f"SELECT load_id, version, change, column_name, old_type, new_type "
                         f"FROM DS.{CHANGES_TABLE} ORDER BY version, change")
    assert changes == [("L1", 1, "new_table", None, None, None),
                       ("L2", 2, "new_column", "w", None, "bool"),
                       ("L2", 2, "type_changed", "v", "bigint", "text")]


def test_stored_versions_survive_reopen_and_feed_the_next_load(pg_database_url: str) -> None:
    first = open_destination(pg_database_url, DATASET)
    load_pages(first, [[{"id": 1, "v": 1.5}]], "L1")
    first.close()
    again = open_destination(pg_database_url, DATASET)
    try:
        load = again.begin("events", load_id="L2", write_disposition="append",
                           primary_key=["id"], root_table="events")
        assert load.stored_schema["events"].version == 1
        assert load.stored_schema["events"].columns["v"].data_type == "double"
        load.abort()
        _, report = load_pages(again, [[{"id": 2, "v": 2.5}]], "L2")
        assert report.schema_changes == [] and report.schema_versions == {"events": 1}
    finally:
        again.close()


def test_descriptions_of_declared_columns_become_comments(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1, "client-info": {"os": "x"}, "ip": "1.2.3.4", "n": 7}]], "L1",
               columns={"ip": {"description": "IP address of the recipient."},
                        "id": {"description": "It's the id; 100% unique \\o/"}})
    got = column_comments(dest, "events")
    assert got["ip"] == "IP address of the recipient."
    assert got["id"] == "It's the id; 100% unique \\o/"
    assert got["client_info__os"] is None and got["n"] is None
    stored = dest.stored_schema("events")["events"]
    assert stored.columns["ip"].description == "IP address of the recipient."
    assert stored.columns["client_info__os"].description is None


def test_changed_description_updates_comment_and_is_recorded(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1, "ip": "a"}]], "L1", columns={"ip": {"description": "old"}})
    _, report = load_pages(dest, [[{"id": 2, "ip": "b"}]], "L2",
                           columns={"ip": {"description": "new"}})
    assert report.schema_changes == ["events.ip: description changed"]
    assert column_comments(dest, "events")["ip"] == "new"
    assert dest.stored_schema("events")["events"].version == 2


def test_declared_decimal_keeps_its_precision_in_the_stored_schema(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1, "amount": "12.50"}]], "L1",
               columns={"amount": {"data_type": "decimal", "precision": 12, "scale": 2}})
    col = dest.stored_schema("events")["events"].columns["amount"]
    assert (col.data_type, col.precision, col.scale) == ("decimal", 12, 2)


def test_failed_commit_stores_no_schema_version(dest: Destination) -> None:
    load_pages(dest, [[{"id": 1}]], "L1")
    load = dest.begin("events", load_id="L2", write_disposition="merge", primary_key=["id"],
                      root_table="events")
    norm = Normalizer(table_name="events", primary_key=["id"], load_id="L2",
                      stored=load.stored_schema)
    for batch in norm.normalize([{"id": 2, "extra": 1}, {"extra": 2}]):  # one lacks the key
        load.write(batch)
    with pytest.raises(DestinationError, match="primary key"):
        load.commit(None)
    assert rows(dest, f"SELECT table_name, version FROM DS.{SCHEMA_TABLE}") == [("events", 1)]
    assert [h["load_id"] for h in dest.schema_store.history()] == ["L1"]
    assert "extra" not in dest.stored_schema("events")["events"].columns


def test_tables_loaded_before_schemas_were_stored_are_described(dest: Destination) -> None:
    dest.sql(f"CREATE SCHEMA {dest.ref(DATASET)}")
    dest.sql(f"CREATE TABLE {dest.ref(DATASET, 'events')} (id bigint, v double precision, "
             "amount numeric(10,3), _dlt_load_id text, _dlt_id text)")
    stored = dest.stored_schema("events")["events"]
    assert (stored.version, stored.columns["v"].data_type) == (0, "double")
    assert (stored.columns["amount"].precision, stored.columns["amount"].scale) == (10, 3)
    _, report = load_pages(dest, [[{"id": 1, "v": 1, "w": True}]], "L1")
    assert report.schema_changes == ["new column events.w (bool, from `w`)"]
    assert report.schema_versions == {"events": 1}


def test_long_column_names_keep_their_json_path(dest: Destination) -> None:
    key = "k" * 70
    load_pages(dest, [[{"id": 1, key: 5}]], "L1")
    col = dest.stored_schema("events")["events"].columns[pg_identifier(key)]
    assert col.json_path == (key,) and col.data_type == "bigint"
