"""A connector's config: read, references resolved, validated against the manifest's spec.

* ``config.json`` is the Airbyte config as the CDK reads it. A string that is exactly
  ``${secrets.NAME}`` or ``${config.NAME}`` is looked up as in every restsync spec
  (environment, ``.restsync/``/``.dlt/`` toml files; see :mod:`restsync.spec.values`).
* It is validated against ``spec.connection_specification`` (JSON Schema, with the
  ``jsonschema`` package) before anything is sent; every problem is reported with its path
  (``config.start_date``).
* Values under a property marked ``airbyte_secret: true`` (and every ``${secrets.*}``
  value) are secrets: masked in every message, event, state and log.

:func:`generate_config` makes a config from a spec (coverage reports, ``check`` without one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restsync.spec.issues import Issues
from restsync.spec.refs import ConfigRef, SecretRef, parse_ref_string
from restsync.spec.values import MISSING, ValueResolver

__all__ = ["ManifestConfig", "generate_config", "load_config", "secret_paths"]


class ManifestConfig:
    """A resolved, validated connector config.

    Attributes:
        values: The config (the ``config`` variable of templates).
        secrets: Every secret value in it (masked everywhere).
    """

    def __init__(self, values: dict[str, Any], secrets: list[str]) -> None:
        self.values = values
        self.secrets = secrets

    def __repr__(self) -> str:
        return f"ManifestConfig(keys={sorted(self.values)})"


def _read(source: str | Path | Mapping[str, Any] | None, issues: Issues) -> dict[str, Any]:
    if source is None:
        return {}
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        issues.add("--config", f"cannot read config file {path}: {exc}")
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        issues.add("--config", f"config file {path} is not valid JSON (line {exc.lineno}): "
                               f"{exc.msg}")
        return {}
    if not isinstance(data, dict):
        issues.add("--config", f"config file {path} must hold a JSON object")
        return {}
    return data


def _resolve(value: Any, where: str, resolver: ValueResolver | None, source_name: str,
             issues: Issues, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, f"{where}.{k}", resolver, source_name, issues, secrets)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, f"{where}[{i}]", resolver, source_name, issues, secrets)
                for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    try:
        ref = parse_ref_string(value)
    except ValueError as exc:
        issues.add(where, str(exc))
        return value
    if not isinstance(ref, SecretRef | ConfigRef):
        return ref if isinstance(ref, str) else value
    kind = "secret" if isinstance(ref, SecretRef) else "config"
    found = MISSING if resolver is None else resolver.lookup(kind, ref.name,
                                                             source_name=source_name)
    if found is MISSING:
        searched = "; ".join(resolver.searched(source_name)) if resolver else "nowhere"
        issues.add(where, f"{kind} `{ref.name}` not found (looked in: {searched})")
        return None
    if kind == "secret":
        secrets.append(str(found))
    return found


def secret_paths(schema: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Config paths whose schema says ``airbyte_secret: true`` (``oneOf``/``anyOf`` branches
    included)."""
    out: list[tuple[str, ...]] = []
    if not isinstance(schema, Mapping):
        return out
    if schema.get("airbyte_secret") is True:
        out.append(prefix)
    for key, sub in (schema.get("properties") or {}).items():
        out.extend(secret_paths(sub, (*prefix, str(key))))
    for combo in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(combo) or []:
            out.extend(secret_paths(sub, prefix))
    if isinstance(schema.get("items"), Mapping):
        out.extend(secret_paths(schema["items"], (*prefix, "*")))
    return out


def _values_at(data: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [data]
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(data, list):
        return [v for item in data for v in _values_at(item, rest)]
    if isinstance(data, Mapping) and head in data:
        return _values_at(data[head], rest)
    return []


def _validate(values: dict[str, Any], schema: Any, issues: Issues) -> None:
    if not isinstance(schema, Mapping) or not schema:
        return
    import jsonschema

    try:
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        issues.add("spec.connection_specification", f"not a valid JSON Schema: {exc.message}")
        return
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: [str(p) for p in e.path])
    for error in errors[:50]:
        path = list(error.path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            named = [k for k in error.validator_value
                     if k not in error.instance and f"{k!r} is" in error.message]
            if named:
                path.append(named[0])  # located at the missing property itself
        where = "config" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        message = error.message
        if error.validator in ("pattern", "enum", "const", "format", "type") and \
                isinstance(error.instance, str) and _is_secret_instance(error, schema):
            message = f"the value does not match ({error.validator})"
        issues.add(where, message)


def _is_secret_instance(error: Any, schema: Any) -> bool:
    return any(tuple(str(p) for p in error.path) == path for path in secret_paths(schema))


def load_config(source: str | Path | Mapping[str, Any] | None, spec: Any, issues: Issues, *,
                resolver: ValueResolver | None = None, source_name: str = "airbyte",
                validate: bool = True) -> ManifestConfig:
    """Read, resolve and validate a config.

    Args:
        source: A JSON file path, a mapping, or ``None`` (an empty config).
        spec: The manifest's ``spec`` component (``connection_specification`` is used).
        issues: Where problems go (located ``config.<path>``).
        resolver: Where ``${secrets.*}``/``${config.*}`` values are looked up.
        source_name: For ``[sources.<name>]`` sections and environment prefixes.
        validate: Check against the spec (off for a generated config).
    """
    raw = _read(source, issues)
    secrets: list[str] = []
    values = _resolve(raw, "config", resolver or ValueResolver(), source_name, issues, secrets)
    schema = spec.get("connection_specification") if isinstance(spec, Mapping) else None
    if validate and not issues:
        _validate(values, schema, issues)
    for path in secret_paths(schema):
        secrets.extend(str(v) for v in _values_at(values, path)
                       if v is not None and not isinstance(v, dict | list))
    return ManifestConfig(values, sorted({s for s in secrets if s}, key=len, reverse=True))


# --------------------------------------------------------------------------- generated configs


def _example(schema: Mapping[str, Any], name: str) -> Any:
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    for combo in ("oneOf", "anyOf"):
        options = schema.get(combo)
        if isinstance(options, list) and options and isinstance(options[0], Mapping):
            return _example({**{k: v for k, v in schema.items() if k != combo}, **options[0]},
                            name)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    fmt = str(schema.get("format", ""))
    if kind == "object" or "properties" in schema:
        return generate_config(schema, everything=False)
    if kind == "array":
        items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        return [_example(items or {"type": "string"}, name)]
    if kind == "integer":
        return int(schema.get("minimum", 1) or 1)
    if kind == "number":
        return float(schema.get("minimum", 1) or 1)
    if kind == "boolean":
        return False
    if fmt == "date-time" or ("date" in name and "T" in str(schema.get("pattern", "T"))):
        return "2024-01-01T00:00:00Z"
    if fmt == "date" or "date" in name:
        return "2024-01-01"
    if "url" in name or fmt == "uri":
        return "https://example.com"
    return f"example-{name}"


def generate_config(spec_schema: Any, *, everything: bool = True) -> dict[str, Any]:
    """A config a spec accepts: required properties and those with a ``const`` or a
    ``default`` (with ``everything``: all of them) filled from ``const``/``default``/``enum``/``examples``, else a value of the type."""
    if not isinstance(spec_schema, Mapping):
        return {}
    required = set(spec_schema.get("required") or [])
    out: dict[str, Any] = {}
    for name, sub in (spec_schema.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        if name in required or everything or "const" in sub or "default" in sub:
            out[str(name)] = _example(sub, str(name))
    return out
