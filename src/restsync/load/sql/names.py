"""SQL text shared by the SQL destinations: quoted identifiers and safe error messages."""

from __future__ import annotations

import re

_LONG_QUOTED = re.compile(r"('[^']{80,}'|\"[^\"]{80,}\")")
MAX_MESSAGE = 400


def quote(identifier: str) -> str:
    """Quote an identifier (names may start with ``_`` or hold any character)."""
    return '"' + identifier.replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """``"catalog"."schema"."table"`` (any number of quoted parts)."""
    return ".".join(quote(p) for p in parts)


def safe_message(error: BaseException) -> str:
    """A database error's text with long quoted values cut (no data dumps in messages)."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = _LONG_QUOTED.sub(lambda m: m.group(0)[:40] + "...'", text)
    return text[:MAX_MESSAGE]
