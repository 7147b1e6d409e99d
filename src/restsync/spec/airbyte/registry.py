"""The registry of manifest components: one line per component type.

``REGISTRY[type] = (family, compiler)``; :func:`build` compiles a component through it and
refuses, with the component's type and manifest path, anything unknown, custom
(``class_name:``) or used where another family is expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from restsync.spec.airbyte import (
    auth,
    errors,
    incremental,
    paginators,
    partitions,
    records,
    session,
)
from restsync.spec.airbyte import requester as requesters
from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.issues import did_you_mean

__all__ = ["NOT_SUPPORTED", "REGISTRY", "build"]

Handler = Callable[..., Any]

REGISTRY: dict[str, tuple[str, Handler]] = {
    # requests
    "HttpRequester": ("requester", requesters.http_requester),
    "RequestOption": ("request option", requesters.request_option),
    "RequestPath": ("request option", requesters.request_path),
    # paging
    "DefaultPaginator": ("paginator", paginators.default_paginator),
    "NoPagination": ("paginator", paginators.no_pagination),
    "CursorPagination": ("pagination strategy", paginators.cursor_pagination),
    "PageIncrement": ("pagination strategy", paginators.page_increment),
    "OffsetIncrement": ("pagination strategy", paginators.offset_increment),
    # partitions
    "ListPartitionRouter": ("partition router", partitions.list_router),
    "SubstreamPartitionRouter": ("partition router", partitions.substream_router),
    # incremental
    "DatetimeBasedCursor": ("incremental sync", incremental.datetime_cursor),
    # auth
    "NoAuth": ("authenticator", auth.no_auth),
    "ApiKeyAuthenticator": ("authenticator", auth.api_key),
    "BearerAuthenticator": ("authenticator", auth.bearer),
    "BasicHttpAuthenticator": ("authenticator", auth.basic),
    "OAuthAuthenticator": ("authenticator", auth.oauth),
    "SelectiveAuthenticator": ("authenticator", auth.selective),
    "SessionTokenAuthenticator": ("authenticator", session.session_token),
    # errors
    "DefaultErrorHandler": ("error handler", errors.default_error_handler),
    "CompositeErrorHandler": ("error handler", errors.composite_error_handler),
    "HttpResponseFilter": ("response filter", errors.response_filter),
    "ExponentialBackoffStrategy": ("backoff strategy", errors.backoff),
    "ConstantBackoffStrategy": ("backoff strategy", errors.backoff),
    "WaitTimeFromHeader": ("backoff strategy", errors.backoff),
    "WaitUntilTimeFromHeader": ("backoff strategy", errors.backoff),
    # records
    "RecordSelector": ("record selector", records.record_selector),
    "DpathExtractor": ("record extractor", records.dpath_extractor),
    "RecordFilter": ("record filter", records.record_filter),
    "AddFields": ("transformation", records.add_fields),
    "RemoveFields": ("transformation", records.remove_fields),
    "FlattenFields": ("transformation", records.simple_transformation),
    "KeysToLower": ("transformation", records.simple_transformation),
    "KeysToSnakeCase": ("transformation", records.simple_transformation),
    "KeysReplace": ("transformation", records.simple_transformation),
    "DpathFlattenFields": ("transformation", records.simple_transformation),
    "JsonDecoder": ("decoder", records.decoder),
    "JsonlDecoder": ("decoder", records.decoder),
    "CsvDecoder": ("decoder", records.decoder),
    "GzipDecoder": ("decoder", records.decoder),
    "CompositeRawDecoder": ("decoder", records.decoder),
}

NOT_SUPPORTED: dict[str, str] = {
    "AsyncRetriever": "asynchronous report jobs (creation_requester, polling_requester, "
                      "download_requester) are not supported; restsync runs SimpleRetriever "
                      "streams (`--streams` runs the others)",
    "LegacySessionTokenAuthenticator": "session-token login is not supported",
    "JwtAuthenticator": "JWT signing is not supported",
    "XmlDecoder": "XML responses are not supported",
    "ZipfileDecoder": "zip responses are not supported",
    "GroupingPartitionRouter": "grouped partitions are not supported",
    "IncrementingCountCursor": "IncrementingCountCursor is not supported yet",
    "StateDelegatingStream": "StateDelegatingStream is not supported",
    "DynamicDeclarativeStream": "dynamic streams are not supported",
    "QueryProperties": "QueryProperties is not supported",
    "PropertiesFromEndpoint": "PropertiesFromEndpoint is not supported",
    "LazySimpleRetriever": "lazy retrievers are not supported",
}
"""Component types the CDK knows and restsync refuses, with the reason."""


def build(c: Compiler, component: Any, family: str, **kwargs: Any) -> Any:
    """Compile ``component`` (which should be a ``family``).

    Raises:
        Unsupported: Custom (``class_name``), unknown, refused, or of another family.
    """
    where = path_of(component)
    if not isinstance(component, Mapping):
        raise Unsupported(family, where, f"expected a {family} component, got "
                                         f"{type(component).__name__}")
    kind = component.get("type")
    if "class_name" in component or (isinstance(kind, str) and kind.startswith("Custom")):
        raise Unsupported(str(kind or "Custom"), where,
                          f"custom component {kind or ''} (class_name: "
                          f"{component.get('class_name')}) runs Python code; refused (use "
                          "--streams to run the streams that do not use it)")
    if not isinstance(kind, str):
        raise Unsupported(family, where, f"a {family} needs a `type`")
    if kind in NOT_SUPPORTED:
        raise Unsupported(kind, where, f"{kind}: {NOT_SUPPORTED[kind]}")
    entry = REGISTRY.get(kind)
    if entry is None:
        raise Unsupported(kind, where, f"unknown component type {kind}{did_you_mean(kind, REGISTRY)}")
    found_family, handler = entry
    if found_family != family:
        raise Unsupported(kind, where, f"{kind} is a {found_family}, not a {family}")
    return handler(c, component, **kwargs)
