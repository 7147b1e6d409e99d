"""dlt's primary_key / merge_key (resource level and column hints) and merge strategies, as
the spec stage resolves them (restsync.spec.merge_hints)."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.spec import ValueResolver, load_spec
from restsync.spec.model import ResourceConfig, SourceConfig

NO_VALUES = ValueResolver.from_values()


def resource(**hints: Any) -> tuple[ResourceConfig, dict[str, str]]:
    """The normalized resource ``posts`` with ``hints``, and its inferences by path (several
    at one path joined with `` | ``)."""
    config: SourceConfig = load_spec(
        {"client": {"base_url": "https://api.example.com"},
         "resources": [{"name": "posts", **hints}]}, values=NO_VALUES)
    [out] = config.resources
    said: dict[str, str] = {}
    for i in config.inferences:
        said[i.path] = f"{said[i.path]} | {i.message}" if i.path in said else i.message
    return out, said


def test_merge_key_string_becomes_a_list_and_the_check_says_what_it_replaces() -> None:
    out, said = resource(write_disposition="merge", primary_key="id", merge_key="day")
    assert (out.primary_key, out.merge_key, out.merge_strategy) == ("id", ["day"],
                                                                   "delete-insert")
    assert said["resources[posts].merge_key"] == (
        "merge (delete-insert): stored rows that share `id` with a loaded row or share `day` "
        "with a loaded row are replaced, with their child rows")


def test_merge_key_alone_says_rows_are_not_deduplicated() -> None:
    out, said = resource(write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                         merge_key=["day", "region"])
    assert out.merge_key == ["day", "region"] and out.primary_key is None
    assert "not deduplicated" in said["resources[posts].merge_key"]


def test_column_hints_give_the_keys_when_the_resource_has_none() -> None:
    out, said = resource(write_disposition="merge", columns={
        "id": {"primary_key": True}, "day": {"merge_key": True, "data_type": "date"},
        "region": {"merge_key": True}})
    assert out.primary_key == "id" and out.merge_key == ["day", "region"]
    assert out.columns["day"].merge_key and out.columns["day"].data_type == "date"
    assert "taken from the column hints" in said["resources[posts].primary_key"]
    assert "taken from the column hints" in said["resources[posts].merge_key"]


def test_the_resource_key_replaces_the_column_hints() -> None:
    """dlt: the table-level key wins; the column hints follow it."""
    out, said = resource(write_disposition="merge", merge_key="day",
                         columns={"month": {"merge_key": True}, "day": {"data_type": "text"}})
    assert out.merge_key == ["day"]
    assert not out.columns["month"].merge_key and out.columns["day"].merge_key
    assert "replaces the column hints" in said["resources[posts].columns.month.merge_key"]


def test_upsert_ignores_the_merge_key_as_dlt_does() -> None:
    out, said = resource(write_disposition={"disposition": "merge", "strategy": "upsert"},
                         primary_key="id", merge_key="day")
    assert out.merge_strategy == "upsert" and out.merge_key is None
    assert "ignored by the upsert strategy" in said["resources[posts].merge_key"]


@pytest.mark.parametrize("disposition", ["append", "replace"])
def test_merge_key_has_no_effect_without_merge(disposition: str) -> None:
    out, said = resource(write_disposition=disposition, merge_key="day")
    assert out.merge_key is None
    assert f"no effect with write_disposition {disposition}" in said[
        "resources[posts].merge_key"]


@pytest.mark.parametrize("empty", ["", []])
def test_an_empty_key_is_no_key(empty: Any) -> None:
    out, _ = resource(write_disposition="merge", merge_key=empty, primary_key=empty)
    assert out.merge_key is None and out.primary_key is None


def test_merge_key_from_resource_defaults() -> None:
    config = load_spec({"client": {"base_url": "https://api.example.com"},
                        "resource_defaults": {"write_disposition": "merge", "merge_key": "day"},
                        "resources": ["posts", {"name": "users", "merge_key": "week"}]},
                       values=NO_VALUES)
    assert [r.merge_key for r in config.resources] == [["day"], ["week"]]
