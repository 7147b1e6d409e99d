"""Arrow-native pages give the tables the dict path gives, or decline the batch."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restsync.errors import ConfigError
from restsync.normalize import Normalizer, TableBatch
from restsync.normalize.arrow_pages import PAGE_PATH_ENV, PageBody, bodies_to_struct, page_path
from restsync.normalize.shape import ShapeLimits

KEYS = st.sampled_from(["id", "a", "b", "created_at", "tags", "meta"])
EDGE_INTS = st.sampled_from([0, 1, -1, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63),
                             2**63, 2**64 - 1, 2**64, -(2**63) - 1, 1_700_000_000])
INTS = st.one_of(st.integers(-1000, 1000), EDGE_INTS)
FLOATS = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64),
                   st.sampled_from([0.0, -0.0, 1.5, 1e16, 2.0**53, 1_700_000_000.5]))
TEXTS = st.one_of(st.text(max_size=6), st.sampled_from([
    "2024-01-01T10:00:00Z", "2024-01-01 10:00:00", "2024-01-01", "2024-01-01T10:00:00+02:00",
    "2024-01-01T10:00:00.123456-05:30", "2024-02-30T10:00:00Z", "10:00", "true", "12"]))
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXTS)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)), max_leaves=8)
RECORD = st.dictionaries(KEYS, VALUES, max_size=5)
PAGES = st.lists(st.lists(RECORD, min_size=1, max_size=4), min_size=1, max_size=5)
SELECTORS = st.sampled_from([(), ("data",), ("result", "items")])


def _body(records: list[Any], keys: tuple[str, ...]) -> bytes:
    """A page body holding ``records`` at ``keys`` (stdlib json: integers of any size)."""
    value: Any = records
    for key in reversed(keys):
        value = {key: value, "total": 3} if key == "data" else {key: value}
    return json.dumps(value).encode()


def _select(body: bytes, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """What the client selects: orjson's parse, then the keys."""
    value = orjson.loads(body)
    for key in keys:
        value = value[key]
    assert isinstance(value, list)
    return value


@contextmanager
def _fixed_ids() -> Iterator[None]:
    """Batch id prefixes 000000000001_, 000000000002_, ... (both paths get the same ids)."""
    counter = itertools.count(1)
    with mock.patch("restsync.normalize.flatten.secrets.token_hex",
                    side_effect=lambda n: f"{next(counter):0{2 * n}d}"):
        yield


def _normalizer(max_columns: int | None) -> Normalizer:
    return Normalizer(table_name="events", primary_key=None, load_id="L1",
                      limits=ShapeLimits(max_columns=max_columns, max_depth=64))


def _run(batches: Sequence[Sequence[tuple[bytes, tuple[str, ...]]]], *, fast: bool,
         max_columns: int | None = 1000) -> tuple[list[list[TableBatch]], int]:
    """Normalize batches of pages with one normalizer; returns the output and how many
    batches the fast path took."""
    out: list[list[TableBatch]] = []
    taken = 0
    with _fixed_ids():
        norm = _normalizer(max_columns)
        for pages in batches:
            records = [r for body, keys in pages for r in _select(body, keys)]
            result = None
            if fast:
                struct = bodies_to_struct([PageBody(body, keys, len(_select(body, keys)))
                                           for body, keys in pages])
                if struct is not None:
                    result = norm.normalize_struct(struct)
                    taken += result is not None
            out.append(result if result is not None else norm.normalize(records))
    return out, taken


def _assert_same(dict_out: list[list[TableBatch]], fast_out: list[list[TableBatch]]) -> None:
    assert len(dict_out) == len(fast_out)
    for expected, got in zip(dict_out, fast_out, strict=True):
        assert [b.table for b in got] == [b.table for b in expected]
        for a, b in zip(expected, got, strict=True):
            assert b.parent_table == a.parent_table
            assert b.arrow.schema == a.arrow.schema, (a.table, a.arrow.schema, b.arrow.schema)
            assert b.arrow.to_pylist() == a.arrow.to_pylist(), a.table
            assert b.arrow.equals(a.arrow)
            assert a.schema is not None and b.schema is not None
            assert b.schema.to_dict() == a.schema.to_dict()


def _batches(pages: list[list[dict[str, Any]]], keys: tuple[str, ...], per_batch: int
             ) -> list[list[tuple[bytes, tuple[str, ...]]]]:
    bodies = []
    for records in pages:
        body = _body(records, keys)
        try:
            _select(body, keys)
        except orjson.JSONDecodeError:
            continue  # the client would fail on this page either way
        bodies.append((body, keys))
    return [bodies[i:i + per_batch] for i in range(0, len(bodies), per_batch)]


@settings(max_examples=120, deadline=None)
@given(PAGES, SELECTORS, st.integers(1, 3))
def test_fast_path_gives_the_dict_paths_tables(pages: list[list[dict[str, Any]]],
                                               keys: tuple[str, ...], per_batch: int) -> None:
    """Generated pages (mixed types across records, pages and batches; integers at and past
    int64; ISO strings with and without zone) give identical tables, ids and schemas."""
    batches = _batches(pages, keys, per_batch)
    dict_out, _ = _run(batches, fast=False)
    fast_out, _ = _run(batches, fast=True)
    _assert_same(dict_out, fast_out)


# Records whose types the JSON reader always accepts: one type per key, no null records.
TYPED_VALUE = {
    "id": st.integers(-(2**53), 2**53), "a": st.floats(-1e15, 1e15), "b": st.booleans(),
    "created_at": st.sampled_from(["2024-01-01T10:00:00Z", "2024-01-01 10:00:00", "x"]),
    "tags": st.lists(st.text(max_size=4), max_size=3),
    "meta": st.fixed_dictionaries({}, optional={"k": st.integers(0, 9),
                                                "l": st.lists(st.fixed_dictionaries(
                                                    {"v": st.none() | st.integers(0, 9)}),
                                                    max_size=2)}),
}
TYPED_RECORD = st.fixed_dictionaries({}, optional={k: st.none() | v
                                                   for k, v in TYPED_VALUE.items()})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(TYPED_RECORD, min_size=1, max_size=5), min_size=1, max_size=6),
       SELECTORS, st.integers(1, 3))
def test_fast_path_takes_pages_the_reader_can_read(pages: list[list[dict[str, Any]]],
                                                   keys: tuple[str, ...],
                                                   per_batch: int) -> None:
    """Pages of consistent types are all read by the fast path, with the same tables."""
    batches = _batches(pages, keys, per_batch)
    dict_out, _ = _run(batches, fast=False)
    fast_out, taken = _run(batches, fast=True)
    assert taken == len(batches)
    _assert_same(dict_out, fast_out)


TRICKY_RESOURCES = {
    "integer past int64 among ints": [[{"a": 1}, {"a": 2**63}]],
    "integer past 2**64": [[{"a": 1}], [{"a": 2**64}]],
    "big integer among floats": [[{"a": 1.5}, {"a": 2**53 + 1}]],
    "ints, then floats, then a big int": [[{"a": 1}], [{"a": 2.5}], [{"a": 2**60}]],
    "float then bool across batches": [[{"a": 0.5}], [{"a": False}]],
    "timestamps with and without zone": [[{"at": "2024-01-01T10:00:00Z"}],
                                         [{"at": "2024-01-01 10:00:00"}],
                                         [{"at": "2024-01-01T11:00:00+01:00"}]],
    "epoch-named numbers": [[{"created_at": 1_700_000_000}], [{"created_at": 1.7e9}]],
    "nested lists and objects": [[{"a": {"b": [{"c": [1, 2]}, {"c": []}]}, "l": [[1], [2, 3]]}],
                                 [{"a": {"b": None}, "l": []}, {"a": None}]],
    "a key appearing later": [[{"x": 1}], [{"y": "2024-01-01T00:00:00Z", "x": None}]],
    "lists of nulls": [[{"l": [None, None]}, {"l": []}], [{"l": [None]}]],
}


@pytest.mark.parametrize("name", list(TRICKY_RESOURCES))
@pytest.mark.parametrize("per_batch", [1, 3])
def test_tricky_resources_give_identical_tables(name: str, per_batch: int) -> None:
    batches = _batches(TRICKY_RESOURCES[name], ("data",), per_batch)
    _assert_same(_run(batches, fast=False)[0], _run(batches, fast=True)[0])


def test_fields_keep_the_records_order_in_a_batch_of_megabytes() -> None:
    """A batch larger than the reader's block: new keys in later pages still come last, in
    the order the records have them, every time (ids and columns follow that order)."""
    pages = [[{"id": j, "pad": "x" * 300, f"k{i}": {"v": j, f"n{i}": [j]}}
              for j in range(1000)] for i in range(8)]
    batches = _batches(pages, ("data",), 8)
    assert sum(len(body) for body, _ in batches[0]) > 2_000_000
    dict_out, _ = _run(batches, fast=False)
    for _ in range(4):
        fast_out, taken = _run(batches, fast=True)
        assert taken == 1
        _assert_same(dict_out, fast_out)


@pytest.mark.parametrize(("body", "why"), [
    (b'{"data":[{"a":0.5},{"a":false}]}', "a float then a bool"),
    (b'{"data":[{"a":true},{"a":1}]}', "a bool then a number"),
    (b'{"data":[{"a":"x"},{"a":1}]}', "a string then a number"),
    (b'{"data":[{"a":1},{"a":9223372036854775808}]}', "an integer past int64"),
    (b'{"data":[{"a":1.5},{"a":9007199254740993}]}', "an integer past 2**53 among floats"),
    (b'{"data":[{"a":1,"a":2}]}', "a key twice"),
    (b'{"data":[{"a":1},null]}', "a null record"),
    (b'{"data":[{"a":[null,null]}]}', "an invalid array from the reader (list of nulls)"),
    (b'{"data":[1,2]}', "scalar records"),
    (b'{"data":[{"a":[1,{"b":2}]}]}', "objects and scalars in one list"),
    (b'{"data":{"a":1}}', "one object, not a list"),
    (b'{"other":[{"a":1}]}', "nothing at the selector"),
    (b'[{"a":1}]', "a top-level list for a keyed selector"),
])
def test_fast_path_declines_what_it_cannot_read_exactly(body: bytes, why: str) -> None:
    assert bodies_to_struct([PageBody(body, ("data",), 2)]) is None, why


def test_fast_path_declines_a_count_the_dict_path_did_not_select() -> None:
    body = b'{"data":[{"a":1},{"a":2}]}'
    assert bodies_to_struct([PageBody(body, ("data",), 2)]) is not None
    assert bodies_to_struct([PageBody(body, ("data",), 1)]) is None


def test_timestamps_stay_the_text_the_api_sent() -> None:
    body = b'{"data":[{"at":"2024-01-01 10:00:00"},{"at":"2024-01-01"}]}'
    struct = bodies_to_struct([PageBody(body, ("data",), 2)])
    assert struct is not None
    assert struct.field("at").to_pylist() == ["2024-01-01 10:00:00", "2024-01-01"]


def test_a_map_cut_by_max_columns_takes_the_dict_path() -> None:
    records = [{"id": 1, "counts": {f"k{i}": i for i in range(20)}}]
    struct = bodies_to_struct([PageBody(_body(records, ("data",)), ("data",), 1)])
    assert struct is not None
    assert _normalizer(max_columns=10).normalize_struct(struct) is None
    assert _normalizer(max_columns=None).normalize_struct(struct) is not None


def test_page_path_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PAGE_PATH_ENV, raising=False)
    assert page_path() == "dict"  # opt-in until it keeps the hostile-input bounds
    monkeypatch.setenv(PAGE_PATH_ENV, "AUTO")
    assert page_path() == "auto"
    monkeypatch.setenv(PAGE_PATH_ENV, "DICT")
    assert page_path() == "dict"
    assert page_path("auto") == "auto"
    monkeypatch.setenv(PAGE_PATH_ENV, "fast")
    with pytest.raises(ConfigError, match=PAGE_PATH_ENV):
        page_path()
