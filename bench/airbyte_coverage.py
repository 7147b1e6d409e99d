"""Coverage of Airbyte manifests: how many compile and plan, and what stops the rest.

``python -m bench.airbyte_coverage DIR [--json OUT] [--show N]`` finds every
``manifest.yaml`` under DIR (for example Airbyte's ``airbyte-integrations/connectors``),
compiles each with a config generated from its ``spec.connection_specification`` (the
generated config is not validated: it is ours) and builds restsync's plan. A manifest is:

* ``clean``: every stream compiles and the plan builds;
* ``partial``: some streams are refused (``--streams`` runs the others);
* ``failed``: nothing runs (or the plan does not build, or restsync crashed).

Manifests with a custom component (``class_name:`` anywhere) are counted apart, as the
issue's target is the share of the others. Refusals are counted by component type (once per
manifest), with the most frequent messages. Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ManifestResult", "check_manifest", "main", "summarize"]


@dataclass
class ManifestResult:
    """What became of one manifest."""

    path: str
    custom: bool
    status: str  # clean | partial | failed
    streams: int = 0
    refused_streams: int = 0
    causes: list[str] = field(default_factory=list)
    """Component types (or ``crash``/``plan``/``manifest``) that stop a stream."""
    messages: list[str] = field(default_factory=list)


def _has_custom(node: Any) -> bool:
    if isinstance(node, dict):
        return "class_name" in node or any(_has_custom(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_custom(v) for v in node)
    return False


def _stream_names(raw: Any) -> list[str]:
    from restsync.spec.airbyte.manifest import prepare_manifest
    from restsync.spec.issues import Issues

    prepared = prepare_manifest(raw, Issues()) or {}
    return [s["name"] for s in prepared.get("streams") or []
            if isinstance(s, dict) and isinstance(s.get("name"), str)]


def check_manifest(path: Path) -> ManifestResult:
    """Compile and plan one manifest with a generated config."""
    from restsync.plan import build_plan
    from restsync.spec.airbyte import compile_manifest, generate_config

    label = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"),
                        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        return ManifestResult(label, False, "failed", causes=["manifest"],
                              messages=[f"unreadable: {exc}"])
    custom = _has_custom(raw)
    schema = ((raw.get("spec") or {}).get("connection_specification")
              if isinstance(raw, dict) else None)
    try:
        source, refusals, problems = compile_manifest(
            path, config=generate_config(schema), validate=False,
            name=path.parent.name)
    except Exception as exc:  # a crash is a finding of this report
        return ManifestResult(label, custom, "failed", causes=["crash"],
                              messages=[f"{type(exc).__name__}: {exc}",
                                        traceback.format_exc(limit=-3)])
    result = ManifestResult(label, custom, "clean")
    for refusal in refusals:
        result.causes.append(refusal.kind)
        result.messages.append(refusal.message)
    if problems:
        result.causes.append("manifest")
        result.messages.extend(f"{p.path}: {p.message}" for p in problems)
    if source is None and refusals and not problems:  # run the others, as --streams does
        others = [n for n in _stream_names(raw) if n not in {r.stream for r in refusals}]
        if others:
            try:
                source, _, _ = compile_manifest(path, config=generate_config(schema),
                                                validate=False, name=path.parent.name,
                                                streams=others)
            except Exception as exc:  # a crash is a finding of this report
                return ManifestResult(label, custom, "failed", causes=["crash"],
                                      messages=[f"{type(exc).__name__}: {exc}",
                                                traceback.format_exc(limit=-3)])
            result.status = "partial"
    refused = {r.stream for r in refusals}
    result.refused_streams = len(refused)
    result.streams = len(refused | ({r.name for r in source.resources if r.selected}
                                    if source is not None else set()))
    if source is None:
        result.status = "failed"
        return result
    try:
        build_plan(source)
    except Exception as exc:
        result.status = "failed"
        result.causes.append("plan")
        result.messages.append(f"plan: {type(exc).__name__}: {exc}")
        return result
    if refusals:
        result.status = "partial"
    return result


def summarize(results: list[ManifestResult], show: int = 25) -> str:
    """The report: shares, then the causes by component type."""
    lines: list[str] = []

    def share(group: list[ManifestResult], title: str) -> None:
        n = len(group)
        if not n:
            return
        status = Counter(r.status for r in group)
        lines.append(f"{title}: {n} manifests")
        for key in ("clean", "partial", "failed"):
            lines.append(f"  {key:8} {status[key]:4}  {100 * status[key] / n:5.1f}%")
        runs = status["clean"] + status["partial"]
        lines.append(f"  compile and plan (clean or partial): {runs} ({100 * runs / n:.1f}%)")
        total = sum(r.streams for r in group)
        refused = sum(r.refused_streams for r in group)
        if total:
            lines.append(f"  streams: {total}, refused: {refused} "
                         f"({100 * (total - refused) / total:.1f}% run)")

    plain = [r for r in results if not r.custom]
    share(results, "all")
    share(plain, "without custom components")
    share([r for r in results if r.custom], "with custom components")
    for title, group in (("without custom components", plain), ("all", results)):
        causes: Counter[str] = Counter()
        blocking: Counter[str] = Counter()
        for r in group:
            causes.update(set(r.causes))
            if r.status == "failed":
                blocking.update(set(r.causes))
        lines.append(f"causes ({title}): manifests with a refused stream, by component "
                     "[manifests where nothing runs]")
        for kind, n in causes.most_common(show):
            lines.append(f"  {n:4} [{blocking[kind]:4}]  {kind}")
    messages: Counter[str] = Counter()
    for r in plain:
        messages.update({m.splitlines()[0][:160] for m in r.messages})
    lines.append("most frequent messages (without custom components):")
    for message, n in messages.most_common(show):
        lines.append(f"  {n:4}  {message}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--json", type=Path, help="write every result here")
    parser.add_argument("--show", type=int, default=25, help="causes/messages to list")
    args = parser.parse_args(argv)
    paths = sorted(args.directory.rglob("manifest.yaml"))
    paths = [p for p in paths if "unit_tests" not in p.parts]
    results = [check_manifest(p) for p in paths]
    print(summarize(results, args.show))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
