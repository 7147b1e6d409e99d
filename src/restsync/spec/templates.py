"""Placeholders in requests, as dlt's ``rest_api`` defines them (``str.format`` syntax).

Strings in an endpoint's ``path``, ``params`` (keys and values), ``json``, ``data`` and
``headers`` are templates:

* ``{resources.<parent>.<field>}``: a field of each record of another resource; the
  resource becomes the parent and the endpoint is requested once per parent record;
* ``{incremental.start_value}``, ``{incremental.end_value}``, ``{incremental.initial_value}``,
  ``{incremental.last_value}``: the endpoint's incremental window (needs ``incremental``);
  also its settings ``lag``, ``cursor_path``, ``row_order``, ``range_start``, ``range_end``,
  ``on_cursor_value_missing``;
* ``{name}`` (path only): a path parameter, filled from a static ``params`` value, a
  ``resolve`` param, ``--param``, an inferred parent (``{x_id}``) or a config value;
* ``{{`` and ``}}``: a literal ``{`` / ``}``.

Anything else (an unknown root such as ``{unknown.posts.id}``, ``{name}`` outside the path,
an unbalanced brace) is a located error. Parsing is pure: rendering happens in
:mod:`restsync.extract.interpolate`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

RESOURCES = "resources"
INCREMENTAL = "incremental"
ROOTS = (RESOURCES, INCREMENTAL)
INCREMENTAL_FIELDS = ("start_value", "end_value", "initial_value", "last_value", "lag",
                      "cursor_path", "row_order", "range_start", "range_end",
                      "on_cursor_value_missing")
"""The ``{incremental.<x>}`` values (dlt renders any attribute of its Incremental object)."""
PLACES = ("path", "params", "json", "data", "headers")
"""Where an endpoint holds templates (the order dlt checks them in)."""
_SINGLE_ENTITY = re.compile(r"\{([a-zA-Z0-9.\-_]+)\}")


class TemplateError(ValueError):
    """A template string is malformed or names something that does not exist."""


@dataclass(frozen=True)
class Field:
    """One placeholder of a template.

    Attributes:
        text: The text between the braces, without format spec/conversion
            (``resources.posts.id``); also the key its value is rendered from.
        format_spec: ``str.format`` spec after ``:`` (``""`` when none).
        conversion: ``r``, ``s``, ``a`` or ``None``.
    """

    text: str
    format_spec: str = ""
    conversion: str | None = None

    @property
    def root(self) -> str | None:
        """``resources``/``incremental``/another dotted root; ``None`` for a plain name."""
        return self.text.split(".", 1)[0] if "." in self.text else None

    @property
    def parent(self) -> tuple[str, str] | None:
        """``(resource, field)`` of a ``{resources.<resource>.<field>}`` placeholder."""
        if self.root != RESOURCES:
            return None
        parts = self.text.split(".", 2)
        return (parts[1], parts[2]) if len(parts) == 3 and parts[1] and parts[2] else None


Part = str | Field
"""A parsed template: literal text (escapes already undone) and fields, in order."""


def parse(text: str) -> list[Part]:
    """Split a template into literal text and placeholders.

    Raises:
        TemplateError: Unbalanced braces (write ``{{`` / ``}}`` for literal ones) or an
            empty placeholder ``{}``.
    """
    try:
        items = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"{exc} in {text[:80]!r}; write {{{{ and }}}} for literal braces"
                            ) from None
    parts: list[Part] = []
    for literal, name, spec, conversion in items:
        if literal and parts and isinstance(parts[-1], str):
            parts[-1] += literal  # ``{{``/``}}`` split the text: keep it one piece
        elif literal:
            parts.append(literal)
        if name is None:
            continue
        if not name.strip():
            raise TemplateError(f"empty placeholder {{}} in {text[:80]!r}; write {{{{}}}} for "
                                "literal braces")
        parts.append(Field(name.strip(), spec or "", conversion))
    return parts


def fields(text: str) -> list[Field]:
    """The placeholders of one template string (see :func:`parse`)."""
    return [p for p in parse(text) if isinstance(p, Field)]


def is_template(text: str) -> bool:
    """Whether rendering ``text`` can change it (it holds a brace)."""
    return "{" in text or "}" in text


def walk_strings(value: Any, where: tuple[str | int, ...] = ()
                 ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string in a nested structure (mapping keys included), with its path."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*where, key), key
            yield from walk_strings(item, (*where, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from walk_strings(item, (*where, i))


def check_field(field: Field, place: str, *, has_incremental: bool) -> str | None:
    """The problem with a placeholder found in ``place`` (``path``, ``params``...), or None.

    A plain ``{name}`` is fine in the path only (a path parameter).
    """
    root = field.root
    if root is None:
        if place == "path":
            return None
        return (f"placeholder `{{{field.text}}}` in {place} is not valid: placeholders there "
                f"start with `resources.` or `incremental.` (write {{{{ and }}}} for literal "
                f"braces)")
    if root == RESOURCES:
        if field.parent is None:
            return (f"placeholder `{{{field.text}}}`: expected "
                    f"`{{resources.<resource>.<field>}}`")
        return None
    if root == INCREMENTAL:
        if not has_incremental:
            return (f"placeholder `{{{field.text}}}` needs an `incremental` on the endpoint")
        attr = field.text.split(".", 1)[1]
        if attr not in INCREMENTAL_FIELDS:
            return (f"placeholder `{{{field.text}}}`: unknown incremental value `{attr}` "
                    f"(known: {', '.join(INCREMENTAL_FIELDS)})")
        return None
    return (f"placeholder `{{{field.text}}}` has an unknown root `{root}`; placeholders start "
            f"with one of: {', '.join(ROOTS)} (write {{{{ and }}}} for literal braces)")


def single_entity_path(path: str) -> bool:
    """dlt's rule: a path whose last segment holds a placeholder returns one object."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return _SINGLE_ENTITY.search(last) is not None
