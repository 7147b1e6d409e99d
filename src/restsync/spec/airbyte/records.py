"""Records: RecordSelector, DpathExtractor, RecordFilter, transformations, decoders.

* ``DpathExtractor.field_path``: keys walked from the body; ``*`` takes every value of a list
  or object there; an empty path (``[]``) is the whole body. A list found is the records, an
  object is one record, nothing found is no records (as the CDK: no error).
* ``RecordFilter.condition``: rendered with ``record`` (and ``stream_slice``,
  ``next_page_token``...); a false value drops the record. It runs before the
  transformations unless ``transform_before_filtering``.
* ``AddFields`` (``AddedFieldDefinition``: ``path``, ``value``, ``value_type``), ``RemoveFields``
  (``field_pointers``, ``*`` allowed, optional ``condition``), ``FlattenFields``,
  ``KeysToLower``, ``KeysToSnakeCase``, ``KeysReplace``, ``DpathFlattenFields``.
* Decoders: ``JsonDecoder``, ``JsonlDecoder``, ``CsvDecoder``, ``GzipDecoder`` around one of
  them, and ``CompositeRawDecoder`` with a JSON-lines, CSV or gzip parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.templated import AddField, RecordPipeline, Transformation

__all__ = ["add_fields", "decoder", "dpath_extractor", "record_filter", "record_selector",
           "remove_fields", "simple_transformation"]

_VALUE_TYPES = {"string": (str,), "number": (int, float), "integer": (int,),
                "boolean": (bool,)}


def dpath_extractor(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """``DpathExtractor``: the field path (templates allowed) and its decoder."""
    where = path_of(component)
    raw = component.get("field_path")
    if raw is None:
        raw = []
    if isinstance(raw, str):
        raw = [raw]
    if component.get("record_expander"):
        raise Unsupported("RecordExpander", f"{where}.record_expander",
                          "RecordExpander is not supported")
    path = tuple(c.template(str(p), component, f"{where}.field_path[{i}]", literal=False)
                 for i, p in enumerate(raw))
    out: dict[str, Any] = {"field_path": path}
    if isinstance(component.get("decoder"), Mapping):
        out.update(c.build(component["decoder"], "decoder"))
    return out


def record_filter(c: Compiler, component: Mapping[str, Any]) -> Any:
    """``RecordFilter``: a condition over ``record``."""
    where = path_of(component)
    condition = component.get("condition")
    if not condition:
        return None
    return c.template(condition, component, f"{where}.condition", default="False")


def record_selector(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """``RecordSelector``: extractor, optional filter (schema normalization is accepted)."""
    where = path_of(component)
    extractor = component.get("extractor")
    if not isinstance(extractor, Mapping):
        raise Unsupported("RecordSelector", where, "extractor is required")
    out = dict(c.build(extractor, "record extractor"))
    flt = component.get("record_filter")
    out["filter"] = c.build(flt, "record filter") if isinstance(flt, Mapping) else None
    out["transform_first"] = bool(component.get("transform_before_filtering"))
    if component.get("file_uploader"):
        raise Unsupported("FileUploader", f"{where}.file_uploader", "file uploads are not supported")
    return out


def add_fields(c: Compiler, component: Mapping[str, Any]) -> Transformation:
    """``AddFields``: each field's ``value`` rendered with ``record``."""
    where = path_of(component)
    fields: list[AddField] = []
    for i, item in enumerate(component.get("fields") or []):
        here = f"{where}.fields[{i}]"
        if not isinstance(item, Mapping) or "path" not in item or "value" not in item:
            raise Unsupported("AddedFieldDefinition", here, "path and value are required")
        value_type = item.get("value_type")
        if value_type is not None and value_type not in _VALUE_TYPES:
            raise Unsupported("AddedFieldDefinition", f"{here}.value_type",
                              f"value_type must be one of {', '.join(_VALUE_TYPES)}")
        fields.append(AddField(
            path=tuple(c.template(str(p), item, f"{here}.path[{j}]", literal=False)
                       for j, p in enumerate(item["path"])),
            value=c.template(item["value"], item, f"{here}.value",
                             valid_types=_VALUE_TYPES.get(value_type) if value_type else None),
            value_type=value_type))
    condition = component.get("condition")
    return Transformation("add", fields=tuple(fields), condition=(
        c.template(condition, component, f"{where}.condition", default="False")
        if condition else None))


def remove_fields(c: Compiler, component: Mapping[str, Any]) -> Transformation:
    """``RemoveFields``: field pointers (``*`` matches any key/index)."""
    where = path_of(component)
    pointers = component.get("field_pointers") or []
    condition = component.get("condition")
    return Transformation(
        "remove", paths=tuple(tuple(str(p) for p in pointer) for pointer in pointers),
        condition=(c.template(condition, component, f"{where}.condition", default="False")
                   if condition else None))


def simple_transformation(c: Compiler, component: Mapping[str, Any]) -> Transformation:
    """``FlattenFields``, ``KeysToLower``, ``KeysToSnakeCase``, ``KeysReplace``,
    ``DpathFlattenFields``."""
    where = path_of(component)
    kind = component.get("type")
    if kind == "FlattenFields":
        return Transformation("flatten")
    if kind == "KeysToLower":
        return Transformation("keys_to_lower")
    if kind == "KeysToSnakeCase":
        return Transformation("keys_to_snake")
    if kind == "KeysReplace":
        return Transformation("keys_replace",
                              old=c.template(component.get("old", ""), component, f"{where}.old",
                                             literal=False),
                              new=c.template(component.get("new", ""), component, f"{where}.new",
                                             literal=False))
    if kind == "DpathFlattenFields":
        field_path = component.get("field_path") or []
        return Transformation("dpath_flatten", paths=(tuple(str(p) for p in field_path),),
                              delete_origin=bool(component.get("delete_origin_value", False)),
                              replace_record=bool(component.get("replace_record", False)))
    raise Unsupported(str(kind), where, f"transformation {kind} is not supported")


_PLAIN_DECODERS = {"JsonDecoder": "json", "JsonParser": "json", "JsonlDecoder": "jsonl",
                   "JsonLineParser": "jsonl"}
"""Decoders and parsers that need no settings."""


def _plain_or_csv(component: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = component.get("type")
    if kind in _PLAIN_DECODERS:
        return {"decoder": _PLAIN_DECODERS[str(kind)]}
    if kind in ("CsvDecoder", "CsvParser"):
        return {"decoder": "csv", "delimiter": str(component.get("delimiter") or ","),
                "encoding": str(component.get("encoding") or "utf-8")}
    return None


def decoder(c: Compiler, component: Mapping[str, Any]) -> dict[str, Any]:
    """A decoder: ``{"decoder": json|jsonl|csv, "gzip": bool, ...}``."""
    where = path_of(component)
    kind = component.get("type")
    found = _plain_or_csv(component) if kind in ("JsonDecoder", "JsonlDecoder",
                                                 "CsvDecoder") else None
    if found is not None:
        return found
    if kind == "GzipDecoder":
        inner = component.get("decoder")
        out = dict(c.build(inner, "decoder")) if isinstance(inner, Mapping) else {"decoder": "json"}
        out["gzip"] = True
        return out
    if kind == "CompositeRawDecoder":
        return _parser(c, component.get("parser"), f"{where}.parser")
    raise Unsupported(str(kind), where, f"decoder {kind} is not supported (JsonDecoder, "
                                        "JsonlDecoder, CsvDecoder, GzipDecoder)")


def _parser(c: Compiler, parser: Any, where: str) -> dict[str, Any]:
    if not isinstance(parser, Mapping):
        raise Unsupported("CompositeRawDecoder", where, "parser is required")
    kind = parser.get("type")
    found = _plain_or_csv(parser) if kind in ("JsonParser", "JsonLineParser",
                                              "CsvParser") else None
    if found is not None:
        return found
    if kind == "GzipParser":
        out = _parser(c, parser.get("inner_parser"), f"{where}.inner_parser")
        out["gzip"] = True
        return out
    raise Unsupported(str(kind), where, f"parser {kind} is not supported")


def pipeline(selector: Mapping[str, Any], transformations: list[Transformation]) -> RecordPipeline:
    """The stream's record pipeline from its selector and transformations."""
    return RecordPipeline(
        field_path=selector.get("field_path", ()), decoder=selector.get("decoder", "json"),
        gzip=bool(selector.get("gzip")), delimiter=selector.get("delimiter", ","),
        encoding=selector.get("encoding", "utf-8"), filter=selector.get("filter"),
        transformations=tuple(transformations),
        transform_first=bool(selector.get("transform_first")))
