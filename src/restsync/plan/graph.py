"""The resource graph: which resource feeds which, in what order, with what bindings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from restsync.errors import SpecError, SpecIssue
from restsync.plan.bindings import (
    Binding,
    explicit_bindings,
    infer_binding,
    path_placeholders,
)
from restsync.spec.model import (
    AutoPaginator,
    Inference,
    PaginatorConfig,
    ResolveParam,
    ResourceConfig,
    SourceConfig,
)
from restsync.spec.templates import INCREMENTAL

ValueLookup = Callable[[str], Any]
"""Looks a free placeholder up as a config value; returns ``None`` when there is none."""


@dataclass
class ResourcePlan:
    """One resource, ready to run.

    Attributes:
        config: The resource's normalized config.
        parent: The resource whose records drive this one (one request sequence per record).
        bindings: Placeholder/param bindings, path ones first.
        paginator: The effective paginator (endpoint's, else the client's), or ``None``.
        load: Whether its records are loaded (a parent of a selected resource that is not
            selected itself is extracted but not loaded).
        children: Resources whose parent this is.
    """

    config: ResourceConfig
    parent: str | None
    bindings: list[Binding]
    paginator: PaginatorConfig | None
    load: bool = True
    children: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def table_name(self) -> str:
        name = self.config.table_name
        return name if isinstance(name, str) and name else self.config.name

    @property
    def fanout_params(self) -> list[Binding]:
        return [b for b in self.bindings if b.kind == "param"]


@dataclass
class Plan:
    """The whole run: resources in dependency order plus every inference made."""

    source: SourceConfig
    resources: dict[str, ResourcePlan]
    order: list[str]
    inferences: list[Inference]

    def ancestors(self, name: str) -> list[str]:
        """Parent chain of ``name``, nearest first."""
        chain: list[str] = []
        cur = self.resources[name].parent
        while cur is not None:
            chain.append(cur)
            cur = self.resources[cur].parent
        return chain

    def to_run(self) -> list[ResourcePlan]:
        """Resources that must run (loaded ones and the parents they need), in order."""
        return [self.resources[n] for n in self.order
                if self.resources[n].load or self._needed(n)]

    def _needed(self, name: str) -> bool:
        return any(
            self.resources[c].load or self._needed(c) for c in self.resources[name].children
        )


def _loc(resource: str, rest: str = "") -> str:
    return f"resources[{resource}]{rest}"


def _bind(
    res: ResourceConfig,
    by_name: dict[str, ResourceConfig],
    params: dict[str, list[Any]],
    lookup: ValueLookup | None,
    issues: list[SpecIssue],
    inferences: list[Inference],
) -> list[Binding]:
    explicit = explicit_bindings(res)
    bindings: list[Binding] = []
    for ph in path_placeholders(res.endpoint.path):
        where = _loc(res.name, ".endpoint.path")
        if ph.startswith(f"{INCREMENTAL}."):
            continue  # the incremental window, filled when the request is built
        if ph in explicit:
            bindings.append(explicit[ph])
            continue
        if ph in params:
            bindings.append(Binding(name=ph, target="path", kind="param",
                                    values=tuple(params[ph]), how="param", placeholder=ph))
            inferences.append(Inference(path=where, message=(
                f"{res.name}: `{{{ph}}}` taken from --param {ph}="
                f"{','.join(map(str, params[ph]))}"
                + (f" ({len(params[ph])} values: one request sequence each)"
                   if len(params[ph]) > 1 else ""))))
            continue
        static = res.endpoint.params.get(ph)
        if ph in res.endpoint.params and not isinstance(static, ResolveParam):
            values = list(static) if isinstance(static, list) else [static]
            bindings.append(Binding(name=ph, target="path", kind="param", values=tuple(values),
                                    how="static", placeholder=ph))
            inferences.append(Inference(path=where, message=(
                f"{res.name}: `{{{ph}}}` filled from params.{ph} = "
                f"{','.join(map(str, values))} (not sent as a query parameter)"
                + (f"; {len(values)} values: one request sequence each" if len(values) > 1
                   else ""))))
            continue
        inferred = infer_binding(ph, res, by_name)
        if inferred is not None:
            parent, fld, reason = inferred
            bindings.append(Binding(name=ph, target="path", kind="resource", resource=parent,
                                    field=fld, how="inferred", placeholder=ph))
            inferences.append(Inference(path=where, message=(
                f"{res.name}: `{{{ph}}}` bound to `{parent}.{fld}` ({reason}); "
                f"override with --param {ph}=VALUE")))
            continue
        value = lookup(ph) if lookup is not None else None
        if value is not None:
            values = list(value) if isinstance(value, list | tuple) else [value]
            bindings.append(Binding(name=ph, target="path", kind="param", values=tuple(values),
                                    how="param", placeholder=ph))
            inferences.append(Inference(path=where, message=(
                f"{res.name}: `{{{ph}}}` taken from config value `{ph}`")))
            continue
        known = ", ".join(sorted(by_name))
        issues.append(SpecIssue(where, (
            f"placeholder `{{{ph}}}` names no resource (known: {known}) and no value was "
            f"given; pass --param {ph}=VALUE[,VALUE...] (or set config `{ph}`), or write "
            f"`{{resources.<parent>.<field>}}`")))
    for b in explicit.values():
        if b.target == "query":
            bindings.append(b)
    for b in bindings:
        if b.how == "explicit":
            where = _loc(res.name, ".endpoint" + (".path" if b.target == "path" else ""))
            inferences.append(Inference(path=where, message=(
                f"{res.name}: `{{{b.placeholder}}}` is `{b.resource}.{b.field}` of each "
                f"`{b.resource}` record: one request sequence per record")))
    return bindings


def _choose_parent(
    res: ResourceConfig, bindings: list[Binding], parent_of: dict[str, str | None],
    issues: list[SpecIssue],
) -> str | None:
    bound = [r for r in dict.fromkeys(b.resource for b in bindings if b.kind == "resource")
             if r is not None]
    if not bound:
        return None

    def chain(name: str) -> list[str]:
        out, cur, guard = [], parent_of.get(name), 0
        while cur is not None and guard < 1000:
            out.append(cur)
            cur, guard = parent_of.get(cur), guard + 1
        return out

    for candidate in bound:
        ancestors = chain(candidate)
        if all(other == candidate or other in ancestors for other in bound):
            return candidate
    issues.append(SpecIssue(_loc(res.name, ".endpoint.path"), (
        f"placeholders bind to resources {', '.join(bound)}, which are not on one parent "
        f"chain; restsync cannot combine records of unrelated resources")))
    return None


def build_plan(
    source: SourceConfig,
    *,
    selected: Iterable[str] | None = None,
    lookup: ValueLookup | None = None,
) -> Plan:
    """Resolve parents and bindings of every resource and order them.

    Args:
        source: The normalized source.
        selected: Names of resources to load (default: those with ``selected: true``).
        lookup: Finds a free placeholder's value in config (called only when nothing else
            binds it).

    Raises:
        SpecError: Unbound placeholders, unknown parents, cycles, unknown selected names.
    """
    issues: list[SpecIssue] = []
    inferences = list(source.inferences)
    by_name = {r.name: r for r in source.resources}
    if len(by_name) != len(source.resources):
        seen: set[str] = set()
        for i, r in enumerate(source.resources):
            if r.name in seen:
                issues.append(SpecIssue(f"resources[{i}].name", f"duplicate resource name `{r.name}`"))
            seen.add(r.name)

    bindings = {r.name: _bind(r, by_name, source.params, lookup, issues, inferences)
                for r in source.resources}
    for name, bs in bindings.items():
        for b in bs:
            if b.kind == "resource" and b.resource not in by_name:
                issues.append(SpecIssue(_loc(name, ".endpoint"), (
                    f"`{b.placeholder}` refers to resource `{b.resource}`, which does not exist "
                    f"(known: {', '.join(sorted(by_name))})")))
            elif b.kind == "resource" and b.resource == name:
                issues.append(SpecIssue(_loc(name, ".endpoint"),
                                        f"`{b.placeholder}` refers to the resource itself"))
    if issues:
        raise SpecError(issues)

    # parents: resolve in passes so a child's chain is known before its own children
    parent_of: dict[str, str | None] = {}
    pending = [r.name for r in source.resources]
    for _ in range(len(pending) + 1):
        progress = False
        for name in list(pending):
            deps = {b.resource for b in bindings[name] if b.kind == "resource"}
            if all(d in parent_of for d in deps):
                parent_of[name] = _choose_parent(by_name[name], bindings[name], parent_of, issues)
                pending.remove(name)
                progress = True
        if not pending or not progress:
            break
    for name in pending:
        issues.append(SpecIssue(_loc(name, ".endpoint"),
                                "resource depends on itself through its parents (cycle)"))
    if issues:
        raise SpecError(issues)

    for name, parent in parent_of.items():
        res = by_name[name]
        if res.include_from_parent and parent is None:
            issues.append(SpecIssue(_loc(name, ".include_from_parent"),
                                    "include_from_parent needs a parent resource"))
        inc = res.endpoint.incremental
        if inc is not None and inc.step is not None and parent is not None:
            issues.append(SpecIssue(_loc(name, ".endpoint.incremental.step"), (
                "a step splits a resource without parent into date windows; a child "
                "resource's requests follow its parent's records")))

    wanted = set(selected) if selected is not None else {r.name for r in source.resources
                                                         if r.selected}
    unknown = sorted(wanted - set(by_name))
    if unknown:
        issues.append(SpecIssue("--resources", (
            f"unknown resource(s) {', '.join(unknown)}; known: {', '.join(sorted(by_name))}")))
    if issues:
        raise SpecError(issues)

    # topological order, stable in spec order
    order: list[str] = []

    def visit(n: str) -> None:
        p = parent_of[n]
        if p is not None and p not in order:
            visit(p)
        if n not in order:
            order.append(n)

    for r in source.resources:
        visit(r.name)

    plans: dict[str, ResourcePlan] = {}
    for n in order:
        res = by_name[n]
        paginator = res.endpoint.paginator or source.client.paginator
        if paginator is None:
            paginator = AutoPaginator()
            inferences.append(Inference(path=_loc(n, ".endpoint.paginator"), message=(
                f"{n}: no paginator: detected from the first response, as dlt does (Link "
                "header, next URL, page count, cursor); the run reports what it found")))
        plans[n] = ResourcePlan(config=res, parent=parent_of[n], bindings=bindings[n],
                                paginator=paginator, load=n in wanted)
    for n in order:
        p = parent_of[n]
        if p is not None:
            plans[p].children.append(n)
            if not plans[p].load and plans[n].load:
                inferences.append(Inference(path=_loc(p), message=(
                    f"{p}: not selected, extracted only to feed `{n}`")))
    return Plan(source=source, resources=plans, order=order, inferences=inferences)
