"""Incremental filter: window boundaries, ISO vs epoch, missing cursors."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import ConfigError, ResponseError
from restsync.extract.incremental import IncrementalFilter, cursor_key
from restsync.spec.model import IncrementalConfig


def make(start: Any = None, **config: Any) -> IncrementalFilter:
    return IncrementalFilter(IncrementalConfig(cursor_path="updated_at", **config), start, "todos")


def test_start_is_inclusive_and_stored_value_wins() -> None:
    f = make("2024-01-02T00:00:00Z", initial_value="2020-01-01T00:00:00Z")
    rows = [{"updated_at": "2024-01-01T23:59:59.999Z"}, {"updated_at": "2024-01-02T00:00:00.000Z"},
            {"updated_at": "2024-01-03T10:00:00+02:00"}]
    assert f.apply(rows, page=1) == rows[1:]
    assert f.last_value == "2024-01-03T10:00:00+02:00"


def test_initial_value_used_without_stored_value_and_end_exclusive() -> None:
    f = make(None, initial_value="2024-01-01", end_value="2024-02-01T00:00:00Z")
    rows = [{"updated_at": "2023-12-31T23:00:00Z"}, {"updated_at": "2024-01-15T00:00:00Z"},
            {"updated_at": "2024-02-01T00:00:00Z"}]
    assert f.apply(rows, page=1) == [rows[1]]


def test_offsets_compared_as_instants() -> None:
    # 10:00+02:00 is 08:00Z: below a 09:00Z start
    f = make("2024-01-01T09:00:00Z")
    assert f.apply([{"updated_at": "2024-01-01T10:00:00+02:00"}], page=1) == []


def test_epoch_seconds_and_milliseconds_against_iso_start() -> None:
    f = make("2024-01-01T00:00:00Z")
    start = 1704067200  # 2024-01-01T00:00:00Z
    rows = [{"updated_at": start - 1}, {"updated_at": start}, {"updated_at": start * 1000 + 1},
            {"updated_at": (start - 1) * 1000}]
    assert f.apply(rows, page=1) == [rows[1], rows[2]]
    assert f.last_value == start * 1000 + 1  # original representation kept


def test_iso_records_against_epoch_start() -> None:
    f = make(1704067200)
    assert f.apply([{"updated_at": "2023-12-31T23:59:59Z"}, {"updated_at": "2024-01-01T00:00:01Z"}],
                   page=1) == [{"updated_at": "2024-01-01T00:00:01Z"}]


def test_last_value_tracks_highest_over_pages() -> None:
    f = make(None)
    f.apply([{"updated_at": "2024-03-01T00:00:00Z"}, {"updated_at": "2024-01-01T00:00:00Z"}], page=1)
    f.apply([{"updated_at": "2024-02-01T00:00:00Z"}], page=2)
    assert f.last_value == "2024-03-01T00:00:00Z"


def test_missing_cursor_policies() -> None:
    rows = [{"updated_at": "2024-01-01T00:00:00Z"}, {"id": 2}, {"updated_at": None}]
    with pytest.raises(ResponseError, match=r"resource 'todos', page 3, record 1"):
        make(None).apply(rows, page=3)
    assert make(None, on_cursor_value_missing="include").apply(rows, page=1) == rows
    assert make(None, on_cursor_value_missing="exclude").apply(rows, page=1) == rows[:1]


def test_nested_cursor_path() -> None:
    f = IncrementalFilter(IncrementalConfig(cursor_path="meta.ts", initial_value=5), None, "r")
    assert f.apply([{"meta": {"ts": 4}}, {"meta": {"ts": 6}}], page=1) == [{"meta": {"ts": 6}}]


def test_incomparable_cursor_is_response_error() -> None:
    with pytest.raises(ResponseError, match="cannot be compared"):
        make("2024-01-01T00:00:00Z").apply([{"updated_at": "yesterday"}], page=1)


def test_desc_order_reports_reaching_start() -> None:
    f = make("2024-01-02T00:00:00Z", row_order="desc")
    f.apply([{"updated_at": "2024-01-05T00:00:00Z"}], page=1)
    assert not f.reached_start
    f.apply([{"updated_at": "2024-01-01T00:00:00Z"}], page=2)
    assert f.reached_start


def test_unusable_initial_value_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"resources\[todos\].endpoint.incremental"):
        make(None, initial_value=[1])


def test_cursor_key_kinds() -> None:
    assert cursor_key("2024-01-01T00:00:00Z") == cursor_key("2024-01-01T01:00:00+01:00")
    assert cursor_key("abc").kind == 2 and cursor_key(3).kind == 0
