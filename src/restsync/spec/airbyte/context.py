"""What every component compiler shares: the config, problems, inferences, templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync.spec.airbyte.interpolation import InterpolationError, Template, TemplateRenderError
from restsync.spec.airbyte.manifest import PATH_KEY
from restsync.spec.issues import Issues

__all__ = ["Compiler", "Unsupported", "path_of"]


class Unsupported(Exception):
    """A component restsync does not run; compiling the stream that uses it stops here.

    Attributes:
        kind: The component type (``CustomRetriever``, ``AsyncRetriever``...).
        where: Its manifest path.
        message: Why.
    """

    def __init__(self, kind: str, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.kind = kind
        self.where = where
        self.message = message


def path_of(component: Any, fallback: str = "") -> str:
    """The manifest path of a component (as recorded by :func:`prepare_manifest`)."""
    if isinstance(component, Mapping) and isinstance(component.get(PATH_KEY), str):
        return component[PATH_KEY] or fallback
    return fallback


@dataclass
class Compiler:
    """The state of one manifest's compilation.

    Attributes:
        config: The connector config (``config`` of templates).
        issues: Located problems (the manifest cannot run).
        inferences: ``(path, message)`` decisions restsync made (``check`` prints them).
        stream: The stream being compiled (for messages).
    """

    config: dict[str, Any]
    issues: Issues = field(default_factory=Issues)
    inferences: list[tuple[str, str]] = field(default_factory=list)
    stream: str = ""
    builder: Any = None
    parent_streams: dict[str, Any] = field(default_factory=dict)
    """Parent streams met in partition routers, by name (compiled as resources)."""
    carried: set[tuple[str, str, str]] = field(default_factory=set)
    """``(stream, its parent, partition field)``: that stream's records carry the partition
    value for a child that pairs them (:func:`~.partitions.chain_parents`)."""
    retry_handlers: dict[str, Any] = field(default_factory=dict)
    """Each stream's compiled error handler (the client's retry policy comes from one)."""

    def build(self, component: Any, family: str, **kwargs: Any) -> Any:
        """Compile a sub-component through the registry (``family`` names what is expected
        there, for messages: ``"paginator"``, ``"authenticator"``...).

        Raises:
            Unsupported: An unknown, custom or unsupported component (named with its path).
        """
        return self.builder(self, component, family, **kwargs)

    def infer(self, where: str, message: str) -> None:
        """Record an inference (once)."""
        if (where, message) not in self.inferences:
            self.inferences.append((where, message))

    def template(self, value: Any, component: Mapping[str, Any] | None, where: str,
                 **options: Any) -> Template:
        """Compile ``value`` (a string; numbers/bools are written as text first).

        Raises:
            Unsupported: The template cannot be compiled (named by its path).
        """
        params = (component or {}).get("$parameters") or {}
        text = value if isinstance(value, str) else _as_text(value)
        try:
            return Template(text, params, where=where, **options)
        except InterpolationError as exc:
            raise Unsupported("template", where, f"{exc} in {text[:120]!r}") from None

    def evaluate(self, value: Any, component: Mapping[str, Any] | None, where: str,
                 **options: Any) -> Any:
        """Compile and render a template that only reads ``config``/``parameters``.

        Raises:
            Unsupported: It does not compile or fails to render with the config.
        """
        template = self.template(value, component, where, **options)
        try:
            return template.render({"config": self.config})
        except TemplateRenderError as exc:
            raise Unsupported("template", where, f"cannot be evaluated with the config: "
                                                 f"{exc}") from None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)
