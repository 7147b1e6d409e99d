"""Collecting located spec problems and rendering their paths in the user's terms."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from restsync.errors import SpecIssue

RawPath = tuple[str | int, ...]
"""A path into a raw or canonical spec: keys and list indexes."""


def render_path(path: RawPath | str, root: Any = None) -> str:
    """Render a path as ``resources[drafts].endpoint.paginator.type``.

    List items under ``resources`` are named by the resource's ``name`` when ``root``
    has one at that index (a dict with a string ``name``, or a plain string resource).

    Args:
        path: Keys and indexes from the spec root; a string is returned unchanged.
        root: The spec the path points into, used to name resources.

    Returns:
        The rendered path (``""`` for the root).
    """
    if isinstance(path, str):
        return path
    out = ""
    node = root
    parent_key: str | int | None = None
    for element in path:
        if isinstance(element, int):
            label: str = str(element)
            item = node[element] if isinstance(node, list) and -len(node) <= element < len(node) else None
            if parent_key == "resources":
                if isinstance(item, Mapping) and isinstance(item.get("name"), str) and item["name"]:
                    label = item["name"]
                elif isinstance(item, str) and item:
                    label = item
            out += f"[{label}]"
            node = item
        else:
            out += f".{element}" if out else str(element)
            node = node.get(element) if isinstance(node, Mapping) else None
        parent_key = element
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` when ``word`` is close to one of ``choices``, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def known_list(choices: Iterable[str]) -> str:
    """Return ``"known: a, b, c"`` for an error message."""
    return "known: " + ", ".join(sorted(choices))


class Issues:
    """Collects problems so that a spec's errors are reported all at once.

    Args:
        lines: Source line of raw paths, when the reader knows them.
        source: File name for the final :class:`SpecError`.
    """

    def __init__(self, lines: Mapping[RawPath, int] | None = None, source: str | None = None):
        self.lines: dict[RawPath, int] = dict(lines or {})
        self.source = source
        self._items: list[tuple[RawPath | str, str, int | None]] = []
        self.reported: set[RawPath] = set()

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, path: RawPath | str, message: str, line: int | None = None) -> None:
        """Record a problem at ``path`` (raw path, or an already rendered string)."""
        if not isinstance(path, str):
            if self.is_reported(path[:-1]) and path:
                return  # an ancestor already has a problem; details below it are noise
            self.reported.add(path)
            if line is None:
                line = self.line_of(path)
        self._items.append((path, message, line))

    def is_reported(self, path: RawPath) -> bool:
        """True when a problem was already recorded at ``path`` or one of its ancestors."""
        return any(path[:n] in self.reported for n in range(len(path) + 1))

    def line_of(self, path: RawPath) -> int | None:
        """Line of ``path``, else of its nearest ancestor with a known line."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return None

    def extend(self, other: Issues) -> None:
        """Take over another collector's problems (kept in order)."""
        self._items.extend(other._items)
        self.reported |= other.reported

    def to_issues(self, root: Any) -> list[SpecIssue]:
        """Render the collected problems, naming resources from ``root``."""
        seen: set[tuple[str, str]] = set()
        out: list[SpecIssue] = []
        for path, message, line in self._items:
            rendered = render_path(path, root)
            if (rendered, message) in seen:
                continue
            seen.add((rendered, message))
            out.append(SpecIssue(rendered, message, line))
        return out


def check_keys(
    mapping: Mapping[str, Any],
    known: Iterable[str],
    path: RawPath,
    issues: Issues,
    *,
    unsupported: Mapping[str, str] | None = None,
    what: str = "key",
) -> list[str]:
    """Report keys of ``mapping`` that are not ``known``; return the unknown ones.

    Args:
        mapping: The dict to check.
        known: Accepted keys.
        path: Where ``mapping`` sits.
        issues: Collector.
        unsupported: Keys that are known (e.g. dlt options) but not supported, with the reason.
        what: Word for the message ("key", "auth key"...).
    """
    known = list(known)
    bad: list[str] = []
    for key in mapping:
        if not isinstance(key, str):
            issues.add(path, f"keys must be strings, got {type(key).__name__} {key!r}")
            bad.append(str(key))
            continue
        if key in known:
            continue
        bad.append(key)
        if unsupported and key in unsupported:
            issues.add((*path, key), unsupported[key])
        else:
            issues.add(
                (*path, key),
                f"unknown {what} '{key}'{did_you_mean(key, known)}; {known_list(known)}",
            )
    return bad
