"""Resolve references and validate the canonical dict into :class:`SourceConfig`.

Pydantic errors are converted into located :class:`~restsync.errors.SpecIssue` items
(paths with resource names, no input values), never shown as a raw traceback.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from restsync.errors import MissingValue
from restsync.spec.issues import Issues, RawPath, render_path
from restsync.spec.model import SourceConfig
from restsync.spec.refs import ConfigRef, SecretRef
from restsync.spec.values import MISSING, ValueResolver

MAX_UNWRAP_ROUNDS = 8


def resolve_refs(
    data: Any,
    resolver: ValueResolver | None,
    *,
    source_name: str | None,
    path: RawPath = (),
    root: Any = None,
    missing: list[MissingValue] | None = None,
    placeholders: set[RawPath] | None = None,
) -> tuple[Any, list[MissingValue], set[RawPath]]:
    """Replace references in the canonical dict by their values.

    Secrets become :class:`SecretStr`; config values keep their type. Without a resolver
    (``resolve_values=False``) or for missing values, a placeholder is put in and its path
    recorded, so validation errors there can be ignored.

    Returns:
        The resolved copy, the missing values, the placeholder paths.
    """
    missing = [] if missing is None else missing
    placeholders = set() if placeholders is None else placeholders
    root = data if root is None else root
    if isinstance(data, SecretRef | ConfigRef):
        kind = "secret" if isinstance(data, SecretRef) else "config"
        value = MISSING if resolver is None else resolver.lookup(kind, data.name,
                                                                 source_name=source_name)
        if value is MISSING:
            if resolver is not None:
                missing.append(MissingValue(kind, data.name, render_path(path, root)))
            placeholders.add(path)
            return (SecretStr("") if kind == "secret" else str(data)), missing, placeholders
        if kind == "secret":
            return SecretStr(value if isinstance(value, str) else str(value)), missing, placeholders
        return value, missing, placeholders
    if isinstance(data, Mapping):
        out = {}
        for key, item in data.items():
            if isinstance(item, SecretRef | ConfigRef) and item.optional and (
                    resolver is None or resolver.lookup(
                        "secret" if isinstance(item, SecretRef) else "config", item.name,
                        source_name=source_name) is MISSING):
                continue  # an optional value nobody has: the model's default applies
            out[key], _, _ = resolve_refs(item, resolver, source_name=source_name,
                                          path=(*path, key), root=root, missing=missing,
                                          placeholders=placeholders)
        return out, missing, placeholders
    if isinstance(data, list):
        items = []
        for i, item in enumerate(data):
            value, _, _ = resolve_refs(item, resolver, source_name=source_name, path=(*path, i),
                                       root=root, missing=missing, placeholders=placeholders)
            items.append(value)
        return items, missing, placeholders
    return data, missing, placeholders


_SCALAR_TAGS = frozenset({"str", "int", "float", "bool", "none", "any", "bytes"})


def _union_tag(element: Any) -> str | None:
    """``"scalar"``/``"model"`` when ``element`` names a union member rather than a field."""
    if not isinstance(element, str):
        return None
    if element in _SCALAR_TAGS or element.startswith(("list[", "dict[", "literal[",
                                                      "is-instance[", "function-")):
        return "scalar"
    if element[:1].isupper():
        return "model"
    return None


def _tag_here(node: Mapping[str, Any], element: str, rest: tuple[Any, ...]) -> bool:
    """A key equal to the mapping's ``type`` (``api_key``) is the union tag when the error
    location goes on below it although the key's value is a scalar."""
    return bool(rest) and not isinstance(node[element], Mapping | list)


def canonical_path(loc: tuple[Any, ...], data: Any) -> RawPath | None:
    """Drop pydantic's union tags (``'bearer'``, ``'str'``...) from an error location.

    Returns:
        The path in the data, or ``None`` when the error concerns a union member that does
        not match the input's kind (a scalar member's error for a mapping input, or the
        reverse) and so says nothing useful.
    """
    out: list[str | int] = []
    node: Any = data
    for pos, element in enumerate(loc):
        tag = _union_tag(element)
        if isinstance(node, Mapping):
            if element in node and not (node.get("type") == element
                                        and _tag_here(node, element, loc[pos + 1:])):
                out.append(element)
                node = node[element]
            elif isinstance(element, str) and node.get("type") == element:
                continue  # discriminated-union tag
            elif tag == "scalar":
                return None
            elif tag == "model":
                continue
            else:
                out.append(element)
                node = None
        elif isinstance(node, list) and isinstance(element, int):
            out.append(element)
            node = node[element] if -len(node) <= element < len(node) else None
        elif node is not None and tag is not None:
            if tag == "model" or (tag == "scalar" and isinstance(node, list)
                                  and not str(element).startswith("list[")):
                return None
            continue  # union member tag on a scalar ('str', 'is-instance[SecretStr]', ...)
        else:
            out.append(element)
    return tuple(out)


def _get(data: Any, path: RawPath) -> Any:
    node = data
    for element in path:
        found = (isinstance(node, Mapping) and element in node) or (
            isinstance(node, list) and isinstance(element, int) and element < len(node))
        if found:
            node = node[element]
        else:
            return None
    return node


def _set(data: Any, path: RawPath, value: Any) -> None:
    parent = _get(data, path[:-1])
    parent[path[-1]] = value


def _members(annotation: Any) -> list[Any]:
    """The classes an annotation may hold (unwrapping Annotated, unions, list and dict)."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(args[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in args for m in _members(a)]
    if origin in (list, dict):
        return _members(args[-1]) if args else []
    return [annotation]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model whose key ``loc[-1]`` is, following pydantic's error location."""
    candidates: list[Any] = [SourceConfig]
    for element in loc[:-1]:
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not models:
            return None
        nxt: list[Any] = []
        for model in models:
            if isinstance(element, str) and element in model.model_fields:
                nxt += _members(model.model_fields[element].annotation)
        if not nxt:  # a union tag ('cursor'), a list index or a dict key: stay, or narrow
            nxt = [m for m in models if _tag_matches(m, element)] or models
        candidates = nxt
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


def _tag_matches(model: type[BaseModel], element: Any) -> bool:
    if not isinstance(element, str):
        return False
    field = model.model_fields.get("type")
    return element == model.__name__ or (field is not None and field.default == element)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1]) if error.get("loc") else ""
        model = _model_at(tuple(error.get("loc") or ()))
        if model is None:
            return f"unknown key '{key}'"
        known = sorted(f for f, info in model.model_fields.items() if info.exclude is not True)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key '{key}' ({hint}known: {', '.join(known)})"
    return str(error["msg"])


def validate_source(data: dict[str, Any], issues: Issues, *, ignore: set[RawPath]) -> \
        SourceConfig | None:
    """Validate ``data``; problems go to ``issues`` (rendered with resource names).

    A secret used where the model wants a plain string (a username, a query parameter) is
    unwrapped to a plain string there.

    Args:
        data: The canonical dict with values resolved (modified in place for unwrapping).
        issues: Collector.
        ignore: Paths holding placeholders; errors at or under them are not reported.

    Returns:
        The model, or ``None`` when it does not validate.
    """
    for _ in range(MAX_UNWRAP_ROUNDS):
        try:
            return SourceConfig.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False, include_context=False)
        unwrapped = False
        for error in errors:
            path = canonical_path(tuple(error["loc"]), data)
            value = _get(data, path) if path else None
            if error["type"] == "string_type" and isinstance(value, SecretStr) and path:
                _set(data, path, value.get_secret_value())
                unwrapped = True
        if not unwrapped:
            break
    else:  # pragma: no cover - bounded by the number of secrets in a spec
        return None
    messages: dict[str, tuple[RawPath, list[str]]] = {}
    for error in errors:
        path = canonical_path(tuple(error["loc"]), data)
        if path is None:
            continue
        if any(path[:n] in ignore for n in range(len(path) + 1)) or issues.is_reported(path):
            continue
        rendered = render_path(path, data)
        found = messages.setdefault(rendered, (path, []))[1]
        if _message(error) not in found:  # unions give one error per member: join them
            found.append(_message(error))
    for rendered, (path, texts) in messages.items():
        issues.add(rendered, "; ".join(texts), line=issues.line_of(path))
    return None
