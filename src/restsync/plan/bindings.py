"""How each placeholder of a resource gets its value.

dlt's ``{resources.<parent>.<field>}`` binds wherever it appears (path, params, json, data,
headers). A path placeholder ``{x}`` is bound, in this order:

1. explicitly: a ``type: resolve`` param named ``x``;
2. by ``--param x=...`` / the ``params`` of the source (an explicit param always wins over
   any inference);
3. by a static value of ``params`` named ``x`` (dlt's static path params; not sent as a query
   parameter then);
4. by inference (shown by ``check``):
   * ``{x_id}`` -> field ``id`` of the resource named ``x``, ``xs``, ``xes`` or ``x[:-1]ies``;
   * ``{x}`` where the path up to the placeholder is the path of another resource
     (``/v3/connectors/{provider}/creds`` extends ``/v3/connectors``) -> field ``x`` of
     that resource, the REST convention of naming an item of a collection;
5. otherwise it is unbound: the caller may look it up as a config value, else it is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from restsync.spec import templates
from restsync.spec.model import EndpointConfig, ResolveParam, ResourceConfig
from restsync.spec.templated import AncestorPartition, ParentPartition, TemplatedEndpoint


@dataclass(frozen=True)
class Binding:
    """Where one placeholder or resolve-param takes its value from.

    Attributes:
        name: The placeholder or query parameter name (``label_id``).
        target: ``"path"`` for a path placeholder, ``"query"`` for a placeholder used only
            outside the path (params, json, data, headers).
        kind: ``"resource"`` (a field of another resource's records) or ``"param"``.
        resource: The resource whose records provide the value (``labels``).
        field: Dotted field in that resource's records (``id``).
        values: The values of a ``param`` binding (fan-out over each).
        how: ``"explicit"``, ``"param"``, ``"static"`` (a ``params`` value) or ``"inferred"``.
        placeholder: The text inside the braces (``resources.labels.id`` or ``label_id``):
            the key its value is rendered from.
    """

    name: str
    target: Literal["path", "query"]
    kind: Literal["resource", "param"]
    resource: str | None = None
    field: str | None = None
    values: tuple[Any, ...] = ()
    how: Literal["explicit", "param", "static", "inferred"] = "inferred"
    placeholder: str = ""

    @property
    def column(self) -> str:
        """The column a child record carries for this binding (dlt's ``_<parent>_<field>``)."""
        if self.kind == "resource":
            return f"_{self.resource}_{str(self.field).replace('.', '__')}"
        return f"_{self.name}"

    @property
    def carried(self) -> bool:
        """Whether child records carry :attr:`column` (not for a static ``params`` value:
        a constant of the spec, as in dlt)."""
        return self.how != "static"


def path_placeholders(path: str) -> list[str]:
    """Return the placeholder texts of ``path`` in order, without duplicates (``{{``/``}}``
    escapes are not placeholders)."""
    seen: list[str] = []
    try:
        found = templates.fields(path)
    except templates.TemplateError:  # reported by the spec stage
        return seen
    for f in found:
        if f.text not in seen:
            seen.append(f.text)
    return seen


def template_strings(endpoint: EndpointConfig) -> list[tuple[str, str]]:
    """``(place, text)`` of every template string of an endpoint (secrets excluded)."""
    out = [("path", endpoint.path)]
    values: list[tuple[str, Any]] = [
        ("params", {k: v for k, v in endpoint.params.items() if not isinstance(v, ResolveParam)}),
        ("json", endpoint.json_body), ("data", endpoint.data),
        ("headers", {k: v for k, v in endpoint.headers.items() if isinstance(v, str)})]
    for place, value in values:
        out += [(place, text) for _, text in templates.walk_strings(value)]
    return out


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
    """Bindings the spec states itself: ``{resources.x.f}`` placeholders anywhere in the
    request and ``resolve`` params."""
    found: dict[str, Binding] = {}
    for place, text in template_strings(resource.endpoint):
        try:
            fields = templates.fields(text)
        except templates.TemplateError:  # reported by the spec stage
            continue
        for f in fields:
            parent = f.parent
            if parent is None:
                continue
            target: Literal["path", "query"] = "path" if place == "path" else "query"
            known = found.get(f.text)
            if known is None or (target == "path" and known.target == "query"):
                found[f.text] = Binding(name=f.text, target=target, kind="resource",
                                        resource=parent[0], field=parent[1], how="explicit",
                                        placeholder=f.text)
    templated = resource.endpoint.templated
    if templated is not None:  # a manifest stream: its partition routers say it all
        found.update(_partition_bindings(templated))
    for key, value in resource.endpoint.params.items():
        if isinstance(value, ResolveParam):
            found[key] = Binding(
                name=key, target="path", kind="resource", resource=value.resource,
                field=value.field, how="explicit", placeholder=key,
            )
    return found


def _partition_bindings(templated: TemplatedEndpoint) -> dict[str, Binding]:
    """A templated endpoint's partition routers as bindings: the parent router binds the
    parent resource; list routers fan out (so each partition keeps its own state)."""
    out: dict[str, Binding] = {}
    for router in templated.partitions:
        if isinstance(router, AncestorPartition):  # read from the parent record: no binding
            continue
        key = f"stream_partition.{getattr(router, 'partition_field', None) or router.field}"  # type: ignore[union-attr]
        if isinstance(router, ParentPartition):
            for config in (router, *router.alternatives):  # one parent, several keys
                key = f"stream_partition.{config.partition_field}"
                out.setdefault(key, Binding(
                    name=config.partition_field, target="query", kind="resource",
                    resource=config.parent, field=".".join(config.parent_key),
                    how="explicit", placeholder=key))
        else:
            out[key] = Binding(name=router.field, target="query", kind="param",
                               values=tuple(router.values), how="static", placeholder=key)
    return out
