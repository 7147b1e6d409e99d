"""How each placeholder of a resource gets its value.

A placeholder ``{x}`` in an endpoint path (or a ``resolve`` param) is bound, in this order:

1. explicitly: dlt's ``{resources.<parent>.<field>}`` or a ``type: resolve`` param;
2. by ``--param x=...`` / the ``params`` of the source (an explicit param always wins over
   any inference);
3. by inference (shown by ``check``):
   * ``{x_id}`` -> field ``id`` of the resource named ``x``, ``xs``, ``xes`` or ``x[:-1]ies``;
   * ``{x}`` where the path up to the placeholder is the path of another resource
     (``/v3/connectors/{provider}/creds`` extends ``/v3/connectors``) -> field ``x`` of
     that resource, the REST convention of naming an item of a collection;
4. otherwise it is unbound: the caller may look it up as a config value, else it is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from restsync.spec.model import ResolveParam, ResourceConfig

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_EXPLICIT = re.compile(r"^resources\.([A-Za-z0-9_\-]+)\.(.+)$")


@dataclass(frozen=True)
class Binding:
    """Where one placeholder or resolve-param takes its value from.

    Attributes:
        name: The placeholder or query parameter name (``label_id``).
        target: ``"path"`` for a path placeholder, ``"query"`` for a resolve param.
        kind: ``"resource"`` (a field of another resource's records) or ``"param"``.
        resource: The resource whose records provide the value (``labels``).
        field: Dotted field in that resource's records (``id``).
        values: The values of a ``param`` binding (fan-out over each).
        how: ``"explicit"``, ``"param"`` or ``"inferred"``.
        placeholder: The literal text inside the braces (``resources.labels.id`` or ``label_id``).
    """

    name: str
    target: Literal["path", "query"]
    kind: Literal["resource", "param"]
    resource: str | None = None
    field: str | None = None
    values: tuple[Any, ...] = ()
    how: Literal["explicit", "param", "inferred"] = "inferred"
    placeholder: str = ""

    @property
    def column(self) -> str:
        """The column a child record carries for this binding (dlt's ``_<parent>_<field>``)."""
        if self.kind == "resource":
            return f"_{self.resource}_{str(self.field).replace('.', '__')}"
        return f"_{self.name}"


def path_placeholders(path: str) -> list[str]:
    """Return the placeholder texts of ``path`` in order, without duplicates."""
    seen: list[str] = []
    for m in PLACEHOLDER.finditer(path):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def _candidate_names(stem: str) -> list[str]:
    names = [stem, stem + "s", stem + "es"]
    if stem.endswith("y"):
        names.append(stem[:-1] + "ies")
    return names


def _normalize_path(path: str) -> str:
    return "/" + path.strip("/")


def infer_binding(
    placeholder: str, resource: ResourceConfig, others: dict[str, ResourceConfig]
) -> tuple[str, str, str] | None:
    """Infer ``(resource, field, reason)`` for a placeholder, or ``None``.

    Args:
        placeholder: The text inside the braces.
        resource: The resource whose path holds it.
        others: All resources by name (including ``resource`` itself, which is skipped).
    """
    candidates = {k: v for k, v in others.items() if k != resource.name}
    if placeholder.endswith("_id") and len(placeholder) > 3:
        stem = placeholder[:-3]
        for name in _candidate_names(stem):
            if name in candidates:
                return name, "id", f"resource `{name}` exists and `{{{placeholder}}}` names its id"
    # path-prefix rule: /collection/{item}/...
    path = resource.endpoint.path
    idx = path.find("{" + placeholder + "}")
    if idx > 0:
        prefix = _normalize_path(path[:idx])
        for name, other in candidates.items():
            other_path = other.endpoint.path
            if "{" in other_path:
                continue
            stripped = re.sub(r"\.json$", "", other_path)
            if _normalize_path(stripped) == prefix:
                return (
                    name,
                    placeholder,
                    f"the path extends `{name}`'s path `{other_path}`, so `{{{placeholder}}}` "
                    f"is the `{placeholder}` field of its records",
                )
    return None


def explicit_bindings(resource: ResourceConfig) -> dict[str, Binding]:
    """Bindings the spec states itself: ``{resources.x.f}`` placeholders and resolve params."""
    found: dict[str, Binding] = {}
    for ph in path_placeholders(resource.endpoint.path):
        m = _EXPLICIT.match(ph)
        if m:
            found[ph] = Binding(
                name=ph, target="path", kind="resource", resource=m.group(1), field=m.group(2),
                how="explicit", placeholder=ph,
            )
    for key, value in resource.endpoint.params.items():
        if isinstance(value, ResolveParam):
            target: Literal["path", "query"] = (
                "path" if "{" + key + "}" in resource.endpoint.path else "query"
            )
            found[key] = Binding(
                name=key, target=target, kind="resource", resource=value.resource,
                field=value.field, how="explicit", placeholder=key,
            )
        elif isinstance(value, str):
            m = _EXPLICIT.match(value.strip("{}")) if value.startswith("{") else None
            if m and value.endswith("}"):
                found[key] = Binding(
                    name=key, target="query", kind="resource", resource=m.group(1),
                    field=m.group(2), how="explicit", placeholder=value.strip("{}"),
                )
    return found
