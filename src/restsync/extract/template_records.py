"""Records of a templated endpoint: decode the body, extract, filter, transform.

The extraction follows Airbyte's ``DpathExtractor``: keys are walked from the body (``*``
takes every value of a list or object there); a list found gives its items, an object one
record, nothing found no record. Filters and transformations get templates'
variables (``record``, ``stream_slice``, ``config``...) from the caller.
"""

from __future__ import annotations

import csv
import gzip
import io
import operator
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

from restsync.errors import ResponseError
from restsync.extract.http import Response
from restsync.spec.templated import RecordPipeline, TemplatedEndpoint, Transformation

__all__ = ["body_keys", "decode_body", "extract_records", "is_gzip", "transform_records"]

_FALSE_VALUES = ("False", "false", "{}", "[]", "()", "", "0", "0.0")


def truthy(value: Any) -> bool:
    """Whether a rendered condition holds (the CDK's ``InterpolatedBoolean`` rule)."""
    if value is None or value is False or value in ({}, [], (), set()):
        return False
    if isinstance(value, str) and value in _FALSE_VALUES:
        return False
    return not (isinstance(value, int | float) and not isinstance(value, bool) and value == 0)


def is_gzip(body: bytes | bytearray) -> bool:
    """Whether ``body`` starts with gzip's magic bytes (read as gzip by every decoder)."""
    return body[:2] == b"\x1f\x8b"


def decode_body(body: bytes | bytearray, pipeline: RecordPipeline, location: str) -> list[Any]:
    """The body's parsed documents (one for JSON, one per line for JSON lines, the rows of
    a CSV as one list).

    Raises:
        ResponseError: The body is not what the decoder reads.
    """
    data: bytes | bytearray = body  # read in place: a page's body is not copied
    if pipeline.gzip or is_gzip(data):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            if pipeline.gzip:
                raise ResponseError(f"body is not gzip: {exc}", location=location) from None
    try:
        if pipeline.decoder == "jsonl":
            return [orjson.loads(line) for line in data.splitlines() if line.strip()]
        if pipeline.decoder == "csv":
            text = data.decode(pipeline.encoding, errors="replace")
            return [list(csv.DictReader(io.StringIO(text), delimiter=pipeline.delimiter))]
        if not data or data.isspace():
            return [{}]
        return [orjson.loads(data)]
    except orjson.JSONDecodeError as exc:
        raise ResponseError(f"body is not valid JSON ({exc})", location=location) from None


def _walk(node: Any, path: list[str]) -> Iterator[Any]:
    if not path:
        yield node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        items = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) \
            else []
        for item in items:
            yield from _walk(item, rest)
        return
    if isinstance(node, Mapping):
        if head in node:
            yield from _walk(node[head], rest)
    elif isinstance(node, list) and re.fullmatch(r"-?\d+", head):
        index = int(head)
        if -len(node) <= index < len(node):
            yield from _walk(node[index], rest)


def extract_records(documents: list[Any], path: list[str]) -> list[dict[str, Any]]:
    """Records at ``path`` of each document (Airbyte's ``DpathExtractor``)."""
    out: list[dict[str, Any]] = []
    for document in documents:
        if not path:
            found: Any = document
        elif "*" in path:
            found = list(_walk(document, path))
        else:
            values = list(_walk(document, path))
            found = values[0] if values else []
        items = found if isinstance(found, list) else [found] if found else []
        if all(type(item) is dict for item in items):  # the usual page: no item to wrap
            out.extend(items)
            continue
        out.extend(item if isinstance(item, dict) else {"value": item} for item in items)
    return out


# --------------------------------------------------------------------------- transformations


def _set_path(record: dict[str, Any], path: list[str], value: Any) -> None:
    node: Any = record
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value


def _remove(node: Any, path: tuple[str, ...], keep: Any) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        keys = list(node) if head == "*" else [head] if head in node else []
        for key in keys:
            if rest:
                _remove(node[key], rest, keep)
            elif keep is None or keep(node[key]):
                del node[key]
    elif isinstance(node, list):
        indexes = range(len(node)) if head == "*" else (
            [int(head)] if re.fullmatch(r"\d+", head) and int(head) < len(node) else [])
        for index in indexes:
            if rest:
                _remove(node[index], rest, keep)


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                item_name = f"{name}.{i}"
                if isinstance(item, dict):
                    out.update(_flatten(item, item_name))
                else:
                    out[item_name] = item
        else:
            out[name] = value
    return out


def _snake(key: str) -> str:
    key = re.sub(r"[^\w]+", "_", key)
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return key.strip("_").lower()


def _convert(value: Any, value_type: str | None) -> Any:
    if value_type is None or value is None:
        return value
    try:
        if value_type == "string":
            return str(value)
        if value_type == "integer":
            return int(value)
        if value_type == "number":
            return float(value) if not isinstance(value, int) else value
        if value_type == "boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
    except (TypeError, ValueError):
        return value
    return value


def apply_transformation(step: Transformation, record: dict[str, Any],
                         variables: dict[str, Any]) -> dict[str, Any]:
    """One transformation of one record (in place where it can be)."""
    if step.kind == "add":
        scope = {**variables, "record": record}
        if step.condition is not None and not truthy(step.condition.render(scope)):
            return record
        for add in step.fields:
            value = _convert(add.value.render(scope), add.value_type)
            _set_path(record, [str(p.render(scope)) for p in add.path], value)
        return record
    if step.kind == "remove":
        keep = None
        if step.condition is not None:
            condition = step.condition

            def keep(value: Any) -> bool:
                return truthy(condition.render({**variables, "property": value}))
        for path in step.paths:
            _remove(record, path, keep)
        return record
    if step.kind == "flatten":
        return _flatten(record)
    if step.kind == "keys_to_lower":
        return {str(k).lower(): v for k, v in record.items()}
    if step.kind == "keys_to_snake":
        return {_snake(str(k)): v for k, v in record.items()}
    if step.kind == "keys_replace":
        assert step.old is not None and step.new is not None
        scope = {**variables, "record": record}
        old, new = str(step.old.render(scope)), str(step.new.render(scope))
        return {str(k).replace(old, new): v for k, v in record.items()}
    if step.kind == "dpath_flatten":
        values = list(_walk(record, list(step.paths[0]))) if step.paths else []
        found = values[0] if values else None
        if isinstance(found, dict):
            if step.replace_record:
                return dict(found)
            if step.delete_origin:
                _remove(record, step.paths[0], None)
            for key, value in found.items():
                record.setdefault(key, value)
        return record
    return record


def transform_records(records: list[dict[str, Any]], pipeline: RecordPipeline,
                      variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Filter and transform one page's records (filter first unless ``transform_first``).

    With neither a filter nor a transformation, ``records`` itself is returned (no copy).
    """
    if pipeline.filter is None and not pipeline.transformations:
        return records
    out: list[dict[str, Any]] = []
    for record in records:
        if pipeline.transform_first:
            for step in pipeline.transformations:
                record = apply_transformation(step, record, variables)
        if pipeline.filter is not None and not truthy(
                pipeline.filter.render({**variables, "record": record})):
            continue
        if not pipeline.transform_first:
            for step in pipeline.transformations:
                record = apply_transformation(step, record, variables)
        out.append(record)
    return out


def body_keys(te: TemplatedEndpoint, path: list[str], response: Response,
              documents: list[Any], raw: list[dict[str, Any]],
              records: Sequence[dict[str, Any]]
              ) -> tuple[str, ...] | None:
    """The path of object keys at which ``records`` are exactly the list in the response's
    JSON body (so that a reader of the raw body finds the same records), else None.

    None unless: the body is one plain JSON document (not JSON lines, CSV or gzip), the path
    has no ``*`` and no list index and leads to a list, the records are that list's items
    themselves (none wrapped as ``{"value": ...}``), and no filter, transformation or
    client-side window changed the extracted list.
    """
    if records is not raw or not raw or response.status == 204 or len(documents) != 1:
        return None
    pipeline = te.records
    if pipeline.decoder != "json" or pipeline.gzip or is_gzip(response.body):
        return None
    if any(key == "*" or key.lstrip("-").isdigit() for key in path):
        return None
    found: Any = documents[0]
    for key in path:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, list) or len(found) != len(raw) \
            or not all(map(operator.is_, found, raw)):
        return None
    return tuple(path)
