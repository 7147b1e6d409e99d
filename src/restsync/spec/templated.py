"""Templated endpoints: requests rebuilt from templates for every page (no I/O, no dialect).

A dialect whose requests depend on the page, the partition and the date window (Airbyte's
declarative manifests) compiles each stream into a :class:`TemplatedEndpoint` and hangs it on
``EndpointConfig.templated``. The extract stage then renders every request from it
(:mod:`restsync.extract.templated`): it only calls :meth:`TemplateValue.render` with a
mapping of variables and never sees the dialect's own syntax.

Variables a template may receive: ``config``, ``parameters``, ``stream_slice`` (also
``stream_partition``/``stream_interval``), ``next_page_token``, ``stream_state``, and, after a
response, ``response``, ``headers``, ``last_record``, ``last_page_size``; ``record`` for
record filters and added fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import urljoin

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = [
    "AddField",
    "AncestorPartition",
    "DateWindows",
    "ErrorRule",
    "ListPartition",
    "PageStrategy",
    "ParentPartition",
    "RecordPipeline",
    "RequestOption",
    "TemplateValue",
    "TemplatedEndpoint",
    "join_manifest_url",
    "render_nested",
]


@runtime_checkable
class TemplateValue(Protocol):
    """A compiled template: ``render(variables)`` gives the value for one request."""

    text: str

    def render(self, variables: Mapping[str, Any]) -> Any: ...


Nested = Any
"""A structure of mappings/lists whose strings are :class:`TemplateValue` objects (keys too)."""


@dataclass(frozen=True)
class RequestOption:
    """Where a value goes in a request.

    Attributes:
        inject_into: ``request_parameter``, ``header``, ``body_data``, ``body_json`` or
            ``path`` (the value replaces the URL path: a next-page URL).
        field_name: The parameter/header/field name (rendered with ``config``).
        field_path: A nested ``body_json`` path instead of ``field_name``.
    """

    inject_into: Literal["request_parameter", "header", "body_data", "body_json", "path"]
    field_name: TemplateValue | None = None
    field_path: tuple[TemplateValue, ...] = ()


@dataclass(frozen=True)
class PageStrategy:
    """How the next page is asked for.

    Attributes:
        kind: ``none`` (one page), ``cursor`` (the token is ``cursor_value`` rendered after
            each response), ``page`` (a page number), ``offset`` (records read so far).
        page_size: Records per page, sent with ``page_size_option`` (a template for offset).
        page_size_option: Where the page size goes.
        token_option: Where the token goes (``path``: it is the next URL).
        cursor_value: ``cursor``: the next token (empty stops).
        stop_condition: ``cursor``: true stops before the token is computed.
        start_from_page: ``page``: number of the first page.
        inject_on_first_request: ``page``/``offset``: send the first token with the first
            request.
        count_extracted: ``page``/``offset``: count the records the extractor found (before
            filters), as the CDK does; else the records kept.
    """

    kind: Literal["none", "cursor", "page", "offset"] = "none"
    page_size: int | TemplateValue | None = None
    page_size_option: RequestOption | None = None
    token_option: RequestOption | None = None
    cursor_value: TemplateValue | None = None
    stop_condition: TemplateValue | None = None
    start_from_page: int = 0
    inject_on_first_request: bool = False
    count_extracted: bool = True


@dataclass(frozen=True)
class AddField:
    """Set ``path`` of each record to ``value`` rendered with ``record`` (``value_type``:
    ``string``/``number``/``integer``/``boolean`` converts it; ``None`` keeps it)."""

    path: tuple[TemplateValue, ...]
    value: TemplateValue
    value_type: str | None = None
    condition: TemplateValue | None = None


@dataclass(frozen=True)
class Transformation:
    """One record transformation: ``add`` (fields), ``remove`` (field paths, ``*`` allowed),
    ``flatten`` (nested objects to ``a.b`` keys), ``keys_to_lower``, ``keys_to_snake``."""

    kind: Literal["add", "remove", "flatten", "keys_to_lower", "keys_to_snake",
                  "keys_replace", "dpath_flatten"]
    fields: tuple[AddField, ...] = ()
    paths: tuple[tuple[str, ...], ...] = ()
    condition: TemplateValue | None = None
    old: TemplateValue | None = None
    new: TemplateValue | None = None
    delete_origin: bool = True
    replace_record: bool = False


@dataclass(frozen=True)
class RecordPipeline:
    """How records come out of a response body.

    Attributes:
        field_path: Keys to walk (``*`` fans out over a list/object's values); empty: the
            whole body.
        decoder: ``json``, ``jsonl``, ``csv`` (with ``delimiter``, ``encoding``), ``xml`` is
            refused at compile time; ``gzip`` wraps another.
        filter: A condition over ``record`` (false drops it).
        transformations: Applied in order to each kept record.
    """

    field_path: tuple[TemplateValue, ...] = ()
    decoder: str = "json"
    gzip: bool = False
    delimiter: str = ","
    encoding: str = "utf-8"
    filter: TemplateValue | None = None
    transformations: tuple[Transformation, ...] = ()
    transform_first: bool = False


@dataclass(frozen=True)
class ListPartition:
    """One partition per value: ``stream_partition[field] = value``."""

    field: str
    values: tuple[Any, ...]
    request_option: RequestOption | None = None


@dataclass(frozen=True)
class ParentPartition:
    """One partition per record of the resource ``parent``:
    ``stream_partition[partition_field] = record[parent_key]``.

    Attributes:
        extra_fields: ``(path in the parent record, name)`` copied into the partition's
            extra fields.
        incremental_dependency: The parent runs incrementally for this child.
    """

    parent: str
    parent_key: tuple[str, ...]
    partition_field: str
    request_option: RequestOption | None = None
    extra_fields: tuple[tuple[tuple[str, ...], str], ...] = ()
    incremental_dependency: bool = False
    carry: bool = False
    """Each record carries the partition value as ``_<parent>_<partition_field>`` (a
    child pairs it with its own parent's records: :class:`AncestorPartition`)."""
    alternatives: tuple[ParentPartition, ...] = ()
    """Further configurations of the same parent (several ``parent_stream_configs`` of one
    router): each parent record gives one partition per configuration, in order."""

    @property
    def carried_column(self) -> str:
        """The column that carries the partition value (with ``carry``)."""
        return f"_{self.parent}_{self.partition_field}"


@dataclass(frozen=True)
class AncestorPartition:
    """The partition of a grandparent, read from the parent record that carries it:
    ``stream_partition[field] = parent_record[column]`` (a product of two parent routers
    where the second parent is a child of the first: each pair restsync sees)."""

    field: str
    column: str
    ancestor: str
    request_option: RequestOption | None = None
    carry: bool = False
    """Each record carries the value on as ``_<ancestor>_<field>`` (a child pairs it with
    its own parent's records in turn: a chain of three or more parent routers)."""

    @property
    def carried_column(self) -> str:
        """The column that carries the value on (with ``carry``)."""
        return f"_{self.ancestor}_{self.field}"


@dataclass(frozen=True)
class DateWindows:
    """Date-time windows of an incremental stream (Airbyte's ``DatetimeBasedCursor``).

    Each window is one request sequence with ``stream_interval = {start_field: ...,
    end_field: ...}``. The first run starts at ``start``; later runs at the stored cursor
    minus ``lookback`` (never before ``start``). ``step`` splits the range (each window ends
    ``granularity`` before the next one starts); ``None``: one window.
    """

    cursor_field: str
    datetime_format: str
    cursor_formats: tuple[str, ...]
    start: TemplateValue
    start_format: str
    start_min: TemplateValue | None = None
    start_max: TemplateValue | None = None
    end: TemplateValue | None = None
    end_format: str | None = None
    end_min: TemplateValue | None = None
    end_max: TemplateValue | None = None
    step: timedelta | Any | None = None
    granularity: timedelta | None = None
    lookback: timedelta | None = None
    start_field: str = "start_time"
    end_field: str = "end_time"
    start_option: RequestOption | None = None
    end_option: RequestOption | None = None
    is_data_feed: bool = False
    client_side: bool = False


@dataclass(frozen=True)
class ErrorRule:
    """One response rule (first match wins), then the defaults.

    Attributes:
        action: ``success``, ``ignore``, ``fail``, ``retry``, ``rate_limited``.
        statuses: Matching statuses (empty: any).
        message_contains: Text the body must contain.
        predicate: A condition over ``response`` and ``headers``.
        error_message: The message of a failure.
    """

    action: Literal["success", "ignore", "fail", "retry", "rate_limited"]
    statuses: frozenset[int] = frozenset()
    message_contains: str | None = None
    predicate: TemplateValue | None = None
    error_message: TemplateValue | None = None


@dataclass
class TemplatedEndpoint:
    """A request rebuilt from templates for every page, partition and window.

    Attributes:
        url_base / path: The URL (path joined as the CDK joins it).
        method: ``GET`` or ``POST``.
        params / headers / body_data: Mappings (or one template) of templates; a value
            rendering to nothing is left out.
        body_json: A nested structure of templates.
        paging: How the next page is asked for.
        records: How records come out of a body.
        partitions: Partition routers; several make their cartesian product.
        windows: Date windows of an incremental stream.
        error_rules: Response rules, in order (restsync's retry policy applies after them).
        config: The connector config (the ``config`` variable).
        parameters: The stream's ``$parameters``.
    """

    url_base: TemplateValue
    path: TemplateValue | None
    method: str = "GET"
    params: Nested = None
    headers: Nested = None
    body_json: Nested = None
    body_data: Nested = None
    paging: PageStrategy = field(default_factory=PageStrategy)
    records: RecordPipeline = field(default_factory=RecordPipeline)
    partitions: tuple[ListPartition | ParentPartition | AncestorPartition, ...] = ()
    windows: DateWindows | None = None
    error_rules: tuple[ErrorRule, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # the config may hold secrets: never shown
        return f"TemplatedEndpoint({self.method} {self.url_base.text}{self.path.text if self.path else ''})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)

    @property
    def parent(self) -> ParentPartition | None:
        """The parent router, if any."""
        return next((p for p in self.partitions if isinstance(p, ParentPartition)), None)


def join_manifest_url(base: str, path: str) -> str:
    """Airbyte's URL join: an empty path is the base; else the path is joined to the base
    taken as a folder (a full URL as path replaces it)."""
    if not path:
        return base
    if not base.endswith("/"):
        base += "/"
    return urljoin(base, path)


def render_nested(value: Any, variables: Mapping[str, Any]) -> Any:
    """A structure of templates rendered (keys too); a value rendering to ``None`` is left
    out of its mapping."""
    if isinstance(value, TemplateValue):
        return value.render(variables)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = k.render(variables) if isinstance(k, TemplateValue) else k
            rendered = render_nested(v, variables)
            if rendered is not None:
                out[str(key)] = rendered
        return out
    if isinstance(value, list):
        return [render_nested(v, variables) for v in value]
    return value
