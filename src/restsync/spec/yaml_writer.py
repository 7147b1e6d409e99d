"""Write a spec as YAML with a comment above each value saying where it came from.

PyYAML writes no comments, so the mappings and lists are laid out here and only scalars (and
lists of scalars) go through ``yaml.safe_dump``, which quotes them correctly. Comments are
keyed by spec path in the form of inference paths: ``client.retry``,
``resources[drafts].endpoint.paginator.limit_param`` (a resource by its name).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

COMMENT_WIDTH = 96


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          width=float("inf"), sort_keys=False)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.removesuffix("...").strip()


def _is_flat(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        not isinstance(v, Mapping | list | tuple) for v in value)


class _Writer:
    def __init__(self, comments: Mapping[str, Sequence[str]]) -> None:
        self.comments = {k: list(v) for k, v in comments.items()}
        self.used: set[str] = set()
        self.lines: list[str] = []

    def comment(self, path: str, indent: int, prefix: str = "") -> None:
        for message in self.comments.get(path, []):
            wrapped = textwrap.wrap(prefix + message, COMMENT_WIDTH - indent - 2) or [""]
            self.lines += [f"{' ' * indent}# {line}" for line in wrapped]
        self.used.add(path)

    def mapping(self, data: Mapping[str, Any], path: str, indent: int,
                first_prefix: str | None = None) -> None:
        pad = " " * indent
        keys = list(data)
        for i, key in enumerate(keys):
            child = f"{path}.{key}" if path else str(key)
            lead = first_prefix if (i == 0 and first_prefix is not None) else pad
            self.comment(child, indent)
            self.value(key, data[key], child, indent, lead)
        for key, messages in self.comments.items():  # about keys the spec leaves unset
            parent, _, name = key.rpartition(".")
            if parent == path and key not in self.used and name not in data and messages:
                self.comment(key, indent, prefix=f"{name} (not set): ")

    def value(self, key: Any, value: Any, path: str, indent: int, lead: str) -> None:
        name = _scalar(str(key))
        if isinstance(value, Mapping) and value:
            self.lines.append(f"{lead}{name}:")
            self.mapping(value, path, indent + 2)
        elif isinstance(value, list | tuple) and value and not _is_flat(value):
            self.lines.append(f"{lead}{name}:")
            self.sequence(value, path, indent)
        else:
            self.lines.append(f"{lead}{name}: {_scalar(_plain(value))}")

    def sequence(self, items: Sequence[Any], path: str, indent: int) -> None:
        pad = " " * indent
        for index, item in enumerate(items):
            label = item.get("name") if isinstance(item, Mapping) else None
            child = f"{path}[{label if isinstance(label, str) else index}]"
            self.comment(child, indent)
            if isinstance(item, Mapping) and item:
                self.mapping(item, child, indent + 2, first_prefix=f"{pad}- ")
            else:
                self.lines.append(f"{pad}- {_scalar(_plain(item))}")


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


def dump_with_comments(data: Mapping[str, Any], comments: Mapping[str, Sequence[str]],
                       header: Sequence[str] = ()) -> str:
    """``data`` as YAML, each value preceded by its comments.

    Args:
        data: Plain data (mappings, lists, scalars).
        comments: Spec path -> comment lines about the value there; a path whose key is not
            in ``data`` is written at the end of its parent mapping as ``key (not set): ...``;
            a path nowhere in ``data`` goes to the top.
        header: Comment lines at the top of the file.

    Returns:
        The YAML text; ``yaml.safe_load`` of it gives ``data`` back.
    """
    writer = _Writer(comments)
    writer.mapping(data, "", 0)
    body = writer.lines
    top = [f"# {part}" for line in header
           for part in (textwrap.wrap(line, COMMENT_WIDTH - 2) or [""])]
    left = [p for p in writer.comments if p not in writer.used and writer.comments[p]]
    for path in left:
        for message in writer.comments[path]:
            top += [f"# {line}" for line in textwrap.wrap(f"{path}: {message}",
                                                          COMMENT_WIDTH - 2)]
    return "\n".join([*top, *body]) + "\n"
