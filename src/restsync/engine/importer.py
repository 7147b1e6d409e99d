"""``restsync import``: a document (or any spec) written out as an explicit YAML spec.

Every decision restsync makes about a spec (the spec stage's inferences, and the plan's: how
each path placeholder is bound, which endpoints detect their paginator at run time) is
written as configuration, with a comment above it saying where it came from. Secrets and
config values stay references (``${secrets.client_id}``), never values. Running the written
spec loads the same tables as running the document (given the same ``--param`` values).

What cannot be decided without the API (a paginator or records path detected on the first
response) stays a run-time decision: ``paginator: {type: auto}`` / no ``data_selector``, with a
comment saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from restsync.plan import Binding, build_plan
from restsync.spec import load_spec
from restsync.spec.loader import canonical_spec
from restsync.spec.model import SourceConfig
from restsync.spec.refs import ConfigRef, SecretRef
from restsync.spec.yaml_writer import dump_with_comments

_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
_RENAMED = re.compile(r"^(resources\[[^\]]*\]\.)incremental_sync$")
"""A document key the canonical spec holds elsewhere (its comment goes there)."""


@dataclass
class ImportedSpec:
    """The explicit spec and what went into it.

    Attributes:
        text: The YAML text.
        name: The source name (the dataset name a run derives from it).
        inferences: ``(path, message)`` of every inference written out.
    """

    text: str
    name: str
    inferences: list[tuple[str, str]] = field(default_factory=list)


def import_spec(source: str | Path, *, params: Mapping[str, Sequence[str]] | None = None,
                overrides: Sequence[str] = ()) -> ImportedSpec:
    """Write ``source`` (a document, YAML, JSON or TOML spec) as an explicit YAML spec.

    Args:
        source: The spec file.
        params: The ``--param`` values runs will pass (a placeholder they fill is not bound
            by inference, so it stays a placeholder).
        overrides: ``--set`` values to apply first (they end up in the written spec).

    Raises:
        SpecError: The spec has problems (the same as ``check`` reports).
    """
    checked = load_spec(source, overrides=overrides, params=params, resolve_values=False)
    plan = build_plan(checked, lookup=lambda name: ["<free>"])
    _, _, canonical = canonical_spec(source, overrides=overrides)
    data: dict[str, Any] = {"name": canonical["name"]}
    data.update({k: v for k, v in canonical.items() if k not in ("name", "inferences")})
    comments: dict[str, list[str]] = {}

    def note(path: str, message: str) -> None:
        if message not in comments.setdefault(path, []):
            comments[path].append(message)

    written: list[tuple[str, str]] = []
    spec_paths = {(i.path, i.message) for i in checked.inferences}
    for inference in plan.inferences:
        path, message = inference.path, inference.message
        if (path, message) in spec_paths:
            _fill_from_model(data, checked, path)
        target = _plan_inference(data, plan, path, message)
        if target is not None:
            message = re.sub(r"; override with --param \S+", "", message)
            message += "; written out as a `resolve` param"
        target = target or _RENAMED.sub(r"\g<1>endpoint.incremental", path)
        note(target, message)
        written.append((target, message))
    data["resources"] = [_name_first(r) for r in data.get("resources", [])]
    header = [f"restsync spec written by `restsync import` from {source}.",
              "Every value restsync inferred is written out, with a comment saying where it "
              "came from.",
              "Secrets and config values are references (${secrets.NAME}, ${config.NAME}): "
              "set them in the environment or .restsync/secrets.toml."]
    if params:
        header.append("Run it with the same --param values: "
                      + " ".join(f"--param {k}={','.join(map(str, v))}"
                                 for k, v in params.items()))
    return ImportedSpec(dump_with_comments(_plain(data), comments, header), data["name"],
                        written)


def _plan_inference(data: dict[str, Any], plan: Any, path: str, message: str) -> str | None:
    """Write a plan inference into ``data``; the path its comment goes to (None: as given)."""
    tokens = _tokens(path)
    if len(tokens) < 2 or tokens[0] != "resources":
        return None
    resource = _resource(data, tokens[1])
    rp = plan.resources.get(tokens[1])
    if resource is None or rp is None:
        return None
    endpoint = resource.setdefault("endpoint", {})
    if tokens[2:] == ["endpoint", "paginator"] and endpoint.get("paginator") is None \
            and rp.paginator is not None and rp.paginator.type == "auto":
        endpoint["paginator"] = {"type": "auto"}
        return None
    if tokens[2:] == ["endpoint", "path"]:
        for b in rp.bindings:
            if _binding_of(b, message) and b.how == "inferred" and b.kind == "resource":
                params = endpoint.setdefault("params", {})
                params[b.name] = {"type": "resolve", "resource": b.resource, "field": b.field}
                return f"{path[:-len('.path')]}.params.{b.name}"
    return None


def _name_first(resource: Any) -> Any:
    if not isinstance(resource, dict):
        return resource
    order = ["name", "endpoint"]
    return {**{k: resource[k] for k in order if k in resource},
            **{k: v for k, v in resource.items() if k not in order}}


def _binding_of(binding: Binding, message: str) -> bool:
    return f"`{{{binding.placeholder}}}`" in message


def _fill_from_model(data: dict[str, Any], source: SourceConfig, path: str) -> None:
    """Put the value the model ended up with at ``path`` into ``data`` when the spec left it
    out (a default restsync inferred, e.g. a paginator's ``limit_param``)."""
    tokens = _tokens(path)
    node: Any = data
    model: Any = source
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(node, list):
            node = _resource(data, token) if tokens[i - 1] == "resources" else None
            model = next((r for r in source.resources if r.name == token), None)
            if node is None or model is None:
                return
            continue
        if not isinstance(node, dict):
            return
        model = _attribute(model, token)
        if last:
            if token not in node and model is not None:
                node[token] = _dumped(model)
            return
        if token not in node:
            return
        node = node[token]


def _attribute(model: Any, name: str) -> Any:
    if model is None:
        return None
    if isinstance(model, BaseModel):
        for field_name, info in type(model).model_fields.items():
            if name in (field_name, info.alias):
                return getattr(model, field_name)
        return None
    if isinstance(model, Mapping):
        return model.get(name)
    return None


def _dumped(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def _tokens(path: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(2)
            for m in _TOKEN.finditer(path)]


def _resource(data: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    for resource in data.get("resources", []):
        if isinstance(resource, dict) and resource.get("name") == name:
            return resource
    return None


def _plain(value: Any) -> Any:
    """References as ``${...}`` strings; optional references (looked up in configuration
    only when present) left out, as the spec stage adds them again."""
    if isinstance(value, SecretRef | ConfigRef):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()
                if not (isinstance(v, SecretRef | ConfigRef) and v.optional)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str) and value.startswith("${"):
        return "$" + value  # a literal `${`: escaped so it does not read as a reference
    return value
