"""Compiling manifests: what is refused, where, and what runs instead."""

from __future__ import annotations

from restsync.spec.airbyte import compile_manifest
from tests.airbyte.construct_cases import GRANTS, PARENT, router_over
from tests.airbyte.construct_support import manifest_of, stream


def test_product_of_unrelated_parent_routers_is_refused_with_its_path() -> None:
    child = stream("children", "/c", retriever={"partition_router": [
        router_over(GRANTS, "grant_id"), router_over(PARENT, "pid")]})
    source, refusals, problems = compile_manifest(
        manifest_of([GRANTS, PARENT, child]), config={"base": "http://127.0.0.1:9"})
    assert problems == []
    assert source is None  # a stream to run is refused
    [refusal] = refusals
    assert refusal.stream == "children"
    assert refusal.where == "streams[2].retriever"
    assert "one parent stream is a child of every other" in refusal.message
    assert "grants, parents" in refusal.message
    source, _, _ = compile_manifest(manifest_of([GRANTS, PARENT, child]),
                                    config={"base": "http://127.0.0.1:9"},
                                    streams=["grants", "parents"])
    assert source is not None
    assert [r.name for r in source.resources] == ["grants", "parents"]


def test_refused_parent_refuses_its_children() -> None:
    custom_parent = {**PARENT, "retriever": {**PARENT["retriever"], "paginator": {
        "type": "DefaultPaginator", "pagination_strategy": {
            "type": "CustomPaginationStrategy", "class_name": "x.Y"}}}}
    child = stream("children", "/p/{{ stream_partition.pid }}",
                   retriever={"partition_router": router_over(custom_parent, "pid")})
    _, refusals, _ = compile_manifest(manifest_of([custom_parent, child]),
                                      config={"base": "http://127.0.0.1:9"})
    assert {(r.stream, r.kind) for r in refusals} == {
        ("parents", "CustomPaginationStrategy"), ("children", "SubstreamPartitionRouter")}


def test_async_retriever_and_dynamic_streams_are_refused_naming_the_component() -> None:
    report = {**stream("report", "/r"), "retriever": {
        "type": "AsyncRetriever", "record_selector": PARENT["retriever"]["record_selector"]}}
    dynamic = {"type": "DynamicDeclarativeStream", "stream_template": stream("{{ x }}", "/t"),
               "components_resolver": {"type": "HttpComponentsResolver",
                                       "retriever": PARENT["retriever"],
                                       "components_mapping": []}}
    source, refusals, _ = compile_manifest(
        manifest_of([PARENT, report], dynamic_streams=[dynamic]),
        config={"base": "http://127.0.0.1:9"}, streams=["parents"])
    assert source is not None and [r.name for r in source.resources] == ["parents"]
    by_kind = {r.kind: r for r in refusals}
    assert by_kind["AsyncRetriever"].stream == "report"
    assert by_kind["AsyncRetriever"].where == "streams[1].retriever"
    assert "creation_requester, polling_requester, download_requester" in str(
        by_kind["AsyncRetriever"])
    dynamic_refusal = by_kind["DynamicDeclarativeStream"]
    assert dynamic_refusal.where == "dynamic_streams[0].components_resolver"
    assert "HttpComponentsResolver" in dynamic_refusal.message
