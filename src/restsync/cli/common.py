"""What every ``restsync`` command shares: the consoles, option types, spec loading, errors.

Commands live in their own modules (``app``, ``schema_cmd``, ``state_cmd``); they import this
module, and ``app`` imports them to register them, so no command module imports ``app``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from restsync.errors import ConfigError, MissingValuesError, RestsyncError

if TYPE_CHECKING:
    from rich.console import Console

    console: Console
    """Standard output: a rich console, made on first use (see :func:`__getattr__`)."""
    err: Console
    """Standard error: a rich console, made on first use."""

CONSOLES = ("console", "err")


def __getattr__(name: str) -> Any:
    """``console`` and ``err`` are made (and rich imported) on first use: ``--help`` and the
    parsing of the command line never need rich, and its import is a good share of a start."""
    if name not in CONSOLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _console(name)


def _console(name: str) -> Console:
    made = globals().get(name)
    if made is None:
        from rich.console import Console

        stderr = name == "err"
        stream = sys.stderr if stderr else sys.stdout
        made = Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 160)
        globals()[name] = made
    return made


SpecArg = Annotated[Path, typer.Argument(
    help="Document (.md/.txt), .yaml/.yml/.json/.toml spec.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a spec value: PATH=VALUE (e.g. client.base_url=http://127.0.0.1:8080/).")]
ParamOpt = Annotated[list[str] | None, typer.Option(
    "--param", help="Path parameter value(s): NAME=V1[,V2...] (fans out over each value).")]
DestinationOpt = Annotated[str | None, typer.Option(
    help="Destination URL, default duckdb:///restsync.duckdb")]
DatasetOpt = Annotated[str | None, typer.Option(help="Dataset (schema) name.")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Airbyte manifests: the connector's config.json (validated against the "
                     "manifest's spec; ${secrets.x} references are looked up).")]
StreamsOpt = Annotated[str | None, typer.Option(
    "--streams", help="Airbyte manifests: comma-separated streams to run (their parents are "
                      "extracted too).")]


def parse_params(items: list[str] | None) -> dict[str, list[str]]:
    """``["provider=google,microsoft"]`` -> ``{"provider": ["google", "microsoft"]}``."""
    out: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r}: expected NAME=V1[,V2...]")
        out.setdefault(name.strip(), []).extend(v for v in values.split(",") if v != "")
    return out


def fail(exc: RestsyncError) -> typer.Exit:
    """Print ``exc`` on stderr; the exit to raise (2 for configuration errors, else 1)."""
    _console("err").print(f"error: {exc}", style="red", markup=False)
    return typer.Exit(code=2 if isinstance(exc, ConfigError) else 1)


def load_source(spec: Path, sets: list[str] | None, params: list[str] | None,
                resolve_values: bool = True, *, config: Path | None = None,
                streams: str | None = None) -> Any:
    """The validated source of ``spec`` with ``--set`` and ``--param`` applied (an Airbyte
    manifest: compiled with ``--config`` and ``--streams``)."""
    from restsync.spec import load_spec

    if is_manifest_file(spec):
        return load_manifest_source(spec, config, streams)
    if config is not None or streams is not None:
        raise ConfigError("--config and --streams are for Airbyte manifests "
                          "(type: DeclarativeSource)")
    return load_spec(spec, overrides=sets or [], params=parse_params(params),
                     resolve_values=resolve_values)


def is_manifest_file(spec: Path) -> bool:
    """Whether ``spec`` is a YAML file holding an Airbyte manifest."""
    if spec.suffix.lower() not in (".yaml", ".yml") or not spec.is_file():
        return False
    try:
        with spec.open(encoding="utf-8") as handle:
            head = handle.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return False
    top = [line.strip() for line in head.splitlines()
           if line.strip() and not line.startswith((" ", "\t", "#", "-"))]
    if any(line in ("type: DeclarativeSource", 'type: "DeclarativeSource"') for line in top):
        return True
    from restsync.spec.airbyte.manifest import MANIFEST_TOP_KEYS

    keys = {line.split(":", 1)[0].strip("'\"") for line in top if ":" in line}
    return "type" not in keys and keys >= MANIFEST_TOP_KEYS  # the CDK's default type


def load_manifest_source(spec: Path, config: Path | None, streams: str | None) -> Any:
    """Compile a manifest (a generated config when none is given: ``check`` says so)."""
    from restsync.spec.airbyte import generate_config, load_manifest
    from restsync.spec.model import Inference

    chosen = [s for s in streams.split(",") if s] if streams else None
    if config is not None:
        return load_manifest(spec, config=config, streams=chosen)
    import yaml

    raw = yaml.safe_load(spec.read_text(encoding="utf-8")) or {}
    schema = ((raw.get("spec") or {}).get("connection_specification")
              if isinstance(raw, dict) else None)
    source = load_manifest(spec, config=generate_config(schema), streams=chosen)
    source.inferences.insert(0, Inference(path="--config", message=(
        "no --config: compiled with a config generated from the spec's examples and defaults "
        "(give --config to run)")))
    return source


def load_source_names_only(spec: Path, sets: list[str] | None = None,
                           params: list[str] | None = None) -> Any:
    """Like :func:`load_source`, but a missing secret is no error (for commands that only
    need resource names, such as ``state`` and ``schema``)."""
    try:
        return load_source(spec, sets, params)
    except MissingValuesError:
        return load_source(spec, sets, params, resolve_values=False)


def config_lookup() -> Any:
    """A lookup of ``config`` values (environment and TOML files) for placeholders."""
    from restsync.spec.values import MISSING, ValueResolver

    resolver = ValueResolver()

    def lookup(name: str) -> Any:
        value = resolver.lookup("config", name)
        return None if value is MISSING else value

    return lookup


def open_for(source: Any, destination: str | None, dataset: str | None) -> Any:
    """Open the destination dataset a source's runs load into (the run's defaults)."""
    from restsync.engine.defaults import DEFAULT_DESTINATION, dataset_name_for
    from restsync.load import open_destination

    return open_destination(destination or DEFAULT_DESTINATION,
                            dataset or dataset_name_for(source.name))


def unknown_resource(resource: str, names: list[str]) -> RestsyncError:
    """The error for a ``--resource`` the source does not have."""
    return RestsyncError(f"unknown resource {resource!r}; known: {', '.join(names)}")
