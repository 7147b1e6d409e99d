"""Look up the values that secret/config references name.

Search order for a name ``client_id`` of a source ``email_api`` (first hit wins):

1. environment: ``SOURCES__EMAIL_API__CLIENT_ID``, ``SOURCES__REST_API__EMAIL_API__CLIENT_ID``
   (dlt's layout), ``SOURCES__REST_API__CLIENT_ID``, ``SOURCES__CLIENT_ID``, ``CLIENT_ID``
   (dots in names become ``__``);
2. ``.restsync/secrets.toml`` (secrets) or ``.restsync/config.toml`` then
   ``.restsync/secrets.toml`` (config), in the working directory;
3. ``.dlt/secrets.toml`` / ``.dlt/config.toml`` likewise.

In each file the key may sit in ``[sources.email_api]``, ``[sources.rest_api.email_api]``,
``[sources.rest_api]``, ``[sources]`` or at the top level (most specific first).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from restsync.errors import ConfigError

MISSING: Any = object()
"""Returned by :meth:`ValueResolver.lookup` when no provider has the name."""

KINDS = ("secret", "config")


class ValueResolver:
    """Finds secret and config values by name.

    Args:
        cwd: Directory holding ``.restsync/`` and ``.dlt/`` (default: the process's cwd).
        environ: Environment variables (default: ``os.environ``); tests pass a dict.
        secrets: Extra secret values checked first (e.g. from a test or an API caller).
        config: Extra config values checked first.
        use_files: Read the toml files (set False to use only the mappings/environ).
    """

    def __init__(
        self,
        *,
        cwd: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        use_files: bool = True,
    ):
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self._given: dict[str, Mapping[str, Any]] = {
            "secret": dict(secrets or {}), "config": dict(config or {}),
        }
        self.use_files = use_files
        self._files: dict[Path, dict[str, Any] | None] = {}

    @classmethod
    def from_values(cls, *, secrets: Mapping[str, Any] | None = None,
                    config: Mapping[str, Any] | None = None) -> ValueResolver:
        """A resolver that knows only the given values (no environment, no files)."""
        return cls(environ={}, secrets=secrets, config=config, use_files=False)

    def _file_paths(self, kind: str) -> list[Path]:
        if not self.use_files:
            return []
        out: list[Path] = []
        for folder in (".restsync", ".dlt"):
            base = self.cwd / folder
            out += [base / "secrets.toml"] if kind == "secret" else [
                base / "config.toml", base / "secrets.toml"]
        return out

    def searched(self, source_name: str | None = None) -> list[str]:
        """Human-readable list of the places looked in (for error messages)."""
        places: list[str] = []
        if any(self._given.values()):
            places.append("values passed in by the caller")
        env = [f"SOURCES__{(source_name or 'rest_api').upper()}__<NAME>", "SOURCES__<NAME>",
               "<NAME>"]
        if source_name and source_name != "rest_api":
            env[1:1] = [f"SOURCES__REST_API__{source_name.upper()}__<NAME>",
                        "SOURCES__REST_API__<NAME>"]
        places.append("environment variables " + ", ".join(env)
                      + " (<NAME>: the value's name in upper case, dots as __)")
        for kind in KINDS:
            for path in self._file_paths(kind):
                text = str(path)
                if text not in places:
                    places.append(text)
        return places

    def lookup(self, kind: str, name: str, *, source_name: str | None = None) -> Any:
        """Find the value of secret/config ``name``.

        Args:
            kind: ``"secret"`` or ``"config"``.
            name: The name (dots separate sections).
            source_name: The source's name, for ``[sources.<name>]`` sections.

        Returns:
            The value (environment values are strings, toml values keep their type), or
            :data:`MISSING`.

        Raises:
            ConfigError: A toml file exists but cannot be parsed.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        keys = name.split(".")
        given = _dig(self._given[kind], keys)
        if given is MISSING and name in self._given[kind]:
            given = self._given[kind][name]
        if given is not MISSING:
            return given
        prefixes: list[list[str]] = []
        if source_name:
            prefixes += [["sources", source_name], ["sources", "rest_api", source_name]]
        prefixes += [["sources", "rest_api"], ["sources"], []]
        for prefix in prefixes:
            env_name = "__".join(p.upper() for p in [*prefix, *keys])
            if env_name in self.environ:
                return self.environ[env_name]
        for path in self._file_paths(kind):
            data = self._read(path)
            if data is None:
                continue
            for prefix in prefixes:
                value = _dig(data, [*prefix, *keys])
                if value is not MISSING:
                    return value
        return MISSING

    def _read(self, path: Path) -> dict[str, Any] | None:
        if path not in self._files:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                self._files[path] = None
                return None
            except OSError as exc:
                raise ConfigError(f"cannot read {path}: {exc.strerror}", location=str(path)) from exc
            try:
                self._files[path] = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                # The message names a line/column, never a value.
                raise ConfigError(f"not valid TOML: {exc}", location=str(path)) from exc
        return self._files[path]


def _dig(data: Mapping[str, Any], keys: list[str]) -> Any:
    node: Any = data
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return MISSING
        node = node[key]
    if isinstance(node, Mapping):  # a section, not a value
        return MISSING
    return node
