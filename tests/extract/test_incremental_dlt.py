"""dlt's incremental options: lag, range_start/range_end, the {incremental.*} values, convert."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.extract.incremental import IncrementalFilter
from restsync.spec.code import wrap
from restsync.spec.model import IncrementalConfig


def flt(stored: Any = None, **config: Any) -> IncrementalFilter:
    return IncrementalFilter(IncrementalConfig(cursor_path="t", **config), stored, "r")


@pytest.mark.parametrize(("stored", "lag", "start"), [
    ("2024-01-05T00:00:00Z", 3600, "2024-01-04T23:00:00Z"),   # date-time: seconds
    ("2024-01-05", 2, "2024-01-03"),                          # date: days
    (100, 7, 93),                                             # number: units
])
def test_lag_steps_the_stored_cursor_back(stored: Any, lag: float, start: Any) -> None:
    assert flt(stored, lag=lag, initial_value=stored).start == start


def test_lag_does_not_apply_to_the_initial_value() -> None:
    assert flt(None, lag=3600, initial_value="2024-01-05T00:00:00Z").start == \
        "2024-01-05T00:00:00Z"


def test_ranges() -> None:
    records = [{"t": 1}, {"t": 2}, {"t": 3}]
    assert flt(initial_value=1, end_value=3).apply(records, 1) == [{"t": 1}, {"t": 2}]
    assert flt(initial_value=1, end_value=3, range_start="open",
               range_end="closed").apply(records, 1) == [{"t": 2}, {"t": 3}]


def test_template_values_and_convert() -> None:
    plain = flt(initial_value="2024-01-02", end_value="2024-02-01", lag=5)
    assert plain.template_values() == {
        "incremental.start_value": "2024-01-02", "incremental.last_value": "2024-01-02",
        "incremental.initial_value": "2024-01-02", "incremental.end_value": "2024-02-01",
        "incremental.lag": 5, "incremental.cursor_path": "t", "incremental.row_order": None,
        "incremental.range_start": "closed", "incremental.range_end": "open",
        "incremental.on_cursor_value_missing": "raise"}
    converted = flt("2024-03-01", initial_value="2024-01-02", start_param="s",
                    convert=wrap(lambda v: v.replace("-", "")))
    assert converted.template_values()["incremental.start_value"] == "20240301"
    assert converted.template_values()["incremental.initial_value"] == "20240102"
    assert converted.template_values()["incremental.end_value"] is None
    assert converted.request_params() == {"s": "20240301"}
