"""Shared state of one normalization run: problems and inferences, by raw path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from restsync.spec.issues import Issues, RawPath, did_you_mean, known_list, render_path
from restsync.spec.refs import ConfigRef, SecretRef


@dataclass
class Context:
    """What normalization functions report into.

    Attributes:
        issues: Located problems.
        inferences: ``(raw path, message)`` of every decision the spec did not state.
    """

    issues: Issues
    inferences: list[tuple[RawPath, str]] = field(default_factory=list)

    def infer(self, path: RawPath, message: str) -> None:
        """Record an inference at ``path``."""
        self.inferences.append((path, message))

    def rendered_inferences(self, root: Any) -> list[tuple[str, str]]:
        """Inferences with rendered paths (resources named), duplicates dropped."""
        out: list[tuple[str, str]] = []
        for path, message in self.inferences:
            item = (render_path(path, root), message)
            if item not in out:
                out.append(item)
        return out

    def literal_str(self, value: Any, path: RawPath, what: str) -> str | None:
        """Return ``value`` when it is a non-empty literal string, else report and return None."""
        if isinstance(value, SecretRef | ConfigRef):
            self.issues.add(path, f"{what} must be written literally, not as a "
                                  "secret/config reference")
            return None
        if not isinstance(value, str) or not value.strip():
            self.issues.add(path, f"{what} must be a non-empty string, got {_kind(value)}")
            return None
        return value

    def choice(self, value: Any, path: RawPath, what: str, choices: tuple[str, ...],
               aliases: dict[str, str] | None = None) -> str | None:
        """Validate a type name against ``choices`` (after ``aliases``), with did-you-mean."""
        text = self.literal_str(value, path, what)
        if text is None:
            return None
        text = (aliases or {}).get(text, text)
        if text not in choices:
            names = [*choices, *(aliases or {})]
            self.issues.add(path, f"unknown {what} '{text}'{did_you_mean(text, names)}; "
                                  f"{known_list(choices)}")
            return None
        return text


def set_or_drop(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Put a normalized value back under ``key``, or drop the key when normalization gave
    ``None`` (the problem is already reported)."""
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, str):
        return "an empty string"
    return f"{type(value).__name__} {value!r:.60}"


def kind_of(value: Any) -> str:
    """Describe a value's type for messages (never prints reference values)."""
    return _kind(value)
