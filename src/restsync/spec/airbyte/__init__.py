"""Airbyte's declarative manifests (``type: DeclarativeSource``), the third spec dialect.

Public API::

    load_manifest(source, *, config=None, streams=None, values=None, name=None)
        -> SourceConfig
    is_manifest(data) -> bool

The manifest is read (YAML), its ``$ref`` s resolved, default types and ``$parameters``
applied as the CDK does (:mod:`.manifest`); the config is read, its references resolved and
validated against ``spec.connection_specification`` (:mod:`.config`); then each stream is
compiled, one component family per module, through one registry (:mod:`.registry`), into a
resource whose requests are templates (:mod:`restsync.spec.templated`). Nothing of it runs
Python from the manifest: templates are Jinja in a sandbox (:mod:`.interpolation`) and
custom components (``class_name:``) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from restsync.errors import SpecError, SpecIssue
from restsync.spec.airbyte.config import ManifestConfig, generate_config, load_config
from restsync.spec.airbyte.manifest import is_manifest, prepare_manifest, read_manifest
from restsync.spec.airbyte.source import StreamRefusal, compile_source
from restsync.spec.issues import Issues
from restsync.spec.model import SourceConfig
from restsync.spec.normalize import to_identifier
from restsync.spec.values import ValueResolver

__all__ = ["ManifestConfig", "StreamRefusal", "compile_manifest", "generate_config",
           "is_manifest", "load_manifest", "read_manifest_file"]


def read_manifest_file(source: str | Path | Mapping[str, Any], issues: Issues
                       ) -> tuple[Any, str | None, Path | None]:
    """``(raw manifest, label, folder)`` of a path, a YAML text or a mapping."""
    if isinstance(source, Mapping):
        return dict(source), None, None
    if isinstance(source, Path) or ("\n" not in str(source) and Path(str(source)).is_file()):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.add("", f"cannot read manifest {path}: {exc}")
            return None, str(path), None
        return read_manifest(text, issues), str(path), path.parent
    return read_manifest(str(source), issues), None, None


def compile_manifest(source: str | Path | Mapping[str, Any], *,
                     config: str | Path | Mapping[str, Any] | None = None,
                     streams: Sequence[str] | None = None, values: ValueResolver | None = None,
                     name: str | None = None, validate: bool = True
                     ) -> tuple[SourceConfig | None, list[StreamRefusal], list[SpecIssue]]:
    """Compile a manifest; problems are returned, not raised (for reports).

    Returns:
        ``(source or None, refused streams, located problems)``.
    """
    issues = Issues()
    raw, label, folder = read_manifest_file(source, issues)
    issues.source = label
    if raw is None or issues:
        return None, [], issues.to_issues(raw)
    prepared = prepare_manifest(raw, issues)
    if prepared is None:
        return None, [], issues.to_issues(raw)
    source_name = to_identifier(name or (Path(label).parent.name if label else "airbyte")
                                .removeprefix("source-"))
    loaded = load_config(config, prepared.get("spec"), issues, resolver=values,
                         source_name=source_name, validate=validate)
    if issues:
        return None, [], issues.to_issues(raw)
    compiled, refusals, compiler = compile_source(
        prepared, loaded.values, name=source_name, streams=streams, base=folder,
        secrets=loaded.secrets)
    return compiled, refusals, compiler.issues.to_issues(raw)


def load_manifest(source: str | Path | Mapping[str, Any], *,
                  config: str | Path | Mapping[str, Any] | None = None,
                  streams: Sequence[str] | None = None, values: ValueResolver | None = None,
                  name: str | None = None) -> SourceConfig:
    """Compile an Airbyte manifest with its config into restsync's model.

    Args:
        source: The manifest: a path, its YAML text, or the parsed mapping.
        config: The connector config: a JSON file path or a mapping (``${secrets.x}`` and
            ``${config.x}`` references are looked up as for every spec).
        streams: Run only these streams (their parents are extracted too).
        values: Where references are looked up (default: environment and toml files).
        name: Source name (default: the manifest's folder without ``source-``).

    Raises:
        SpecError: The manifest or the config is wrong, or a stream to run uses a component
            restsync does not run (each named with its manifest path).
    """
    compiled, refusals, problems = compile_manifest(source, config=config, streams=streams,
                                                    values=values, name=name)
    if compiled is None or problems:
        wanted = set(streams or [])
        items = list(problems)
        items += [SpecIssue(r.where, f"stream `{r.stream}`: {r.message}")
                  for r in refusals if not wanted or r.stream in wanted]
        if refusals and not streams:
            runnable = "none" if compiled is None else ""
            items.append(SpecIssue("--streams", "run the other streams with --streams "
                                   + (runnable or "a,b")))
        raise SpecError(items or [SpecIssue("", "the manifest has no stream to run")])
    return compiled
