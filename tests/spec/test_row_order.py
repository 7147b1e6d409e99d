"""Row order inferred from sort params; incremental_sync keys; rate_limit in the spec."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.spec import load_spec
from restsync.spec.row_order import infer_row_order


@pytest.mark.parametrize(("params", "order"), [
    ({"sort": "updated_at", "direction": "desc"}, "desc"),
    ({"sort": "updated_at", "direction": "ASC"}, "asc"),
    ({"order_by": "updated_at", "sort": "desc"}, "desc"),
    ({"sortBy": "updated_at", "sortOrder": "descending"}, "desc"),
    ({"sort": "-updated_at"}, "desc"),
    ({"ordering": "+updated_at"}, "asc"),
    ({"sort": "updated_at desc"}, "desc"),
    ({"sort": "updated_at:asc"}, "asc"),
    ({"sort": "created_at", "direction": "desc"}, None),  # another field
    ({"sort": "updated_at"}, None),  # no direction
    ({"direction": "desc"}, None),  # no field
    ({"sort": "updated_at", "direction": "sideways"}, None),
    ({}, None),
])
def test_infer_row_order(params: dict[str, Any], order: str | None) -> None:
    found = infer_row_order(params, "updated_at")
    assert (found[0] if found else None) == order


def test_nested_cursor_path_uses_its_last_segment() -> None:
    assert infer_row_order({"sort": "-updated_at"}, "meta.updated_at") is not None


def one(endpoint: dict[str, Any], **resource: Any) -> dict[str, Any]:
    return {"client": {"base_url": "https://x"},
            "resources": [{"name": "r", "endpoint": {"path": "/r", **endpoint}, **resource}]}


def test_spec_records_and_applies_the_inferred_order() -> None:
    config = load_spec(one({"params": {"sort": "updated_at", "direction": "desc"},
                            "incremental": {"cursor_path": "updated_at",
                                            "initial_value": "2024-01-01"}}))
    inc = config.resource("r").endpoint.incremental
    assert inc is not None and inc.row_order == "desc"
    messages = {i.path: i.message for i in config.inferences}
    assert "sort=updated_at&direction=desc" in messages["resources[r].endpoint.incremental.row_order"]
    explicit = load_spec(one({"params": {"sort": "-updated_at"},
                              "incremental": {"cursor_path": "updated_at", "row_order": "asc"}}))
    assert explicit.resource("r").endpoint.incremental.row_order == "asc"  # type: ignore[union-attr]


def test_incremental_sync_accepts_end_lookback_format_and_order() -> None:
    config = load_spec(one({}, incremental_sync={
        "cursor_field": "updated_at", "start_datetime": "2024-01-01T00:00:00Z",
        "end_datetime": "2024-06-01T00:00:00Z", "lookback_window": "PT2H",
        "datetime_format": "%Y-%m-%dT%H:%M:%S%z", "row_order": "desc"}))
    inc = config.resource("r").endpoint.incremental
    assert inc is not None
    assert (inc.initial_value, inc.end_value) == ("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z")
    assert (inc.lookback_window, inc.datetime_format, inc.row_order) == \
        (7200.0, "%Y-%m-%dT%H:%M:%S%z", "desc")


def test_dlt_incremental_accepts_lookback_and_format() -> None:
    config = load_spec(one({"params": {"since": {
        "type": "incremental", "cursor_path": "ts", "initial_value": 0,
        "lookback_window": 60, "datetime_format": "%s"}}}))
    inc = config.resource("r").endpoint.incremental
    assert inc is not None and (inc.start_param, inc.lookback_window, inc.datetime_format) == \
        ("since", 60.0, "%s")


def test_client_rate_limit_and_adaptive_concurrency() -> None:
    spec = one({})
    spec["client"].update({"rate_limit": {"requests": 100, "per_seconds": 60},
                           "adaptive_concurrency": False})
    config = load_spec(spec)
    assert config.client.rate_limit is not None
    assert config.client.rate_limit.rate == pytest.approx(100 / 60)
    assert config.client.adaptive_concurrency is False
