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
  Several ``parent_stream_configs`` of that one parent give, per parent record, one
  partition per configuration (the CDK's partitions, read in another order).
* A product of parent routers where one parent stream is a child of every other (Nylas'
  events: grants x calendars; groups x conversations x threads) runs as the tuples restsync
  sees: each record of the deepest parent with the records of the others it came from
  (:func:`chain_parents`). Routers over the same parent read every value from one record.
  The CDK crosses every record of each with every record of the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
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
    if len(out) > 1:  # the CDK reads the parent once per configuration: the same partitions
        c.infer(f"{where}.parent_stream_configs",
                f"{c.stream}: {len(out)} configurations of the parent `{out[0].parent}`: each "
                f"`{out[0].parent}` record gives one partition per configuration (the CDK reads "
                "the parent once per configuration)")
        return [replace(out[0], alternatives=tuple(out[1:]))]
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
    """Several parent routers: allowed when one parent stream (the deepest) is itself a
    child of every other by the same key (a chain: grants -> calendars, or groups ->
    conversations -> threads). The deepest stays the parent; each other becomes an
    :class:`AncestorPartition` read from the column the deepest's records carry.

    Raises:
        Unsupported: Any other product of parent routers.
    """
    routers = [p for p in partitions if isinstance(p, ParentPartition)]
    parents = list({p.parent: p for p in routers[::-1]}.values())[::-1]  # first of each stream
    if len(routers) > len(parents):
        same = sorted(n for n, k in Counter(p.parent for p in routers).items() if k > 1)
        c.infer(where, f"{c.stream}: the product of routers over the same parent "
                       f"{', '.join(f'`{n}`' for n in same)} reads every value from one "
                       "parent record (the CDK crosses every record with every record)")
    if len(parents) < 2:
        return partitions
    for deepest in parents[::-1]:
        others = [p for p in routers if p.parent != deepest.parent]
        owns = [_own_router(c.parent_streams.get(deepest.parent), p.parent) for p in others]
        if any(own is None or own[0] != p.parent_key for own, p in zip(owns, others, strict=True)):
            continue
        ancestors: dict[int, AncestorPartition] = {}
        for first, own in zip(others, owns, strict=True):
            assert own is not None
            c.carried.add((deepest.parent, first.parent, own[1]))
            ancestors[id(first)] = AncestorPartition(
                field=first.partition_field, column=f"_{first.parent}_{own[1]}",
                ancestor=first.parent, request_option=first.request_option)
        names = ", ".join(f"`{p.parent}`" for p in others)
        columns = ", ".join(f"`{a.column}`" for a in ancestors.values())
        c.infer(where, f"{c.stream}: the product of {names} and `{deepest.parent}` runs as "
                       f"pairs: each `{deepest.parent}` record with the {names} record it came "
                       f"from (the CDK crosses every record of each with every other); "
                       f"`{deepest.parent}` records carry {columns}")
        return tuple(ancestors.get(id(p), p) for p in partitions)
    raise Unsupported("SubstreamPartitionRouter", where,
                      "a product of parent routers is supported only when one parent stream "
                      "is a child of every other by the same key (records of unrelated "
                      f"parents are not crossed): {', '.join(p.parent for p in parents)}")
