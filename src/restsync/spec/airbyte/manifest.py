"""Reading a manifest: YAML, ``$ref`` resolution, default types and ``$parameters``.

Done as the CDK does it (``ManifestReferenceResolver`` and ``ManifestComponentTransformer``),
so a manifest means the same here:

* ``$ref: "#/definitions/x"`` (a key) is replaced by the referenced mapping, the keys written
  beside it winning; a string value ``"#/a/b"`` is replaced by the value there. A path is
  looked up whole first, then split at ``/`` (list indexes allowed). A reference to itself
  through any chain is refused, naming the chain.
* A component without ``type:`` gets the CDK's default type for the field it sits in
  (``SimpleRetriever.requester`` -> ``HttpRequester``...).
* ``$parameters`` flow down: each component's fields that are missing (or empty) take the
  parameter of the same name, and the rest stay available as ``parameters`` to templates.

Every component keeps its manifest path (``definitions.streams.users.retriever``) under the
key ``__path__`` for messages.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Final

import yaml

from restsync.spec.issues import Issues

__all__ = ["DEFAULT_TYPES", "PATH_KEY", "is_manifest", "prepare_manifest", "read_manifest"]

PATH_KEY = "__path__"
"""Key under which every component keeps its manifest path."""

_PARAMETERS = "$parameters"
_REF = "$ref"
_CONFIG_VALUE_FIELDS = frozenset({"config_overrides"})

DEFAULT_TYPES: dict[str, str] = {
    "CompositeErrorHandler.error_handlers": "DefaultErrorHandler",
    "CursorPagination.decoder": "JsonDecoder",
    "DatetimeBasedCursor.end_datetime": "MinMaxDatetime",
    "DatetimeBasedCursor.end_time_option": "RequestOption",
    "DatetimeBasedCursor.start_datetime": "MinMaxDatetime",
    "DatetimeBasedCursor.start_time_option": "RequestOption",
    "DeclarativeSource.check": "CheckStream",
    "DeclarativeSource.spec": "Spec",
    "DeclarativeSource.streams": "DeclarativeStream",
    "DeclarativeStream.retriever": "SimpleRetriever",
    "DeclarativeStream.schema_loader": "JsonFileSchemaLoader",
    "DynamicDeclarativeStream.stream_template": "DeclarativeStream",
    "DynamicDeclarativeStream.components_resolver": "ConfigComponentResolver",
    "HttpComponentsResolver.retriever": "SimpleRetriever",
    "HttpComponentsResolver.components_mapping": "ComponentMappingDefinition",
    "ConfigComponentsResolver.stream_config": "StreamConfig",
    "ConfigComponentsResolver.components_mapping": "ComponentMappingDefinition",
    "DefaultErrorHandler.response_filters": "HttpResponseFilter",
    "DefaultPaginator.decoder": "JsonDecoder",
    "DefaultPaginator.page_size_option": "RequestOption",
    "DpathExtractor.decoder": "JsonDecoder",
    "DpathExtractor.record_expander": "RecordExpander",
    "HttpRequester.error_handler": "DefaultErrorHandler",
    "ListPartitionRouter.request_option": "RequestOption",
    "ParentStreamConfig.request_option": "RequestOption",
    "ParentStreamConfig.stream": "DeclarativeStream",
    "RecordSelector.extractor": "DpathExtractor",
    "RecordSelector.record_filter": "RecordFilter",
    "SimpleRetriever.paginator": "NoPagination",
    "SimpleRetriever.record_selector": "RecordSelector",
    "SimpleRetriever.requester": "HttpRequester",
    "SubstreamPartitionRouter.parent_stream_configs": "ParentStreamConfig",
    "AddFields.fields": "AddedFieldDefinition",
    "CustomPartitionRouter.parent_stream_configs": "ParentStreamConfig",
    "DynamicSchemaLoader.retriever": "SimpleRetriever",
    "SchemaTypeIdentifier.types_map": "TypesMap",
}
"""The CDK's default component type per ``ParentType.field`` (where ``type:`` is left out)."""

_CUSTOM_TYPES: dict[str, str] = {
    "CompositeErrorHandler.backoff_strategies": "CustomBackoffStrategy",
    "DeclarativeStream.retriever": "CustomRetriever",
    "DeclarativeStream.transformations": "CustomTransformation",
    "DefaultErrorHandler.backoff_strategies": "CustomBackoffStrategy",
    "DefaultPaginator.pagination_strategy": "CustomPaginationStrategy",
    "HttpRequester.authenticator": "CustomAuthenticator",
    "HttpRequester.error_handler": "CustomErrorHandler",
    "RecordSelector.extractor": "CustomRecordExtractor",
    "SimpleRetriever.partition_router": "CustomPartitionRouter",
}


MANIFEST_TOP_KEYS: Final = frozenset({"streams", "check"})
"""Top-level keys that make a document without ``type:`` a manifest, as the CDK reads it:
it gives a top level without ``type`` the type ``DeclarativeSource`` (older manifests, as
published in Airbyte's connector packages, leave it out)."""


def is_manifest(data: Any) -> bool:
    """Whether ``data`` is an Airbyte declarative manifest: ``type: DeclarativeSource``, or
    no ``type`` with the manifest's ``streams`` and ``check`` (:data:`MANIFEST_TOP_KEYS`)."""
    if not isinstance(data, Mapping):
        return False
    if "type" not in data:
        return data.keys() >= MANIFEST_TOP_KEYS and isinstance(data.get("streams"), list)
    return data.get("type") == "DeclarativeSource"


_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):
    """Safe YAML (libyaml's when present); dates and times stay strings (as written)."""

    yaml_implicit_resolvers: dict[Any, Any] = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BASE_LOADER.yaml_implicit_resolvers.items()}


def read_manifest(text: str, issues: Issues) -> Any:
    """Parse manifest YAML (safe loader: no tags, no objects)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        issues.add("", f"manifest is not valid YAML {where}: {getattr(exc, 'problem', exc)}")
        return None


# --------------------------------------------------------------------------- $ref


class _RefError(Exception):
    pass


def _split(ref: str) -> tuple[str | int, str]:
    match = re.match(r"([^/]*)/?(.*)", ref)
    assert match is not None
    first, rest = match.groups()
    try:
        return int(first), rest
    except ValueError:
        return first, rest


def _lookup(ref: str, manifest: Any) -> Any:
    match = re.match(r"#/(.*)", ref)
    if not match:
        raise _RefError(f"invalid reference {ref!r} (write #/definitions/...)")
    path = match.group(1)
    node = manifest
    try:
        while path:
            try:
                return node[path]
            except (KeyError, TypeError, IndexError):
                head, path = _split(path)
                node = node[head]
        return node
    except (KeyError, TypeError, IndexError):
        raise _RefError(f"reference {ref!r} points to nothing") from None


def _resolve(node: Any, manifest: Any, chain: tuple[str, ...], where: str,
             issues: Issues) -> Any:
    if isinstance(node, dict):
        out = {k: (copy.deepcopy(v) if k in _CONFIG_VALUE_FIELDS
                   else _resolve(v, manifest, chain, f"{where}.{k}" if where else str(k), issues))
               for k, v in node.items() if k != _REF}
        if _REF in node:
            target = _resolve(node[_REF], manifest, chain, f"{where}.$ref", issues)
            if not isinstance(target, dict):
                return target
            return {**target, **out}
        return out
    if isinstance(node, list):
        return [_resolve(v, manifest, chain, f"{where}[{i}]", issues) for i, v in enumerate(node)]
    if isinstance(node, str) and node.startswith("#/"):
        if node in chain:
            issues.add(where, "circular reference: " + " -> ".join((*chain, node)))
            return None
        try:
            target = _lookup(node, manifest)
        except _RefError as exc:
            issues.add(where, str(exc))
            return None
        return _resolve(target, manifest, (*chain, node), where, issues)
    return node


# --------------------------------------------------------------------------- types, $parameters


def _is_json_schema(component: Mapping[str, Any]) -> bool:
    return component.get("type") in ("object", ["null", "object"])


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else str(key)


def _propagate(field_id: str, component: Mapping[str, Any], parent_params: Mapping[str, Any],
               where: str) -> dict[str, Any]:
    out = dict(component)
    if "type" not in out:
        found = (_CUSTOM_TYPES if "class_name" in out else DEFAULT_TYPES).get(field_id)
        if found:
            out["type"] = found
    params = {**parent_params, **(out.pop(_PARAMETERS, None) or {})}
    if _is_json_schema(out):
        return out
    if "type" not in out:
        for key, value in list(out.items()):
            if isinstance(value, dict) and value.get("type"):
                out[key] = _propagate(field_id, value, params, _join(where, key))
        return out
    for key, value in params.items():
        out[key] = out.get(key) or value
    kind = out.get("type")
    for key, value in list(out.items()):
        if key == PATH_KEY:
            continue
        if isinstance(value, dict):
            inner = {k: v for k, v in params.items() if k != key}
            out[key] = _propagate(f"{kind}.{key}", value, inner, _join(where, key))
        elif isinstance(value, list):
            inner = {k: v for k, v in params.items() if k != key}
            out[key] = [_propagate(f"{kind}.{key}", item, inner, f"{_join(where, key)}[{i}]")
                        if isinstance(item, dict) else item for i, item in enumerate(value)]
    if params:
        out[_PARAMETERS] = params
    out[PATH_KEY] = where
    return out


def prepare_manifest(raw: Any, issues: Issues) -> dict[str, Any] | None:
    """Resolve references, set default types and propagate ``$parameters``.

    Returns:
        The manifest as the CDK's factory sees it (each component with ``__path__``), or
        ``None`` when references could not be resolved (``issues`` says why).
    """
    if not is_manifest(raw):
        issues.add("type", "not an Airbyte declarative manifest (expected `type: "
                           "DeclarativeSource` at the top)")
        return None
    if "type" not in raw:
        raw = {"type": "DeclarativeSource", **raw}  # the CDK's default for the top level
    before = len(issues)
    resolved = _resolve(raw, raw, (), "", issues)
    if len(issues) > before:
        return None
    return _propagate("", resolved, {}, "")
