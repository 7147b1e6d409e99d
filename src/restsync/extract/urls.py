"""Building request URLs: dlt-style joining and path placeholders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from restsync.errors import ConfigError

__all__ = ["fill_path", "join_url"]

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def join_url(base_url: str, path: str) -> str:
    """Join like dlt: an absolute ``path`` is used as is, otherwise it is appended to the base.

    ``https://h/v1/users/me/`` + ``/profile`` gives ``https://h/v1/users/me/profile``.
    """
    if urlsplit(path).scheme in ("http", "https"):
        return path
    if not path:
        return base_url
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def fill_path(path: str, values: Mapping[str, Any], where: str) -> str:
    """Replace ``{name}`` placeholders by URL-encoded values.

    Raises:
        ConfigError: A placeholder has no value.
    """
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values or values[name] is None:
            given = ", ".join(sorted(values)) or "none"
            raise ConfigError(f"path placeholder {{{name}}} has no value (given: {given})",
                              location=f"{where}.path")
        return quote(str(values[name]), safe="")
    return _PLACEHOLDER.sub(replace, path)
