"""``--set PATH=VALUE`` overrides applied to a raw spec before normalization.

``PATH`` is dotted (``client.retry.max_retries``) and may use brackets
(``resources[drafts].endpoint.paginator.limit``, the form error messages print). Under
``resources`` an element is addressed by resource name or by index. Missing intermediate
dicts are created. ``VALUE`` is parsed as a YAML scalar or flow value (``50`` -> int,
``true`` -> bool, ``[a, b]`` -> list, ``http://x`` -> string, empty -> null) and may be a
``${secrets.NAME}`` / ``${config.NAME}`` reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from restsync.spec.files import parse_yaml_value, prepare_raw, yaml_error
from restsync.spec.issues import Issues, did_you_mean

_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


def parse_override_path(path: str) -> list[str]:
    """Split ``resources[drafts].endpoint.limit`` into ``["resources", "drafts", "endpoint", "limit"]``.

    Raises:
        ValueError: The path is empty or malformed.
    """
    text = path.strip()
    if not text:
        raise ValueError("the path is empty")
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "." and parts:
            pos += 1
        match = _SEGMENT.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"malformed path at character {pos + 1}")
        part = match.group(1) if match.group(1) is not None else match.group(2)
        if not part.strip():
            raise ValueError("empty segment in path")
        parts.append(part.strip())
        pos = match.end()
    return parts


def apply_overrides(raw: Any, overrides: Sequence[str], issues: Issues) -> Any:
    """Apply ``--set`` overrides to ``raw`` in place (and return it).

    Args:
        raw: The raw spec (a dict).
        overrides: ``PATH=VALUE`` strings, applied in order.
        issues: Collector; a bad override is reported at ``--set PATH``.

    Returns:
        The updated raw spec.
    """
    for text in overrides:
        where = f"--set {text.split('=', 1)[0].strip()}"
        if "=" not in text:
            issues.add(where, "expected PATH=VALUE")
            continue
        path_text, value_text = text.split("=", 1)
        try:
            parts = parse_override_path(path_text)
        except ValueError as exc:
            issues.add(where, str(exc))
            continue
        try:
            value = parse_yaml_value(value_text)
        except yaml_error() as exc:
            issues.add(where, f"the value is not a valid YAML scalar or flow value: "
                              f"{str(exc).splitlines()[0]}")
            continue
        local = Issues()
        value = prepare_raw(value, local)
        if local:
            for issue in local.to_issues(None):
                issues.add(where, issue.message)
            continue
        if not isinstance(raw, dict):
            issues.add(where, "the spec is not a mapping; nothing to override")
            continue
        error = _set(raw, parts, value)
        if error:
            issues.add(where, error)
    return raw


def _set(root: dict[str, Any], parts: list[str], value: Any) -> str | None:
    """Set ``value`` at ``parts`` under ``root``; return an error message or None."""
    node: Any = root
    walked: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        parent_key = walked[-1] if walked else None
        if isinstance(node, list):
            index = _list_index(node, part, parent_key)
            if isinstance(index, str):
                return index
            if last:
                node[index] = value
                return None
            node[index] = _as_container(node[index], parent_key, parts[i + 1])
            if node[index] is None:
                return f"'{'.'.join([*walked, part])}' is not a mapping"
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return None
            child = node.get(part)
            if child is None:
                child = {}
            child = _as_container(child, part, parts[i + 1])
            if child is None:
                return (f"'{'.'.join([*walked, part])}' holds a {type(node[part]).__name__}, "
                        f"cannot set '{parts[i + 1]}' inside it")
            node[part] = child
            node = child
        else:  # pragma: no cover - containers are ensured above
            return f"cannot descend into '{'.'.join(walked)}'"
        walked.append(part)
    return None


def _list_index(items: list[Any], part: str, parent_key: str | None) -> int | str:
    if re.fullmatch(r"-?\d+", part):
        index = int(part)
        if -len(items) <= index < len(items):
            return index % len(items)
        return f"index {index} is out of range ({len(items)} item(s))"
    if parent_key == "resources":
        names = []
        for idx, item in enumerate(items):
            name = item.get("name") if isinstance(item, dict) else item
            if name == part:
                return idx
            if isinstance(name, str):
                names.append(name)
        return (f"no resource named '{part}'{did_you_mean(part, names)}; "
                f"resources: {', '.join(names) or '(none)'}")
    return f"'{part}' is not an index of the list at '{parent_key}'"


def _as_container(child: Any, key: str | None, next_part: str) -> Any:
    """Turn dlt's string shorthands into dicts so overrides can reach inside them."""
    if isinstance(child, dict | list):
        return child
    if isinstance(child, str):
        if key == "resources":  # a list item under resources: a plain resource name
            return {"name": child, "endpoint": {"path": child}}
        if key == "endpoint":
            return {"path": child}
        if key == "paginator":
            return {"type": child}
    return None
