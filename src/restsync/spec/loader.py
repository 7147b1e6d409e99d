"""``load_spec``: read -> overrides -> normalize -> resolve references -> validate."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restsync.errors import MissingValuesError, SpecError, SpecIssue
from restsync.spec.context import Context
from restsync.spec.document import ParsedDocument, read_document
from restsync.spec.files import FILE_FORMATS, prepare_raw, read_json, read_text
from restsync.spec.issues import Issues, RawPath
from restsync.spec.model import SourceConfig
from restsync.spec.normalize import normalize_source, to_identifier
from restsync.spec.overrides import apply_overrides
from restsync.spec.prose_retry import apply_prose_retry
from restsync.spec.schema_section import apply_document_schema
from restsync.spec.validate import resolve_refs, validate_source
from restsync.spec.values import ValueResolver

MAX_PATH_LENGTH = 1024


@dataclass
class RawSpec:
    """A spec as read, before overrides and normalization.

    Attributes:
        data: The raw spec (dicts/lists/scalars and reference objects).
        lines: Source line of raw paths, when known.
        label: File name (for messages), if read from a file.
        name_hint: A name from the source itself (``rest_api_source(name=...)``, file stem).
        document: The parsed document (prose, sections) for connector documents.
        issues: Problems found while reading.
    """

    data: Any
    lines: dict[RawPath, int] = field(default_factory=dict)
    label: str | None = None
    name_hint: str | None = None
    document: ParsedDocument | None = None
    issues: Issues = field(default_factory=Issues)


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > MAX_PATH_LENGTH or "\x00" in text or not text.strip():
        return False
    if os.path.splitext(text.strip())[1].lower() in FILE_FORMATS:
        return True
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def _sniff(text: str) -> str:
    stripped = text.lstrip()
    if "```" in text or "rest_api_source" in text or "dlt.secrets" in text \
            or "dlt.config" in text:
        return "document"
    if stripped.startswith(("{", "[")):
        probe = Issues()
        if read_json(text, probe) is not None and not probe:
            return "json"
        return "document" if stripped.startswith("{") else "yaml"
    return "yaml"


def read_raw(source: str | Path | Mapping[str, Any], *, fmt: str | None = None) -> RawSpec:
    """Read a spec from a file path, a text, or a mapping, without interpreting it.

    Args:
        source: A path (``.md``/``.txt``/``.py`` documents, ``.yaml``/``.yml``/``.json``/
            ``.toml`` files), the text of a spec (format sniffed), or a dict (from Python:
            dlt's paginator/auth/incremental objects and callables where dlt calls them are
            accepted; files and texts hold data only).
        fmt: Force the format of a text: ``document``, ``yaml``, ``json``, ``toml``.

    Returns:
        The raw spec; reading problems are in ``issues`` (not raised).
    """
    if isinstance(source, Mapping):  # from Python: dlt's objects and callables are accepted
        issues = Issues()
        return RawSpec(prepare_raw(source, issues, python=True), issues=issues)
    text: str
    label: str | None = None
    hint: str | None = None
    if isinstance(source, Path) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source)
        label, hint = str(path), path.stem
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return _failed(f"spec file not found: {path}", label)
        except (OSError, UnicodeDecodeError) as exc:
            return _failed(f"cannot read spec file {path}: {exc}", label)
        fmt = fmt or FILE_FORMATS.get(path.suffix.lower()) or _sniff(text)
    elif isinstance(source, str):
        text = source
        fmt = fmt or _sniff(text)
    else:
        return _failed(f"a spec source is a path, a text or a mapping, got "
                       f"{type(source).__name__}", None)
    issues = Issues(source=label)
    if fmt == "document":
        document = read_document(text, issues)
        data = prepare_raw(document.spec, issues) if document.spec is not None else None
        issues.lines.update(document.lines)
        return RawSpec(data, document.lines, label, document.name or hint, document, issues)
    data, lines = read_text(text, fmt, issues)
    if fmt == "yaml" and not isinstance(data, Mapping) and label is None and "=" in text:
        probe = Issues()
        toml_data, _ = read_text(text, "toml", probe)
        if not probe:
            issues, data, lines = Issues(), toml_data, {}
    issues.lines.update(lines)
    data = prepare_raw(data, issues)
    return RawSpec(data, lines, label, hint, None, issues)


def _failed(message: str, label: str | None) -> RawSpec:
    issues = Issues(source=label)
    issues.add("", message)
    return RawSpec(None, label=label, issues=issues)


def load_spec(
    source: str | Path | Mapping[str, Any],
    *,
    overrides: Sequence[str] = (),
    params: Mapping[str, Sequence[str]] | None = None,
    values: ValueResolver | None = None,
    name: str | None = None,
    resolve_values: bool = True,
) -> SourceConfig:
    """Load a spec in any accepted dialect into the canonical :class:`SourceConfig`.

    Args:
        source: A connector document / YAML / JSON / TOML file path, the text of one, or a
            dict in dlt's ``rest_api_source`` dialect (with restsync's extensions).
        overrides: ``PATH=VALUE`` strings (``--set``), applied before normalization.
        params: Free path parameters (``--param provider=google,microsoft``).
        values: Where secret/config values are looked up (default: environment, then
            ``.restsync/`` and ``.dlt/`` toml files in the working directory).
        name: Source name (default: the spec's ``name``, else the file stem, else ``rest_api``);
            normalized to an identifier.
        resolve_values: Look values up; ``False`` puts placeholders in (for ``check``).

    Returns:
        The validated source, with ``inferences`` listing what restsync decided.

    Raises:
        SpecError: Every problem in the spec, located.
        MissingValuesError: Secrets/config values not found (all of them listed).
    """
    raw, data, canonical = canonical_spec(source, overrides=overrides, name=name)
    issues = raw.issues
    source_name = canonical["name"]
    canonical["params"] = _free_params(params, issues)
    if issues:  # do not look values up for a spec that is wrong anyway
        if data is not None:  # an unreadable spec has only that problem to show
            resolved, _, holes = resolve_refs(canonical, None, source_name=source_name)
            validate_source(resolved, issues, ignore=holes)
        raise SpecError(issues.to_issues(data), source=raw.label)
    resolver = (values or ValueResolver()) if resolve_values else None
    resolved, missing, holes = resolve_refs(canonical, resolver, source_name=source_name)
    if missing and resolver is not None:
        raise MissingValuesError(missing, searched=resolver.searched(source_name))
    model = validate_source(resolved, issues, ignore=holes if not resolve_values else set())
    if model is None:
        if not issues:  # only placeholders failed (resolve_values=False)
            issues.add("", "the spec cannot be validated without its secret/config values; "
                           "run with values available")
        raise SpecError(issues.to_issues(data), source=raw.label)
    return model


def canonical_spec(source: str | Path | Mapping[str, Any], *, overrides: Sequence[str] = (),
                   name: str | None = None) -> tuple[RawSpec, Any, dict[str, Any]]:
    """Read, override and normalize a spec: the canonical dict before values are looked up.

    Returns:
        ``(raw, data, canonical)``: the spec as read (its ``issues`` hold every problem found
        so far), the raw data after the overrides, and the canonical dict with ``name`` and
        ``inferences`` (rendered paths) set; references are still :class:`SecretRef` /
        :class:`ConfigRef` objects.
    """
    raw = read_raw(source)
    issues = raw.issues
    issues.source = raw.label
    data = raw.data
    if overrides:
        data = apply_overrides(data, overrides, issues)
    ctx = Context(issues)
    canonical = normalize_source(data, ctx)
    if raw.document is not None:  # the document's Schema sections: known columns
        apply_document_schema(raw.document.sections, canonical, ctx)
    if raw.document is not None:  # the document's Error Handling prose: retry policy
        apply_prose_retry(canonical, raw.document.sections, ctx.infer)
    canonical["name"] = _source_name(name, data, raw, issues)
    canonical["inferences"] = [
        {"path": p, "message": m} for p, m in ctx.rendered_inferences(data)]
    return raw, data, canonical


def _source_name(name: str | None, data: Any, raw: RawSpec, issues: Issues) -> str:
    if name is not None:
        return to_identifier(name)
    declared = data.get("name") if isinstance(data, Mapping) else None
    if declared is not None:
        if isinstance(declared, str):
            return to_identifier(declared)
        issues.add(("name",), "the source name must be a string")
    return to_identifier(raw.name_hint or "rest_api")


def _free_params(params: Mapping[str, Sequence[str]] | None, issues: Issues) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, items in (params or {}).items():
        where = f"--param {key}"
        if not isinstance(key, str) or not key.isidentifier():
            issues.add(where, "a parameter name must be an identifier")
            continue
        if isinstance(items, str) or not isinstance(items, Sequence):
            issues.add(where, "parameter values must be a list of strings")
            continue
        if not items:
            issues.add(where, "give at least one value")
            continue
        out[key] = list(items)
    return out


__all__ = ["RawSpec", "SpecIssue", "canonical_spec", "load_spec", "read_raw"]
