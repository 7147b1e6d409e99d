"""Partitions: ListPartitionRouter, SubstreamPartitionRouter / ParentStreamConfig, and a list
of routers (their cartesian product).

* ``ListPartitionRouter``: one partition per value (``values``: a list, or a template over the
  config), ``stream_partition[cursor_field] = value``.
* ``SubstreamPartitionRouter``: one partition per record of the parent stream,
  ``stream_partition[partition_field] = record[parent_key]`` (``parent_key`` may be a nested
  path written ``a/b`` or ``a.b``), ``stream_partition.parent_slice`` is the parent's own
  partition, ``extra_fields`` copy more parent fields into the partition's extra fields.
  In restsync the parent is a resource of the plan (extracted, loaded when selected) whose
  records stream into the child as they arrive. One parent stream per child.
* A product of two parent routers whose second parent is itself a child of the first
  (Nylas' events: grants x calendars) runs as the pairs restsync sees: each record of the
  second parent with the record of the first it came from (:func:`chain_parents`). The CDK
  crosses every record of the first with every record of the second.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.templated import (
    AncestorPartition,
    ListPartition,
    ParentPartition,
    RequestOption,
)

__all__ = ["chain_parents", "list_router", "substream_router"]


def _option(c: Compiler, component: Mapping[str, Any]) -> RequestOption | None:
    option = component.get("request_option")
    if not isinstance(option, Mapping):
        return None
    built = c.build(option, "request option")
    assert isinstance(built, RequestOption)
    return built


def list_router(c: Compiler, component: Mapping[str, Any]) -> list[ListPartition]:
    """``ListPartitionRouter``."""
    where = path_of(component)
    values = component.get("values")
    if isinstance(values, str):
        values = c.evaluate(values, component, f"{where}.values")
        if isinstance(values, str):
            values = [v.strip() for v in values.split(",")] if values else []
    if not isinstance(values, list):
        raise Unsupported("ListPartitionRouter", f"{where}.values",
                          f"values must be a list (or give one), got {type(values).__name__}")
    name = component.get("cursor_field")
    if not name:
        raise Unsupported("ListPartitionRouter", f"{where}.cursor_field", "cursor_field is required")
    field = str(c.evaluate(name, component, f"{where}.cursor_field", literal=False))
    return [ListPartition(field=field, values=tuple(values), request_option=_option(c, component))]


def _key_path(text: str) -> tuple[str, ...]:
    separator = "/" if "/" in text else "."
    return tuple(p for p in text.split(separator) if p)


def substream_router(c: Compiler, component: Mapping[str, Any]) -> list[ParentPartition]:
    """``SubstreamPartitionRouter`` with its ``ParentStreamConfig`` s."""
    where = path_of(component)
    configs = component.get("parent_stream_configs") or []
    if not configs:
        raise Unsupported("SubstreamPartitionRouter", f"{where}.parent_stream_configs",
                          "at least one parent stream is required")
    parents = {str((p.get("stream") or {}).get("name")) for p in configs if isinstance(p, Mapping)}
    if len(parents) > 1:
        raise Unsupported("SubstreamPartitionRouter", f"{where}.parent_stream_configs",
                          f"partitions from several parent streams ({', '.join(sorted(parents))}) "
                          "are not supported: restsync gives a stream one parent")
    out: list[ParentPartition] = []
    for i, config in enumerate(configs):
        here = f"{where}.parent_stream_configs[{i}]"
        stream = config.get("stream")
        if not isinstance(stream, Mapping) or not stream.get("name"):
            raise Unsupported("ParentStreamConfig", f"{here}.stream",
                              "the parent stream (with a name) is required")
        name = str(c.evaluate(stream["name"], stream, f"{here}.stream.name", literal=False))
        c.parent_streams.setdefault(name, stream)
        key = str(c.evaluate(config.get("parent_key", ""), config, f"{here}.parent_key",
                             literal=False))
        field = str(c.evaluate(config.get("partition_field", ""), config,
                               f"{here}.partition_field", literal=False))
        if not key or not field:
            raise Unsupported("ParentStreamConfig", here, "parent_key and partition_field are required")
        extras: list[tuple[tuple[str, ...], str]] = []
        for path in config.get("extra_fields") or []:
            keys = tuple(str(p) for p in path)
            extras.append((keys, ".".join(keys)))
        if config.get("incremental_dependency"):
            c.infer(f"{here}.incremental_dependency",
                    f"{c.stream}: the parent `{name}` runs incrementally for this stream: only "
                    "its records since its stored cursor make partitions")
        out.append(ParentPartition(parent=name, parent_key=_key_path(key), partition_field=field,
                                   request_option=_option(c, config),
                                   extra_fields=tuple(extras),
                                   incremental_dependency=bool(config.get("incremental_dependency"))))
    if len(out) > 1:
        raise Unsupported("SubstreamPartitionRouter", f"{where}.parent_stream_configs",
                          "several configurations of one parent stream are not supported")
    return out


def _own_router(stream: Any, parent: str) -> tuple[tuple[str, ...], str] | None:
    """``(parent_key, partition_field)`` of ``stream``'s own router over ``parent``."""
    retriever = stream.get("retriever") if isinstance(stream, Mapping) else None
    router = retriever.get("partition_router") if isinstance(retriever, Mapping) else None
    for item in router if isinstance(router, list) else [router]:
        for config in (item.get("parent_stream_configs") or []) if isinstance(item, Mapping) \
                else []:
            inner = config.get("stream") if isinstance(config, Mapping) else None
            if isinstance(inner, Mapping) and inner.get("name") == parent:
                return (_key_path(str(config.get("parent_key", ""))),
                        str(config.get("partition_field", "")))
    return None


def chain_parents(c: Compiler, where: str, partitions: tuple[Any, ...]) -> tuple[Any, ...]:
    """Several parent routers: allowed when they are two and the second parent stream is a
    child of the first by the same key; the first becomes an :class:`AncestorPartition`.

    Raises:
        Unsupported: Any other product of parent routers.
    """
    parents = [p for p in partitions if isinstance(p, ParentPartition)]
    if len(parents) < 2:
        return partitions
    for first, last in (parents, parents[::-1]) if len(parents) == 2 else ():
        own = _own_router(c.parent_streams.get(last.parent), first.parent)
        if own is None or own[0] != first.parent_key:
            continue
        c.carried.add((last.parent, first.parent, own[1]))
        c.infer(where, f"{c.stream}: the product of `{first.parent}` and `{last.parent}` runs "
                       f"as pairs: each `{last.parent}` record with the `{first.parent}` record "
                       f"it came from (the CDK crosses every `{first.parent}` with every "
                       f"`{last.parent}`); `{last.parent}` records carry "
                       f"`_{first.parent}_{own[1]}`")
        ancestor = AncestorPartition(field=first.partition_field,
                                     column=f"_{first.parent}_{own[1]}", ancestor=first.parent,
                                     request_option=first.request_option)
        return tuple(ancestor if p is first else p for p in partitions)
    raise Unsupported("SubstreamPartitionRouter", where,
                      "partitions from several parent streams are supported only for two, the "
                      "second a child of the first by the same key")
