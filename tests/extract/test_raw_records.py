"""A page split at its records (``split_body``), the records left unparsed (``RawRecords``)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from restsync.errors import ResponseError
from restsync.extract.raw_records import RawRecords, split_body

BODY = orjson.dumps({"meta": {"next": "/p2", "total": 3}, "data": [{"a": 1}, {"b": [2]}, 7],
                     "other": {"huge": list(range(5))}})


def test_the_envelope_holds_only_the_keys_asked_for() -> None:
    split = split_body(BODY, ["data"], frozenset({"meta"}), location="page 1")
    assert split is not None
    assert split.envelope == {"meta": {"next": "/p2", "total": 3}}
    assert len(split.records) == 3
    assert not split.records.parsed


def test_the_records_parse_as_the_whole_body_would_give_them() -> None:
    split = split_body(BODY, ["data"], frozenset(), location="page 1")
    assert split is not None
    # items that are not objects are wrapped, as every page's records are
    assert list(split.records) == [{"a": 1}, {"b": [2]}, {"value": 7}]
    assert split.records.parsed
    assert split.records[0] == {"a": 1}
    assert split.records[-2:] == [{"b": [2]}, {"value": 7}]
    assert split.records.text == orjson.dumps(orjson.loads(BODY)["data"])


def test_the_last_record_is_parsed_alone_when_asked_for() -> None:
    split = split_body(BODY, ["data"], frozenset(), location="page 1", want_last=True)
    assert split is not None
    assert split.records.last == {"value": 7}
    assert not split.records.parsed
    empty = split_body(b'{"data": []}', ["data"], frozenset(), location="p", want_last=True)
    assert empty is not None and empty.records.last is None and len(empty.records) == 0


def test_a_nested_path_is_followed() -> None:
    body = b'{"result": {"items": [{"x": 1}], "cursor": "c"}, "ok": true}'
    split = split_body(body, ["result", "items"], frozenset({"ok"}), location="p")
    assert split is not None
    assert split.envelope == {"ok": True}
    assert list(split.records) == [{"x": 1}]


@pytest.mark.parametrize(("body", "path", "wanted"), [
    (b'[{"a": 1}]', ["data"], frozenset()),  # not an object
    (b'{"data": {"a": 1}}', ["data"], frozenset()),  # not a list there
    (b'{"data": "x"}', ["data"], frozenset()),
    (b'{"items": []}', ["data"], frozenset()),  # no such key
    (b'{"data": [1, 2}', ["data"], frozenset()),  # not JSON
    (b'{"data": [], "meta": {"n": tru}}', ["data"], frozenset({"meta"})),
    (b'{"data": []} trailing', ["data"], frozenset()),
    (b'{"data": []}', ["data"], frozenset({"data"})),  # the paginator reads the records
    (b'{"data": []}', [], frozenset()),  # the whole body
    (b'{"r": {"data": []}}', ["r", "data", "x"], frozenset()),
])
def test_anything_else_is_not_split(body: bytes, path: list[str], wanted: frozenset[str]
                                    ) -> None:
    assert split_body(body, path, wanted, location="p") is None


def test_records_that_are_not_valid_json_fail_naming_the_page_when_read() -> None:
    # the split only delimits the list; invalid UTF-8 inside a string is found when parsed
    split = split_body(b'{"data": [{"a": "\xff"}]}', ["data"], frozenset(),
                       location="resource 'r', page 4")
    assert split is not None and len(split.records) == 1
    with pytest.raises(ResponseError, match="not valid JSON") as caught:
        list(split.records)
    assert "page 4" in str(caught.value)


def test_raw_records_say_what_they_are_without_their_content() -> None:
    records = RawRecords(b'[{"token": "s3cr3t"}]', 1, "p")
    assert "s3cr3t" not in repr(records)
    assert repr(records) == "RawRecords(1 records, 21 bytes)"


def test_a_split_page_is_a_sequence_of_its_records() -> None:
    records: Any = RawRecords(b'[{"a": 1}, {"a": 2}]', 2, "p")
    assert [r["a"] for r in records] == [1, 2]
    assert records.index({"a": 2}) == 1 and {"a": 1} in records
