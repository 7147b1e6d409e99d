"""The corpus covers issue 10's list, and the Airbyte CDK builds it too (see ``test_corpus.py``).

The tests here walk every corpus manifest (after ``$ref`` resolution and default types) and
check that every component type, field and template variable of the list is used, so that
removing a construct from the corpus fails; a slow test has the CDK build every manifest's
streams (nothing is read or sent).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from typing import Any

import jinja2
import pytest
from jinja2 import meta

from restsync.spec.airbyte.macros import FILTERS
from restsync.spec.airbyte.manifest import prepare_manifest
from restsync.spec.issues import Issues
from tests.airbyte.corpus_support import (
    MANIFESTS,
    REFUSED,
    STREAMS,
    compiled,
    raw_manifest,
)

# --------------------------------------------------------------------------- the CDK reads them too


_CDK_BUILD = """
import json, sys
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource)
out = {}
for name, (manifest, config) in json.load(sys.stdin).items():
    try:
        source = ConcurrentDeclarativeSource(source_config=manifest, config=config,
                                             catalog=None, state=None)
        out[name] = [stream.name for stream in source.streams(config)]
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""
"""Builds each manifest's streams with the CDK (schema validation and its component
factory); nothing is read, so nothing is sent."""


@pytest.mark.slow
def test_the_cdk_builds_every_corpus_manifest(cdk_python: str) -> None:
    jobs: dict[str, Any] = {}
    for name in MANIFESTS:
        result = compiled(name)
        refused = {r.stream for r in result.refusals}
        manifest = raw_manifest(name)  # the custom component's Python is not ours to import
        names = [s["name"] for s in _prepared(name)["streams"]]
        manifest["streams"] = [s for s, n in zip(manifest["streams"], names, strict=True)
                               if n not in refused]
        jobs[name] = (manifest, result.config)
    done = subprocess.run([cdk_python, "-c", _CDK_BUILD], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    built = json.loads(done.stdout.splitlines()[-1])
    assert built == {name: [s for s in STREAMS[name] if s not in REFUSED.get(name, {})]
                     for name in MANIFESTS}


# --------------------------------------------------------------------------- the corpus covers the list


COMPONENT_TYPES = {
    # core
    "DeclarativeSource", "DeclarativeStream", "SimpleRetriever", "HttpRequester",
    "RecordSelector", "DpathExtractor", "InlineSchemaLoader", "JsonFileSchemaLoader",
    "CheckStream", "Spec",
    # paging
    "DefaultPaginator", "CursorPagination", "PageIncrement", "OffsetIncrement",
    "RequestOption", "RequestPath", "NoPagination",
    # partitions
    "SubstreamPartitionRouter", "ParentStreamConfig", "ListPartitionRouter",
    # incremental
    "DatetimeBasedCursor", "MinMaxDatetime",
    # auth
    "ApiKeyAuthenticator", "BearerAuthenticator", "BasicHttpAuthenticator",
    "OAuthAuthenticator", "SessionTokenAuthenticator", "SelectiveAuthenticator", "NoAuth",
    # errors
    "DefaultErrorHandler", "CompositeErrorHandler", "HttpResponseFilter",
    "ExponentialBackoffStrategy", "ConstantBackoffStrategy", "WaitTimeFromHeader",
    "WaitUntilTimeFromHeader", "HTTPAPIBudget", "MovingWindowCallRatePolicy",
    "FixedWindowCallRatePolicy", "UnlimitedCallRatePolicy",
    # records
    "AddFields", "AddedFieldDefinition", "RemoveFields", "RecordFilter", "JsonDecoder",
    "JsonlDecoder", "CsvDecoder", "GzipDecoder",
    # concurrency
    "ConcurrencyLevel",
    # a custom component, refused
    "CustomRecordExtractor",
}
"""Issue 10's component list."""

CDK_VARIABLES = {"config", "parameters", "stream_partition", "stream_slice", "stream_interval",
                 "next_page_token", "response", "headers", "last_record", "last_page_size",
                 "record", "stream_state"}
CDK_MACROS = {"now_utc", "today_utc", "day_delta", "duration", "format_datetime",
              "str_to_datetime", "timestamp", "max", "min", "today_with_timezone",
              "camel_case_to_snake_case"}


@cache
def _prepared(name: str) -> dict[str, Any]:
    issues = Issues()
    prepared = prepare_manifest(raw_manifest(name), issues)
    assert prepared is not None and not issues
    return prepared


def _walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``(key it sits under, value)`` of a nested structure."""
    yield key, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)


def _components() -> Iterator[tuple[str, dict[str, Any]]]:
    """``(key, component)`` of every corpus manifest after ``$ref`` and default types."""
    for name in MANIFESTS:
        for key, node in _walk(_prepared(name)):
            if isinstance(node, dict) and isinstance(node.get("type"), str):
                yield key, node


def _of(kind: str) -> list[dict[str, Any]]:
    return [c for _, c in _components() if c["type"] == kind]


def test_the_corpus_uses_every_component_type_of_the_list() -> None:
    used = {c["type"] for _, c in _components()}
    assert COMPONENT_TYPES - used == set()


FEATURES: dict[str, Any] = {
    "GET": lambda: any(c.get("http_method", "GET") == "GET" for c in _of("HttpRequester")),
    "POST with a JSON body": lambda: any(
        c.get("http_method") == "POST" and c.get("request_body_json")
        for c in _of("HttpRequester")),
    "POST with a form body": lambda: any(
        c.get("http_method") == "POST" and c.get("request_body_data")
        for c in _of("HttpRequester")),
    "request_parameters": lambda: any(c.get("request_parameters") for c in _of("HttpRequester")),
    "request_headers": lambda: any(c.get("request_headers") for c in _of("HttpRequester")),
    "DpathExtractor with *": lambda: any("*" in c.get("field_path", [])
                                         for c in _of("DpathExtractor")),
    "DpathExtractor with []": lambda: any(c.get("field_path") == [] for c in _of("DpathExtractor")),
    "RequestOption into a parameter, header, JSON body, form body": lambda: {
        c["inject_into"] for c in _of("RequestOption")} >= {
        "request_parameter", "header", "body_json", "body_data"},
    "RequestOption with a field_path": lambda: any(c.get("field_path")
                                                   for c in _of("RequestOption")),
    "RequestPath as the page token": lambda: any(
        (c.get("page_token_option") or {}).get("type") == "RequestPath"
        for c in _of("DefaultPaginator")),
    "page_size_option": lambda: any(c.get("page_size_option") for c in _of("DefaultPaginator")),
    "stop_condition": lambda: any(c.get("stop_condition") for c in _of("CursorPagination")),
    "ParentStreamConfig request_option, incremental_dependency, extra_fields": lambda: all(
        any(c.get(k) for c in _of("ParentStreamConfig"))
        for k in ("request_option", "incremental_dependency", "extra_fields")),
    "a list of routers": lambda: any(isinstance(c.get("partition_router"), list)
                                     for c in _of("SimpleRetriever")),
    "DatetimeBasedCursor options": lambda: all(
        any(c.get(k) for c in _of("DatetimeBasedCursor"))
        for k in ("cursor_datetime_formats", "step", "cursor_granularity", "lookback_window",
                  "start_time_option", "end_time_option", "is_data_feed",
                  "is_client_side_incremental", "end_datetime")),
    "OAuth refresh token and client credentials": lambda: {
        c.get("grant_type", "refresh_token") for c in _of("OAuthAuthenticator")} >= {
        "refresh_token", "client_credentials"},
    "OAuth refresh_request_body and token expiry format": lambda: all(
        any(c.get(k) for c in _of("OAuthAuthenticator"))
        for k in ("refresh_request_body", "token_expiry_date_format", "scopes")),
    "every filter action": lambda: {c.get("action") for c in _of("HttpResponseFilter")} >= {
        "RETRY", "IGNORE", "FAIL", "RATE_LIMITED"},
    "filters by http_codes, error_message_contains, predicate": lambda: all(
        any(c.get(k) for c in _of("HttpResponseFilter"))
        for k in ("http_codes", "error_message_contains", "predicate")),
    "RecordFilter with a condition": lambda: any(c.get("condition") for c in _of("RecordFilter")),
}
"""Fields and values of the list that a component type alone does not show."""


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_the_corpus_uses_every_feature_of_the_list(feature: str) -> None:
    assert FEATURES[feature]()


def test_the_corpus_leans_on_refs_parameters_and_default_types() -> None:
    refs = parameters = 0
    untyped: set[str] = set()
    for name in MANIFESTS:
        for key, node in _walk(raw_manifest(name)):
            if isinstance(node, dict):
                refs += "$ref" in node
                parameters += "$parameters" in node
                if "type" not in node and key in ("check", "record_selector", "extractor",
                                                  "start_datetime", "page_size_option",
                                                  "start_time_option", "record_filter",
                                                  "schema_loader", "requester"):
                    untyped.add(key)
            elif isinstance(node, str) and node.startswith("#/definitions/"):
                refs += 1
    assert refs >= 50 and parameters >= 10
    assert untyped == {"check", "record_selector", "extractor", "start_datetime",
                       "page_size_option", "start_time_option", "record_filter",
                       "schema_loader", "requester"}


def test_the_corpus_templates_use_every_cdk_variable_and_macro() -> None:
    environment = jinja2.Environment()  # parsing only: nothing is rendered here
    environment.filters.update(FILTERS)  # the CDK's filters, so the templates parse
    names: set[str] = set()
    for name in MANIFESTS:
        for _, node in _walk(raw_manifest(name)):
            if isinstance(node, str) and re.search(r"\{\{|\{%", node):
                names |= meta.find_undeclared_variables(environment.parse(node))
    assert CDK_VARIABLES - names == set()
    assert CDK_MACROS - names == set()
