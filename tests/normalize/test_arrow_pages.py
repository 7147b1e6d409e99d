"""Arrow-native pages give the tables the dict path gives, or decline the batch."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restsync.errors import ConfigError, LimitExceededError
from restsync.normalize import Normalizer, TableBatch, arrow_pages
from restsync.normalize.arrow_pages import (
    FAST_PATH_MAX_DEPTH,
    PAGE_PATH_ENV,
    PageBody,
    PageReader,
    bodies_to_struct,
    page_path,
    type_depth,
)
from restsync.normalize.arrowize import RecordsType, infer_struct_type
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


def _normalizer(max_columns: int | None, max_depth: int | None = 64,
                max_nesting: int | None = None) -> Normalizer:
    return Normalizer(table_name="events", primary_key=None, load_id="L1",
                      max_nesting=max_nesting,
                      limits=ShapeLimits(max_columns=max_columns, max_depth=max_depth))


@contextmanager
def _fast_reads() -> Iterator[list[bool]]:
    """Whether each batch given with its bodies was read from them (True) or the dict path
    built it (False: declined before or by the reader)."""
    taken: list[bool] = []
    real = arrow_pages.bodies_to_struct

    def spy(pages: Sequence[PageBody], record_type: Any) -> Any:
        struct = real(pages, record_type)
        taken[-1] = struct is not None
        return struct

    def from_bodies(self: PageReader, pages: Any, arrow_type: Any) -> Any:
        taken.append(False)
        return real_from_bodies(self, pages, arrow_type)

    real_from_bodies = PageReader.from_bodies
    with mock.patch.object(arrow_pages, "bodies_to_struct", spy), \
            mock.patch.object(PageReader, "from_bodies", from_bodies):
        yield taken


def _run(batches: Sequence[Sequence[tuple[bytes, tuple[str, ...]]]], *, fast: bool,
         max_columns: int | None = 1000, max_depth: int | None = 64,
         max_nesting: int | None = None, typed: bool = False
         ) -> tuple[list[list[TableBatch]], int]:
    """Normalize batches of pages with one normalizer; returns the output and how many
    batches the fast path took. ``typed``: each batch's type is inferred beforehand and
    given to ``normalize`` (as the run does on its event loop)."""
    out: list[list[TableBatch]] = []
    with _fixed_ids(), _fast_reads() as taken:
        norm = _normalizer(max_columns, max_depth, max_nesting)
        for pages in batches:
            records = [r for body, keys in pages for r in _select(body, keys)]
            bodies = [PageBody(body, keys, len(_select(body, keys))) for body, keys in pages]
            records_type = RecordsType.of(records) if typed else None
            out.append(norm.normalize(records, pages=bodies if fast else None,
                                      records_type=records_type))
    return out, sum(taken)


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
    int64; ISO strings with and without zone) give identical tables, ids and schemas, on
    either path whether or not the batch's type was inferred beforehand."""
    batches = _batches(pages, keys, per_batch)
    dict_out, _ = _run(batches, fast=False)
    fast_out, _ = _run(batches, fast=True)
    _assert_same(dict_out, fast_out)
    _assert_same(dict_out, _run(batches, fast=False, typed=True)[0])
    _assert_same(dict_out, _run(batches, fast=True, typed=True)[0])


# Wide and deep records under small limits: maps cut by max_columns, values kept as JSON by
# max_nesting_depth and dlt's max_table_nesting, a root too wide (an error either way).
WIDE_KEYS = st.sampled_from([f"k{i}" for i in range(10)] + ["id", "a"])
WIDE_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(WIDE_KEYS, inner, max_size=7)), max_leaves=30)
WIDE_RECORD = st.dictionaries(WIDE_KEYS, WIDE_VALUES, max_size=8)
LIMITS = st.sampled_from([(1000, 64, None), (6, 2, None), (4, 1, None), (9, 3, 1),
                          (None, None, 0), (5, None, 2), (None, 2, None), (12, 4, None)])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(WIDE_RECORD, min_size=1, max_size=4), min_size=1, max_size=5),
       SELECTORS, st.integers(1, 3), LIMITS)
def test_fast_path_gives_the_dict_paths_tables_under_limits(
        pages: list[list[dict[str, Any]]], keys: tuple[str, ...], per_batch: int,
        limits: tuple[int | None, int | None, int | None]) -> None:
    """Wide, deep and conflicting pages under small limits: the same tables (or the same
    error) either way; whatever the fast path declines, the dict path builds."""
    max_columns, max_depth, max_nesting = limits
    batches = _batches(pages, keys, per_batch)
    options: dict[str, Any] = {"max_columns": max_columns, "max_depth": max_depth,
                               "max_nesting": max_nesting}
    try:
        dict_out, _ = _run(batches, fast=False, **options)
    except LimitExceededError as exc:
        with pytest.raises(LimitExceededError) as raised:
            _run(batches, fast=True, **options)
        assert str(raised.value) == str(exc)
        return
    fast_out, _ = _run(batches, fast=True, **options)
    _assert_same(dict_out, fast_out)
    _assert_same(dict_out, _run(batches, fast=False, typed=True, **options)[0])
    _assert_same(dict_out, _run(batches, fast=True, typed=True, **options)[0])


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
    (b'{"data":[{"a":1},{"a":18446744073709551616}]}', "an integer past 2**64"),
    (b'{"data":[{"a":1.5},{"a":9007199254740993}]}', "an integer past 2**53 among floats"),
    (b'{"data":[{"a":1,"a":2.5}]}', "a key twice"),
    (b'{"data":[{"a":1},null]}', "a null record"),
    (b'{"data":[{"a":[null,null]}]}', "an invalid array from the reader (list of nulls)"),
    (b'{"data":[1,2]}', "scalar records"),
    (b'{"data":[{"a":[1,{"b":2}]}]}', "objects and scalars in one list"),
])
def test_fast_path_declines_what_it_cannot_read_exactly(body: bytes, why: str) -> None:
    """Each of these batches takes the dict path, and the tables are the dict path's."""
    batches = [[(body, ("data",))]]
    dict_out, _ = _run(batches, fast=False)
    fast_out, taken = _run(batches, fast=True)
    assert taken == 0, why
    _assert_same(dict_out, fast_out)


@pytest.mark.parametrize(("body", "why"), [
    (b'{"data":{"a":1}}', "one object, not a list"),
    (b'{"other":[{"a":1}]}', "nothing at the selector"),
    (b'{"data":null}', "null at the selector"),
    (b'[{"a":1}]', "a top-level list for a keyed selector"),
    (b'{"data":[{"a":"x"}]}', "a value of another type than the records' type"),
])
def test_bodies_that_do_not_hold_the_records_are_declined(body: bytes, why: str) -> None:
    assert bodies_to_struct([PageBody(body, ("data",), 1)], A_INT) is None, why


A_INT = pa.struct([("a", pa.int64())])


def test_fast_path_declines_a_count_the_dict_path_did_not_select() -> None:
    body = b'{"data":[{"a":1},{"a":2}]}'
    assert bodies_to_struct([PageBody(body, ("data",), 2)], A_INT) is not None
    assert bodies_to_struct([PageBody(body, ("data",), 1)], A_INT) is None


def test_the_reader_builds_the_given_type_and_skips_every_other_key() -> None:
    """Fields in the records' order, absent keys null, timestamps the text sent; the envelope's
    other keys (a map of 20,000 keys, a value 2,000 levels deep) are skipped, not built."""
    deep = b'{"a": ' * 2000 + b"1" + b"}" * 2000
    wide = orjson.dumps({f"k{i}": i for i in range(20_000)})
    body = (b'{"meta": ' + wide + b', "data": [{"b": "2024-01-01", "a": 1}, {"a": 2}], '
            b'"deep": ' + deep + b"}")
    record_type = pa.struct([("b", pa.string()), ("a", pa.int64())])
    struct = bodies_to_struct([PageBody(body, ("data",), 2)], record_type)
    assert struct is not None and struct.type == record_type
    assert struct.to_pylist() == [{"b": "2024-01-01", "a": 1}, {"b": None, "a": 2}]


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of what ``pyarrow.json`` is given to read (to prove it reads nothing)."""
    sizes: list[int] = []
    real = arrow_pages.pa_json.read_json

    def spy(source: Any, **kwargs: Any) -> Any:
        sizes.append(len(source))
        return real(source, **kwargs)
    monkeypatch.setattr(arrow_pages.pa_json, "read_json", spy)
    return sizes


@pytest.mark.parametrize("spread", [True, False], ids=["over-records", "in-one-record"])
def test_too_many_distinct_keys_never_reach_the_reader(monkeypatch: pytest.MonkeyPatch,
                                                        spread: bool) -> None:
    """The hostile case of 500,000 distinct keys, scaled down: past ``max_columns`` the batch
    is declined from its type, before ``pyarrow.json`` reads a byte; the map becomes a JSON
    column as on the dict path."""
    if spread:
        records = [{"id": r, "counts": {f"k{r * 100 + i}": i for i in range(100)}}
                   for r in range(50)]
    else:
        records = [{"id": 0, "counts": {f"k{i}": i for i in range(5_000)}}]
    batches = [[(_body(records, ("data",)), ("data",))]]
    reads = _reads(monkeypatch)
    dict_out, _ = _run(batches, fast=False)
    fast_out, taken = _run(batches, fast=True)
    assert (taken, reads) == (0, [])
    _assert_same(dict_out, fast_out)
    assert [c for c in fast_out[0][0].arrow.column_names if c.startswith("counts")] == \
        ["counts"]


@pytest.mark.parametrize("max_depth", [64, None])
def test_records_nested_past_the_depth_bound_never_reach_the_reader(
        monkeypatch: pytest.MonkeyPatch, max_depth: int | None) -> None:
    """1,000 levels: declined from the type before the reader; the dict path keeps them as
    JSON past ``max_nesting_depth``, or (no limit) flattens them without recursion."""
    batches = [[(b'{"data": [{"id": 1, "tree": ' + _nested(1000) + b"}]}", ("data",))]]
    reads = _reads(monkeypatch)
    dict_out, _ = _run(batches, fast=False, max_depth=max_depth)
    fast_out, taken = _run(batches, fast=True, max_depth=max_depth)
    assert (taken, reads) == (0, [])
    _assert_same(dict_out, fast_out)
    [columns] = [[c for c in b.arrow.column_names if c.startswith("tree")] for b in fast_out[0]]
    assert columns == ["tree" + "__a" * (64 if max_depth else 1000)]


def _nested(levels: int) -> bytes:
    return b'{"a": ' * levels + b"1" + b"}" * levels


def test_records_at_the_depth_bound_are_read() -> None:
    body = b'{"data": [{"id": 1, "tree": ' + _nested(FAST_PATH_MAX_DEPTH) + b"}]}"
    assert type_depth(infer_struct_type(_select(body, ("data",)))) == FAST_PATH_MAX_DEPTH
    batches = [[(body, ("data",))]]
    dict_out, _ = _run(batches, fast=False, max_depth=None)
    fast_out, taken = _run(batches, fast=True, max_depth=None)
    assert taken == 1
    _assert_same(dict_out, fast_out)


@pytest.mark.parametrize(("record", "depth"), [
    ({"a": 1}, 0), ({"a": {}}, 1), ({"a": {"b": 1}}, 1), ({"a": [1]}, 1), ({"a": []}, 1),
    ({"a": [{"b": 1}]}, 2), ({"a": [[1]], "b": {"c": {"d": [{}]}}}, 4),
])
def test_type_depth(record: dict[str, Any], depth: int) -> None:
    assert type_depth(infer_struct_type([record])) == depth


def test_timestamps_stay_the_text_the_api_sent() -> None:
    batches = [[(b'{"data":[{"at":"2024-01-01 10:00:00"},{"at":"2024-01-01"}]}', ("data",))]]
    out, taken = _run(batches, fast=True)
    assert taken == 1
    assert out[0][0].arrow.column("at").to_pylist() == ["2024-01-01 10:00:00", "2024-01-01"]


def test_a_map_cut_by_max_columns_takes_the_dict_path() -> None:
    records = [{"id": 1, "counts": {f"k{i}": i for i in range(20)}}]
    batches = [[(_body(records, ("data",)), ("data",))]]
    assert _run(batches, fast=True, max_columns=10)[1] == 0
    assert _run(batches, fast=True, max_columns=None)[1] == 1


def test_page_path_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PAGE_PATH_ENV, raising=False)
    assert page_path() == "auto"
    monkeypatch.setenv(PAGE_PATH_ENV, "AUTO")
    assert page_path() == "auto"
    monkeypatch.setenv(PAGE_PATH_ENV, "DICT")
    assert page_path() == "dict"
    assert page_path("auto") == "auto"
    monkeypatch.setenv(PAGE_PATH_ENV, "fast")
    with pytest.raises(ConfigError, match=PAGE_PATH_ENV):
        page_path()
