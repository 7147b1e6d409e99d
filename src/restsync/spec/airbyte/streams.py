"""Streams: DeclarativeStream, SimpleRetriever, schema loaders.

A stream becomes one resource: its requests as a :class:`TemplatedEndpoint`, its schema as
declared columns, its primary key, and a write disposition (an incremental stream with a
primary key merges, without one appends; a full-refresh stream replaces its table, as
Airbyte's "overwrite" sync mode does).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restsync.spec import templates
from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.airbyte.partitions import chain_parents
from restsync.spec.airbyte.records import pipeline
from restsync.spec.model import (
    ColumnConfig,
    EndpointConfig,
    IncrementalConfig,
    ResourceConfig,
    SinglePagePaginator,
)
from restsync.spec.templated import DateWindows, PageStrategy, TemplatedEndpoint

__all__ = ["declarative_stream", "schema_columns"]


def _primary_key(value: Any) -> str | list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return value
    keys: list[str] = []
    for item in value:
        keys.append(".".join(map(str, item)) if isinstance(item, list) else str(item))
    return keys[0] if len(keys) == 1 else keys


def schema_columns(schema: Any) -> dict[str, ColumnConfig]:
    """Declared columns of a JSON schema's top-level properties (types are inferred from the
    data, as JSON schemas of connectors are often looser than the data)."""
    if not isinstance(schema, Mapping):
        return {}
    out: dict[str, ColumnConfig] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        kind = prop.get("type")
        kinds = set(kind) if isinstance(kind, list) else {kind}
        if kinds & {"object", "array"}:
            continue  # nested: becomes columns/child tables from the data
        description = prop.get("description")
        out[str(name)] = ColumnConfig(description=str(description)[:500] if description else None)
    return out


def _schema(c: Compiler, component: Any, name: str, base: Path | None) -> dict[str, ColumnConfig]:
    if not isinstance(component, Mapping):
        return {}
    where = path_of(component)
    kind = component.get("type")
    if kind == "InlineSchemaLoader":
        return schema_columns(component.get("schema"))
    if kind == "JsonFileSchemaLoader":
        file_path = component.get("file_path") or f"./schemas/{name}.json"
        text = str(c.evaluate(file_path, component, f"{where}.file_path", literal=False))
        if base is not None:
            candidates = [base / text, base / "schemas" / Path(text).name]
            candidates += list(base.glob(f"*/schemas/{Path(text).name}"))
            for candidate in candidates:
                if candidate.is_file():
                    try:
                        return schema_columns(json.loads(candidate.read_text(encoding="utf-8")))
                    except (OSError, ValueError):
                        break
        c.infer(f"{where}.file_path", f"{name}: schema file {text} not found next to the "
                                      "manifest: columns come from the data")
        return {}
    if kind in ("DynamicSchemaLoader", "CompositeSchemaLoader"):
        c.infer(where, f"{name}: {kind}: columns come from the data")
        return {}
    if kind is None or kind == "CustomSchemaLoader" or component.get("class_name"):
        c.infer(where, f"{name}: schema loader not run: columns come from the data")
        return {}
    c.infer(where, f"{name}: schema loader {kind} not run: columns come from the data")
    return {}


def _partitions(c: Compiler, retriever: Mapping[str, Any]) -> tuple[Any, ...]:
    router = retriever.get("partition_router", retriever.get("stream_slicer"))
    if router is None:
        return ()
    routers = router if isinstance(router, list) else [router]
    out: list[Any] = []
    for item in routers:
        built = c.build(item, "partition router")
        out.extend(built or [])
    return chain_parents(c, path_of(retriever), tuple(out))


def _shown(text: str) -> str:
    """The path as shown by ``check`` (escaped when dlt's placeholder syntax would read it)."""
    try:
        if not templates.fields(text):
            return text
    except templates.TemplateError:
        pass
    return text.replace("{", "{{").replace("}", "}}")


def declarative_stream(c: Compiler, component: Mapping[str, Any], *,
                       base: Path | None = None) -> ResourceConfig:
    """``DeclarativeStream`` -> a resource.

    Raises:
        Unsupported: A component of the stream is custom or not supported.
    """
    where = path_of(component)
    name = str(c.evaluate(component.get("name") or "", component, f"{where}.name", literal=False))
    if not name:
        raise Unsupported("DeclarativeStream", f"{where}.name", "a stream needs a name")
    c.stream = name
    retriever = component.get("retriever")
    if not isinstance(retriever, Mapping):
        raise Unsupported("DeclarativeStream", f"{where}.retriever", "retriever is required")
    if retriever.get("type") != "SimpleRetriever":
        c.build(retriever, "retriever")  # raises the located refusal
    here = path_of(retriever)
    requester_component = retriever.get("requester")
    if not isinstance(requester_component, Mapping):
        raise Unsupported("SimpleRetriever", f"{here}.requester", "requester is required")
    parts = c.build(requester_component, "requester")
    auth = requester_component.get("authenticator")
    auth_config = c.build(auth, "authenticator") if isinstance(auth, Mapping) else None
    handler_component = requester_component.get("error_handler")
    handler = (c.build(handler_component, "error handler")
               if isinstance(handler_component, Mapping) else None)
    selector = c.build(retriever.get("record_selector") or {"type": "RecordSelector",
                                                           "__path__": f"{here}.record_selector",
                                                           "extractor": {"type": "DpathExtractor",
                                                                         "field_path": []}},
                       "record selector")
    if "decoder" not in selector:
        for holder in (retriever, requester_component):
            if isinstance(holder.get("decoder"), Mapping):
                selector = {**c.build(holder["decoder"], "decoder"), **selector}
                break
    paginator = retriever.get("paginator")
    paging = c.build(paginator, "paginator") if isinstance(paginator, Mapping) else PageStrategy()
    transformations = [c.build(t, "transformation") for t in component.get("transformations") or []]
    partitions = _partitions(c, retriever)
    inc_component = component.get("incremental_sync")
    windows = c.build(inc_component, "incremental sync") if isinstance(inc_component, Mapping) \
        else None
    if component.get("state_migrations"):
        c.infer(f"{where}.state_migrations", f"{name}: state migrations are not run (restsync "
                                             "keeps its own state)")
    templated = TemplatedEndpoint(
        url_base=parts["url_base"], path=parts["path"], method=parts["method"],
        params=parts["params"], headers=parts["headers"], body_json=parts["body_json"],
        body_data=parts["body_data"], paging=paging,
        records=pipeline(selector, transformations), partitions=partitions, windows=windows,
        error_rules=tuple((handler or {}).get("rules") or ()), config=c.config,
        parameters=component.get("$parameters") or {})
    incremental = None
    if isinstance(windows, DateWindows):
        incremental = IncrementalConfig(
            cursor_path=windows.cursor_field, on_cursor_value_missing="include",
            filter_records=False)
    primary_key = _primary_key(component.get("primary_key"))
    disposition = ("replace" if windows is None else "merge" if primary_key else "append")
    endpoint = EndpointConfig(
        path=_shown(f"{parts['url_base'].text}{parts['path'].text if parts['path'] else ''}"),
        method=parts["method"], paginator=SinglePagePaginator(), data_selector="$",
        auth=auth_config if auth_config is not None else "none",
        incremental=incremental, templated=templated)
    c.stream = ""
    c.retry_handlers.setdefault(name, handler)
    return ResourceConfig(
        name=name, endpoint=endpoint, primary_key=primary_key,
        write_disposition=disposition,  # type: ignore[arg-type]
        columns=_schema(c, component.get("schema_loader"), name, base))
