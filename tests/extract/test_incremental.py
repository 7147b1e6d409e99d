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


# --------------------------------------------------------------------------- issue 3 rules

from datetime import UTC, datetime  # noqa: E402

from restsync.extract.cursor_values import CursorCodec  # noqa: E402
from restsync.extract.incremental import PerParentIncremental, parent_key  # noqa: E402

RUN_START = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def test_boundary_records_are_kept_on_the_next_run() -> None:
    first = make(None, initial_value="2024-01-01T00:00:00Z")
    first.apply([{"updated_at": "2024-01-05T00:00:00Z", "id": 1}], page=1)
    saved = first.state_to_save(RUN_START)
    assert saved == "2024-01-05T00:00:00Z"
    second = make(saved)
    # a record sharing the boundary value (and the one seen before) comes again: merge dedups
    rows = [{"updated_at": "2024-01-05T00:00:00Z", "id": 1},
            {"updated_at": "2024-01-05T00:00:00Z", "id": 2}]
    assert second.apply(rows, page=1) == rows


def test_lookback_window_seconds_and_iso_duration() -> None:
    for lookback in (3600, "PT1H", "3600"):
        f = make("2024-01-02T10:00:00.000Z", lookback_window=lookback)
        assert f.start == "2024-01-02T09:00:00.000Z"
        assert f.apply([{"updated_at": "2024-01-02T09:30:00Z"},
                        {"updated_at": "2024-01-02T08:59:59Z"}], page=1) == \
            [{"updated_at": "2024-01-02T09:30:00Z"}]
    f = make(1704189600, lookback_window="P1D")  # epoch seconds stay epoch seconds
    assert f.start == 1704189600 - 86400
    assert make(None, initial_value="2024-01-01", lookback_window=60).start == "2024-01-01"


def test_lookback_never_moves_the_saved_state_backwards() -> None:
    f = make("2024-01-02T10:00:00Z", lookback_window="P1D")
    f.apply([{"updated_at": "2024-01-01T12:00:00Z"}], page=1)  # inside the lookback only
    assert f.state_to_save(RUN_START) == "2024-01-02T10:00:00Z"
    assert make("2024-01-02T10:00:00Z", lookback_window="P1D").state_to_save(RUN_START) == \
        "2024-01-02T10:00:00Z"


def test_lookback_on_a_plain_text_cursor_is_config_error() -> None:
    with pytest.raises(ConfigError, match="lookback_window needs a date-time"):
        make("abc", lookback_window=60)


def test_bad_lookback_is_refused_by_the_model() -> None:
    from pydantic import ValidationError
    for bad in ("P1M", "soon", -5, True):
        with pytest.raises(ValidationError):
            IncrementalConfig(cursor_path="x", lookback_window=bad)


def test_explicit_strftime_format_compares_and_pushes_down() -> None:
    f = make("2024/01/02 10:00", datetime_format="%Y/%m/%d %H:%M", start_param="since",
             end_value="2024-02-01T00:00:00Z", end_param="until")
    rows = [{"updated_at": "2024/01/02 09:59"}, {"updated_at": "2024/01/02 10:00"},
            {"updated_at": "2024/01/31 23:00"}, {"updated_at": "2024/02/01 00:00"}]
    assert f.apply(rows, page=1) == rows[1:3]
    assert f.request_params() == {"since": "2024/01/02 10:00", "until": "2024/02/01 00:00"}
    assert f.state_to_save(RUN_START) == "2024/01/31 23:00"


def test_epoch_formats() -> None:
    secs = make(1704067200, datetime_format="%s", start_param="after")
    # numbers above 1e11 are NOT taken as milliseconds when %s is explicit
    assert secs.apply([{"updated_at": "1704067199"}, {"updated_at": 1704067200}], page=1) == \
        [{"updated_at": 1704067200}]
    assert secs.request_params() == {"after": 1704067200}
    millis = make("2024-01-01T00:00:00Z", datetime_format="%ms", start_param="after")
    assert millis.request_params() == {"after": 1704067200000}
    assert millis.apply([{"updated_at": 1704067199999}, {"updated_at": 1704067200000}],
                        page=1) == [{"updated_at": 1704067200000}]


def test_datetime_format_refused_by_the_model_when_meaningless() -> None:
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="no strftime directive"):
        IncrementalConfig(cursor_path="x", datetime_format="YYYY-MM-DD")


def test_timezone_aware_comparison_with_strftime_offsets() -> None:
    f = make("2024-01-01T09:00:00Z", datetime_format="%Y-%m-%dT%H:%M:%S%z")
    rows = [{"updated_at": "2024-01-01T10:30:00+0200"},  # 08:30Z: before the start
            {"updated_at": "2024-01-01T04:30:00-0500"}]  # 09:30Z: inside
    assert f.apply(rows, page=1) == rows[1:]


def test_pushdown_without_format_keeps_the_value() -> None:
    f = make("2024-01-02T00:00:00Z", start_param="updated_since")
    assert f.request_params() == {"updated_since": "2024-01-02T00:00:00Z"}
    assert make(None, start_param="updated_since").request_params() == {}


def test_desc_feed_stop_paging() -> None:
    f = make("2024-01-02T00:00:00Z", row_order="desc")
    f.apply([{"updated_at": "2024-01-05T00:00:00Z"}, {"updated_at": "2024-01-03T00:00:00Z"}],
            page=1)
    assert not f.stop_paging
    kept = f.apply([{"updated_at": "2024-01-02T00:00:00Z"}, {"updated_at": "2024-01-01T00:00:00Z"},
                    {"updated_at": "2023-12-01T00:00:00Z"}], page=2)
    assert kept == [{"updated_at": "2024-01-02T00:00:00Z"}] and f.stop_paging
    unsorted = make("2024-01-02T00:00:00Z")
    unsorted.apply([{"updated_at": "2024-01-01T00:00:00Z"}], page=1)
    assert not unsorted.stop_paging  # no order declared: never stop early


def test_state_is_capped_at_the_run_start() -> None:
    f = make("2024-05-01T00:00:00Z")
    f.apply([{"updated_at": "2024-06-01T12:00:05.123Z"}, {"updated_at": "2024-05-20T00:00:00Z"}],
            page=1)
    assert f.last_value == "2024-06-01T12:00:05.123Z"
    assert f.state_to_save(RUN_START) == "2024-06-01T12:00:00.000Z"
    epoch = make(None, datetime_format="%s")  # declared epoch seconds: an instant, capped
    epoch.apply([{"updated_at": int(RUN_START.timestamp()) + 30}], page=1)
    assert epoch.state_to_save(RUN_START) == int(RUN_START.timestamp())
    ids = IncrementalFilter(IncrementalConfig(cursor_path="id"), 5, "r")  # plain numbers: no cap
    ids.apply([{"id": 10**12}], page=1)
    assert ids.state_to_save(RUN_START) == 10**12


def test_state_when_nothing_was_seen() -> None:
    assert make(None, initial_value="2024-01-01").state_to_save(RUN_START) is None
    assert make("2024-03-01T00:00:00Z").state_to_save(RUN_START) == "2024-03-01T00:00:00Z"


def test_missing_cursor_error_names_the_record_and_url() -> None:
    f = make(None)
    with pytest.raises(ResponseError) as info:
        f.apply([{"updated_at": "2024-01-01"}, {"id": 7, "title": "x"}], page=2,
                url="https://h/v1/todos?page=2")
    text = str(info.value)
    assert "page 2, record 1 (https://h/v1/todos?page=2)" in text and "id, title" in text


def test_per_parent_state() -> None:
    key_a, key_b = parent_key({"project_id": 1}), parent_key({"project_id": 2})
    assert parent_key({"b": 1, "a": 2}) == parent_key({"a": 2, "b": 1})
    stored = {key_a: "2024-01-10T00:00:00Z", parent_key({"project_id": 3}): "2024-01-01T00:00:00Z"}
    per = PerParentIncremental(IncrementalConfig(cursor_path="updated_at"), stored, "entries")
    a, b = per.filter_for(key_a), per.filter_for(key_b)
    assert per.filter_for(key_a) is a
    assert a.apply([{"updated_at": "2024-01-05T00:00:00Z"}], page=1) == []  # A's own window
    assert b.apply([{"updated_at": "2024-01-05T00:00:00Z"}], page=1) != []  # B: first time
    state = per.state_to_save(RUN_START)
    assert state == {key_a: "2024-01-10T00:00:00Z", key_b: "2024-01-05T00:00:00Z",
                     parent_key({"project_id": 3}): "2024-01-01T00:00:00Z"}


def test_codec_writes_like_the_cursor() -> None:
    codec = CursorCodec()
    when = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert codec.write(when, like="2024-01-01T00:00:00Z") == "2024-01-02T03:04:05Z"
    assert codec.write(when, like="2024-01-01T00:00:00.000Z") == "2024-01-02T03:04:05.678Z"
    assert codec.write(when, like=1_700_000_000_000) == 1704164645678
    assert codec.write(when, like=1_700_000_000) == 1704164645
