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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from restsync.spec.airbyte.context import Compiler, Unsupported, path_of
from restsync.spec.templated import ListPartition, ParentPartition, RequestOption

__all__ = ["list_router", "substream_router"]


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
