"""Rendering request templates (see :mod:`restsync.spec.templates` for the syntax).

Values come from the work item (``{"resources.posts.id": 7, "org": "acme"}``) and the
incremental window (``{"incremental.start_value": ...}``). As in dlt, a JSON string that is
exactly one placeholder keeps the value's type (``{"id": "{resources.posts.id}"}`` sends
``{"id": 7}``); everything else is rendered as text.

Path values are made safe: each one is percent-encoded so that it stays inside its path
segment (``/`` becomes ``%2F``), and a segment that would read ``.`` or ``..`` has its dots
encoded (``%2E``), so data can never move a request to another path. Header values may not
contain line breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from restsync.errors import ConfigError, ResponseError
from restsync.spec import templates

__all__ = ["render", "render_headers", "render_path"]

_DOT_SEGMENTS = (".", "..")


def _value(field: templates.Field, values: Mapping[str, Any], where: str) -> Any:
    if field.text not in values:
        given = ", ".join(sorted(values)) or "none"
        raise ConfigError(f"placeholder {{{field.text}}} has no value (given: {given})",
                          location=where)
    return values[field.text]


def _text(field: templates.Field, value: Any) -> str:
    if field.conversion == "r":
        value = repr(value)
    elif field.conversion == "a":
        value = ascii(value)
    elif field.conversion == "s":
        value = str(value)
    return format(value, field.format_spec) if field.format_spec else str(value)


def _parts(text: str, where: str) -> list[templates.Part]:
    try:
        return templates.parse(text)
    except templates.TemplateError as exc:  # the spec stage refuses these; be safe anyway
        raise ConfigError(str(exc), location=where) from None


def render_text(text: str, values: Mapping[str, Any], where: str) -> str:
    """Render one template string (``{{``/``}}`` become single braces)."""
    if not templates.is_template(text):
        return text
    return "".join(p if isinstance(p, str) else _text(p, _value(p, values, where))
                   for p in _parts(text, where))


def render(value: Any, values: Mapping[str, Any], where: str, *,
           preserve_type: bool = False) -> Any:
    """Render every string of a nested structure (mapping keys too).

    Args:
        value: A string, mapping, list or scalar.
        values: Placeholder -> value.
        where: Config path for errors.
        preserve_type: A string that is exactly one placeholder becomes the value itself
            (dlt's rule for ``json`` bodies).
    """
    if isinstance(value, str):
        if preserve_type and templates.is_template(value):
            parts = _parts(value, where)
            if len(parts) == 1 and isinstance(parts[0], templates.Field) \
                    and not parts[0].format_spec and parts[0].conversion is None:
                return _value(parts[0], values, where)
        return render_text(value, values, where)
    if isinstance(value, Mapping):
        return {render_text(k, values, where) if isinstance(k, str) else k:
                render(v, values, where, preserve_type=preserve_type) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(v, values, where, preserve_type=preserve_type) for v in value]
    return value


def _segment_value(value: Any) -> str:
    return quote(str(value), safe="")


def render_path(path: str, values: Mapping[str, Any], where: str) -> str:
    """Render an endpoint path; every value stays inside its own path segment.

    Raises:
        ConfigError: A placeholder has no value.
    """
    if not templates.is_template(path):
        return path
    segments = []
    for segment in path.split("/"):
        parts = _parts(segment, where) if templates.is_template(segment) else [segment]
        if all(isinstance(p, str) for p in parts):
            segments.append("".join(str(p) for p in parts))
            continue
        rendered = "".join(
            p if isinstance(p, str) else _segment_value(_text(p, _value(p, values, where)))
            for p in parts)
        if rendered in _DOT_SEGMENTS:
            rendered = rendered.replace(".", "%2E")
        segments.append(rendered)
    return "/".join(segments)


def render_headers(headers: Mapping[str, str], values: Mapping[str, Any],
                   where: str) -> dict[str, str]:
    """Render header values (names are not templates); refuse line breaks from data.

    Raises:
        ResponseError: A rendered value holds CR or LF (it would inject headers).
    """
    out: dict[str, str] = {}
    for name, text in headers.items():
        rendered = render_text(text, values, where)
        if "\r" in rendered or "\n" in rendered:
            raise ResponseError(f"header {name}: the value rendered from the data holds a line "
                                "break; not sent", location=where)
        out[name] = rendered
    return out
