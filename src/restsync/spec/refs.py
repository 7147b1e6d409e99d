"""References to secret and config values, resolved after dialect normalization.

A spec never holds a secret literally: it names it. Documents write ``dlt.secrets["client_id"]``,
YAML/JSON/TOML files write the string ``"${secrets.client_id}"``, Python callers pass
:func:`secret` / :func:`config_value`. All of them become :class:`SecretRef` / :class:`ConfigRef`
objects in the raw spec; :mod:`restsync.spec.values` looks the values up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REF_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$")
"""Names: identifiers, optionally dotted into sections (``sources.email.client_id``)."""


@dataclass(frozen=True)
class SecretRef:
    """A named secret; resolves to a :class:`pydantic.SecretStr`.

    Attributes:
        name: The secret's name (``client_id``); dots separate sections.
        optional: When no provider has it, the key is left out (the model's default
            applies) instead of being reported missing.
    """

    name: str
    optional: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"${{secrets.{self.name}}}"


@dataclass(frozen=True)
class ConfigRef:
    """A named (non-secret) config value; resolves to the value with its own type.

    Attributes:
        name: The value's name (``start_date``); dots separate sections.
        optional: When no provider has it, the key is left out (the model's default
            applies) instead of being reported missing.
    """

    name: str
    optional: bool = field(default=False, compare=False)

    def __str__(self) -> str:
        return f"${{config.{self.name}}}"


ValueRef = SecretRef | ConfigRef


def secret(name: str) -> SecretRef:
    """Name a secret in a spec given as a Python dict.

    Args:
        name: The secret's name, looked up in the environment and secrets files.

    Returns:
        A reference resolved when the spec is loaded.

    Raises:
        ValueError: ``name`` is not a valid identifier (optionally dotted).
    """
    if not REF_NAME.match(name):
        raise ValueError(f"invalid secret name {name!r}")
    return SecretRef(name)


def config_value(name: str) -> ConfigRef:
    """Name a config value in a spec given as a Python dict.

    Args:
        name: The value's name, looked up in the environment and config files.

    Returns:
        A reference resolved when the spec is loaded.

    Raises:
        ValueError: ``name`` is not a valid identifier (optionally dotted).
    """
    if not REF_NAME.match(name):
        raise ValueError(f"invalid config name {name!r}")
    return ConfigRef(name)


_REF_STRING = re.compile(r"^\$\{\s*(?P<kind>secrets|config)\.(?P<name>[^}\s]*)\s*\}$")


def parse_ref_string(text: str) -> ValueRef | str | None:
    """Interpret the reference syntax of YAML/JSON/TOML specs.

    ``"${secrets.NAME}"`` and ``"${config.NAME}"`` (the whole string) are references;
    a leading ``$${`` escapes to a literal ``${``.

    Args:
        text: A string value from a spec.

    Returns:
        A reference; the unescaped string when ``text`` used the ``$${`` escape; ``None``
        when ``text`` is a plain string to keep as is.

    Raises:
        ValueError: ``text`` looks like a reference but is not a valid one (the message says why).
    """
    if text.startswith("$${"):
        return text[1:]
    if "${" not in text:
        return None
    match = _REF_STRING.match(text.strip())
    if match is None:
        if re.search(r"\$\{\s*(secrets|config)\.", text):
            raise ValueError(
                "a ${secrets.NAME} / ${config.NAME} reference must be the whole value "
                "(no text around it); write $${ for a literal ${"
            )
        return None
    name = match.group("name")
    if not REF_NAME.match(name):
        raise ValueError(f"invalid {match.group('kind')} name {name!r} in reference {text!r}")
    return SecretRef(name) if match.group("kind") == "secrets" else ConfigRef(name)
