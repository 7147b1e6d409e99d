"""The top of a manifest: DeclarativeSource -> restsync's SourceConfig.

Streams that use something restsync does not run (custom Python, async jobs...) are reported
with the component type and its manifest path; ``--streams`` (``streams=``) runs the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from restsync.spec.airbyte import errors
from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.airbyte.interpolation import TemplateRenderError
from restsync.spec.airbyte.registry import build
from restsync.spec.airbyte.streams import declarative_stream
from restsync.spec.model import ClientConfig, Inference, ResourceConfig, SourceConfig
from restsync.spec.templated import AncestorPartition, ParentPartition

__all__ = ["StreamRefusal", "compile_source"]


@dataclass(frozen=True)
class StreamRefusal:
    """A stream restsync cannot run, and why.

    Attributes:
        stream: The stream's name.
        kind: The component type that stops it (``CustomRetriever``, ``template``...).
        where: The component's manifest path.
        message: Why.
    """

    stream: str
    kind: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"stream `{self.stream}`: {self.message} (at {self.where})"


def _stream_name(c: Compiler, component: Any, index: int) -> str:
    if isinstance(component, Mapping):
        name = component.get("name")
        if isinstance(name, str):
            try:
                return str(c.evaluate(name, component, "name", literal=False))
            except Unsupported:
                return name
    return f"streams[{index}]"


def _concurrency(c: Compiler, component: Any) -> int | None:
    if not isinstance(component, Mapping):
        return None
    value = component.get("default_concurrency")
    if isinstance(value, str):
        value = c.evaluate(value, component, f"{path_of(component)}.default_concurrency")
    most = component.get("max_concurrency")
    if isinstance(value, int) and value > 0:
        return min(value, most) if isinstance(most, int) and most > 0 else value
    return None


def compile_source(manifest: Mapping[str, Any], config: dict[str, Any], *, name: str,
                   streams: Sequence[str] | None = None, base: Path | None = None,
                   secrets: Sequence[str] = ()) -> tuple[SourceConfig | None,
                                                          list[StreamRefusal], Compiler]:
    """Compile a prepared manifest with a config.

    Args:
        manifest: The manifest after :func:`~restsync.spec.airbyte.manifest.prepare_manifest`.
        config: The validated connector config.
        name: The source name.
        streams: Streams to run (default: all); their parents are extracted too.
        base: The manifest's folder (schema files).
        secrets: Values masked everywhere.

    Returns:
        ``(source, refusals, compiler)``: ``source`` is ``None`` when a stream that must run
        cannot (every refusal is listed); ``compiler.issues`` holds manifest-wide problems.
    """
    c = Compiler(config=config)
    c.builder = build
    refusals: list[StreamRefusal] = []
    resources: dict[str, ResourceConfig] = {}
    definitions = manifest.get("streams") or []
    if manifest.get("dynamic_streams"):
        for i, dynamic in enumerate(manifest["dynamic_streams"]):
            refusals.append(_dynamic_refusal(c, dynamic, i))
    top: list[str] = []
    for i, component in enumerate(definitions):
        stream = _stream_name(c, component, i)
        top.append(stream)
        try:
            if isinstance(component, Mapping) and component.get("type") != "DeclarativeStream":
                build(c, component, "stream")
            resources[stream] = declarative_stream(c, component, base=base)
        except Unsupported as exc:
            refusals.append(StreamRefusal(stream, exc.kind, exc.where, exc.message))
        except TemplateRenderError as exc:
            refusals.append(StreamRefusal(stream, "template", path_of(component), str(exc)))
    # parents that are not streams of their own: extracted only
    pending = [n for n in c.parent_streams if n not in resources and n not in top]
    while pending:
        parent = pending.pop()
        try:
            resource = declarative_stream(c, c.parent_streams[parent], base=base)
            resources[parent] = resource.model_copy(update={"selected": False})
        except Unsupported as exc:
            refusals.append(StreamRefusal(parent, exc.kind, exc.where, exc.message))
        pending.extend(n for n in c.parent_streams if n not in resources and n not in pending
                       and n not in top and not any(r.stream == n for r in refusals))
    _mark_carried(c, resources)
    refused = {r.stream for r in refusals}
    changed = True
    while changed:  # a child of a refused parent cannot run either
        changed = False
        for stream, resource in list(resources.items()):
            templated = resource.endpoint.templated
            router = templated.parent if templated is not None else None
            if router is not None and (router.parent in refused or router.parent not in resources):
                refusals.append(StreamRefusal(stream, "SubstreamPartitionRouter",
                                              f"streams[{stream}]", f"its parent stream "
                                              f"`{router.parent}` cannot run"))
                refused.add(stream)
                del resources[stream]
                changed = True
    wanted = list(streams) if streams else [n for n in top if n in resources or n in refused]
    unknown = [s for s in wanted if s not in top and s not in resources]
    for s in unknown:
        c.issues.add("--streams", f"unknown stream `{s}`; known: {', '.join(sorted(top))}")
    blocking = [r for r in refusals if r.stream in wanted]
    if blocking or unknown or not resources:
        return None, refusals, c
    chosen = {s for s in wanted}
    for stream, resource in resources.items():
        resources[stream] = resource.model_copy(update={"selected": stream in chosen})
    for r in refusals:
        c.infer(r.where, f"stream `{r.stream}` not run: {r.message}")
    client = _client(c, manifest, list(resources.values()), secrets)
    for resource in resources.values():
        own = resource.endpoint.auth
        if (own is not None and own == client.auth) or (own == "none" and client.auth is None):
            resource.endpoint.auth = None
    _check_stream(c, manifest, top)
    source = SourceConfig(name=name, client=client, resources=list(resources.values()),
                          inferences=[Inference(path=p, message=m) for p, m in c.inferences])
    return source, refusals, c


def _mark_carried(c: Compiler, resources: Mapping[str, ResourceConfig]) -> None:
    """Make parents paired by a child (a product of parent routers) carry their partition."""
    for stream, parent, field_name in c.carried:
        resource = resources.get(stream)
        templated = resource.endpoint.templated if resource is not None else None
        if templated is None:
            continue
        templated.partitions = tuple(
            replace(p, carry=True) if (isinstance(p, ParentPartition) and p.parent == parent
                                       and p.partition_field == field_name)
            or (isinstance(p, AncestorPartition) and p.ancestor == parent
                and p.field == field_name) else p for p in templated.partitions)


_RESOLVED_BY = {
    "HttpComponentsResolver": "from an API response when the manifest is read (restsync's "
                              "spec stage sends no request)",
    "ConfigComponentsResolver": "from the config",
    "ParametrizedComponentsResolver": "from a list of parameters",
}


def _dynamic_refusal(c: Compiler, dynamic: Any, index: int) -> StreamRefusal:
    """The refusal of one ``dynamic_streams`` entry, naming its resolver and its path."""
    where = path_of(dynamic, f"dynamic_streams[{index}]")
    resolver = dynamic.get("components_resolver") if isinstance(dynamic, Mapping) else None
    kind = str(resolver.get("type")) if isinstance(resolver, Mapping) else "no resolver"
    how = _RESOLVED_BY.get(kind, "by a resolver restsync does not know")
    named = isinstance(dynamic, Mapping) and isinstance(dynamic.get("name"), str)
    return StreamRefusal(
        _stream_name(c, dynamic, index) if named else where, "DynamicDeclarativeStream",
        path_of(resolver, f"{where}.components_resolver"),
        f"DynamicDeclarativeStream with {kind}: streams generated {how} are not supported; "
        "`--streams` runs the manifest's other streams")


def _client(c: Compiler, manifest: Mapping[str, Any], resources: list[ResourceConfig],
            secrets: Sequence[str]) -> ClientConfig:
    bases: list[str] = []
    for resource in resources:
        templated = resource.endpoint.templated
        assert templated is not None
        try:
            value = templated.url_base.render({"config": c.config})
        except TemplateRenderError:
            continue
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            bases.append(value)
    base_url = Counter(bases).most_common(1)[0][0] if bases else "http://localhost"
    auths = [r.endpoint.auth for r in resources if r.endpoint.auth not in (None, "none")]
    counted: list[tuple[Any, int]] = []
    for auth in auths:
        for i, (known, n) in enumerate(counted):
            if known == auth:
                counted[i] = (known, n + 1)
                break
        else:
            counted.append((auth, 1))
    client_auth = max(counted, key=lambda kv: kv[1])[0] if counted else None
    selected = [r for r in resources if r.selected] or resources
    handler = c.retry_handlers.get(selected[0].name)
    concurrency = _concurrency(c, manifest.get("concurrency_level"))
    budget = manifest.get("api_budget")
    rate = errors.api_budget(c, budget) if isinstance(budget, Mapping) else None
    if concurrency is not None:
        c.infer("concurrency_level", f"at most {concurrency} requests in flight per host "
                                     "(max_concurrency)")
    c.infer("", "restsync differs from the CDK on purpose: records of a window are not "
                "filtered unless is_client_side_incremental (as the CDK), but the stored "
                "cursor never passes the run's start time; a parent's records reach its "
                "children once per run (the CDK reads a parent again for each child)")
    return ClientConfig(base_url=base_url, auth=client_auth,
                        retry=errors.retry_config(handler),
                        max_concurrency=concurrency, rate_limit=rate,
                        extra_secrets=list(secrets))  # type: ignore[arg-type]


def _check_stream(c: Compiler, manifest: Mapping[str, Any], top: list[str]) -> None:
    check = manifest.get("check")
    if not isinstance(check, Mapping):
        return
    names = check.get("stream_names") or []
    missing = [n for n in names if n not in top]
    if missing:
        c.infer(path_of(check, "check"), f"check names streams that do not exist: "
                                         f"{', '.join(map(str, missing))}")
