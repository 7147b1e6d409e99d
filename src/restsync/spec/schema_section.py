"""Read a connector document's **Schema** sections as declared ("known") columns.

Two shapes occur in the documents:

* a section per resource, ``### Domains Schema``, listing ``- **field**: description`` lines:
  each field becomes a known column of that resource with its description;
* one ``Schema`` section listing ``- **Profile**: Includes fields like `a`, `b```: each named
  field becomes a known column of that resource (no description).

Only names and descriptions are read: no type is guessed from prose, so known columns keep
inferred types; descriptions become column comments. Prose that names fields without saying
which resource has them ("fields such as `id`, `name`") is reported by ``check`` and not
applied. A column the spec itself declares wins over the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from restsync.spec.context import Context

_FIELD_LINE = re.compile(r"^\s*[-*+]\s+\*\*(?P<name>[^*]+?)\*\*\s*:?\s*(?P<text>.*)$")
_CODE = re.compile(r"`([^`]+)`")
_SCHEMA_HEADING = re.compile(r"^(?P<label>.*?)\s*schemas?$", re.IGNORECASE)


@dataclass
class DocumentSchema:
    """What a document's Schema sections declare.

    Attributes:
        columns: Resource name -> column (JSON key) -> ``{"description": ...}`` (may be empty).
        sources: Resource name -> the heading it was read from.
        unassigned: Field names named in prose without a resource.
    """

    columns: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    unassigned: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def match_resource(label: str, resources: Sequence[str]) -> str | None:
    """The resource a label names (``Domains`` -> ``domains``, ``Label`` -> ``labels``)."""
    key = _key(label)
    if not key:
        return None
    by_key = {_key(r): r for r in resources}
    for candidate in (key, key + "s", key + "es", key[:-1] if key.endswith("s") else None,
                      key[:-1] + "ies" if key.endswith("y") else None):
        if candidate and candidate in by_key:
            return by_key[candidate]
    return None


def read_schema_sections(sections: Mapping[str, str], resources: Sequence[str]
                         ) -> DocumentSchema:
    """Collect the known columns per resource from a document's sections."""
    out = DocumentSchema()
    for heading, body in sections.items():
        match = _SCHEMA_HEADING.match(heading.strip())
        if match is None:
            continue
        label = match.group("label")
        resource = match_resource(label, resources) if label else None
        if resource is not None:
            for line in body.splitlines():
                found = _FIELD_LINE.match(line)
                if found:
                    description = found.group("text").strip() or None
                    out.columns.setdefault(resource, {})[found.group("name").strip()] = (
                        {"description": description} if description else {})
            out.sources.setdefault(resource, heading)
            continue
        if label:
            continue
        for line in body.splitlines():
            found = _FIELD_LINE.match(line)
            named = match_resource(found.group("name"), resources) if found else None
            if found is not None and named is not None:
                for column in _CODE.findall(found.group("text")):
                    out.columns.setdefault(named, {}).setdefault(column.strip(), {})
                out.sources.setdefault(named, heading)
            elif found is None:
                out.unassigned.extend(c for c in _CODE.findall(line)
                                      if c not in out.unassigned)
    return out


def apply_document_schema(sections: Mapping[str, str], canonical: dict[str, Any],
                          ctx: Context) -> None:
    """Merge the document's known columns under each resource's ``columns`` (in place)."""
    resources = [r for r in canonical.get("resources") or () if isinstance(r, dict)]
    names = [r["name"] for r in resources if isinstance(r.get("name"), str)]
    schema = read_schema_sections(sections, names)
    for index, resource in enumerate(canonical.get("resources") or ()):
        if not isinstance(resource, dict):
            continue
        declared = schema.columns.get(resource.get("name", ""))
        if not declared:
            continue
        columns: dict[str, Any] = resource.setdefault("columns", {})
        added = []
        for name, hints in declared.items():
            if name in columns:
                if hints.get("description") and not columns[name].get("description"):
                    columns[name]["description"] = hints["description"]
                continue
            columns[name] = dict(hints)
            added.append(name)
        if added:
            described = sum(1 for n in added if declared[n].get("description"))
            shown = ", ".join(added[:6]) + (", ..." if len(added) > 6 else "")
            ctx.infer(("resources", index, "columns"),
                      f"{len(added)} known column(s) read from the document's "
                      f"\"{schema.sources[resource['name']]}\" section ({described} with "
                      f"descriptions, types inferred): {shown}")
    if schema.unassigned:
        shown = ", ".join(f"`{c}`" for c in schema.unassigned[:6])
        ctx.infer(("resources",), f"the Schema section names fields ({shown}) without saying "
                                  "which resource has them; not applied")
