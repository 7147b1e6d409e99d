"""Plan stage: parents, bindings, inferences, order."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.errors import SpecError
from restsync.plan import build_plan
from restsync.spec.model import SourceConfig


def source(resources: list[dict[str, Any]], params: dict[str, list[Any]] | None = None
           ) -> SourceConfig:
    return SourceConfig.model_validate({
        "name": "t",
        "client": {"base_url": "http://api.test/"},
        "resources": resources,
        "params": params or {},
    })


def res(name: str, path: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "endpoint": {"path": path, **extra.pop("endpoint", {})}, **extra}


def test_x_id_binds_to_plural_resource_id_and_is_shown() -> None:
    plan = build_plan(source([res("labels", "/labels"), res("labels_details", "/labels/{label_id}")]))
    child = plan.resources["labels_details"]
    assert child.parent == "labels"
    [b] = child.bindings
    assert (b.resource, b.field, b.how, b.column) == ("labels", "id", "inferred", "_labels_id")
    assert any("`{label_id}` bound to `labels.id`" in i.message for i in plan.inferences)
    assert plan.order == ["labels", "labels_details"]


def test_child_of_child_inherits_grandparent_binding() -> None:
    plan = build_plan(source([
        res("schedule_entries", "/v1/buckets/{project_id}/schedules/{schedule_id}/entries.json"),
        res("schedules", "/v1/projects/{project_id}.json"),
        res("projects", "/v1/projects.json"),
    ]))
    assert plan.order == ["projects", "schedules", "schedule_entries"]
    entries = plan.resources["schedule_entries"]
    assert entries.parent == "schedules"
    assert {b.resource for b in entries.bindings} == {"projects", "schedules"}
    assert plan.ancestors("schedule_entries") == ["schedules", "projects"]
    assert plan.resources["projects"].children == ["schedules"]


def test_path_prefix_rule_binds_plain_placeholder_to_field_of_same_name() -> None:
    plan = build_plan(source([res("connectors", "/v3/connectors"),
                              res("credentials", "/v3/connectors/{provider}/creds")]))
    [b] = plan.resources["credentials"].bindings
    assert (b.resource, b.field) == ("connectors", "provider")
    assert any("extends `connectors`" in i.message for i in plan.inferences)


def test_explicit_param_wins_over_inference_and_fans_out() -> None:
    plan = build_plan(source(
        [res("connectors", "/v3/connectors"), res("credentials", "/v3/connectors/{provider}/creds")],
        params={"provider": ["google", "microsoft"]},
    ))
    cred = plan.resources["credentials"]
    assert cred.parent is None
    [b] = cred.fanout_params
    assert b.values == ("google", "microsoft") and b.column == "_provider"


def test_explicit_dlt_placeholder_and_resolve_param() -> None:
    plan = build_plan(source([
        res("issues", "/issues"),
        res("comments", "/issues/{resources.issues.number}/comments"),
        res("reactions", "/reactions/{issue}",
            endpoint={"params": {"issue": {"type": "resolve", "resource": "issues",
                                           "field": "id"}}}),
    ]))
    [b] = plan.resources["comments"].bindings
    assert (b.resource, b.field, b.how) == ("issues", "number", "explicit")
    [r] = plan.resources["reactions"].bindings
    assert (r.resource, r.field, r.target) == ("issues", "id", "path")


def test_config_lookup_used_for_unbound_placeholder() -> None:
    plan = build_plan(source([res("items", "/accounts/{account}/items")]),
                      lookup=lambda name: "acme" if name == "account" else None)
    [b] = plan.resources["items"].bindings
    assert b.kind == "param" and b.values == ("acme",)


def test_unbound_placeholder_is_a_located_error_listing_known_resources() -> None:
    with pytest.raises(SpecError) as info:
        build_plan(source([res("items", "/accounts/{account}/items")]))
    [issue] = info.value.issues
    assert issue.path == "resources[items].endpoint.path"
    assert "--param account=" in issue.message


def test_unknown_explicit_parent_is_reported() -> None:
    with pytest.raises(SpecError, match="refers to resource `nope`"):
        build_plan(source([res("a", "/a/{resources.nope.id}")]))


def test_unrelated_parents_cannot_be_combined() -> None:
    with pytest.raises(SpecError, match="not on one parent chain"):
        build_plan(source([res("users", "/users"), res("teams", "/teams"),
                           res("m", "/teams/{team_id}/users/{user_id}")]))


def test_unselected_parent_is_extracted_only_to_feed_child() -> None:
    plan = build_plan(source([res("labels", "/labels"),
                              res("labels_details", "/labels/{label_id}")]),
                      selected=["labels_details"])
    assert [p.name for p in plan.to_run()] == ["labels", "labels_details"]
    assert plan.resources["labels"].load is False
    assert any("extracted only to feed" in i.message for i in plan.inferences)


def test_unknown_selected_resource() -> None:
    with pytest.raises(SpecError, match="unknown resource"):
        build_plan(source([res("a", "/a")]), selected=["b"])
