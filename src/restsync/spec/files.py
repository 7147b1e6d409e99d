"""Read YAML / JSON / TOML specs and check dicts handed over from Python.

Every reader returns plain data plus the line of each path when the format tells it.
:func:`prepare_raw` then turns the reference strings ``"${secrets.NAME}"`` /
``"${config.NAME}"`` into reference objects and refuses anything that is not data
(callables, class instances): restsync specs are declarations, never code.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tomllib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from restsync.spec.code import UserCode
from restsync.spec.issues import Issues, RawPath
from restsync.spec.python_api import from_python_object, is_dlt_object
from restsync.spec.refs import ConfigRef, SecretRef, parse_ref_string

FILE_FORMATS: dict[str, str] = {
    ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml",
    ".md": "document", ".markdown": "document", ".txt": "document", ".py": "document",
}


if TYPE_CHECKING:
    import yaml


@functools.cache
def _spec_yaml_loader() -> type[yaml.SafeLoader]:
    """A safe YAML loader class that keeps dates as strings (``2024-01-01`` stays text);
    PyYAML is imported on first use (a document or a JSON spec never needs it)."""
    import yaml

    class SpecYamlLoader(yaml.SafeLoader):
        pass

    SpecYamlLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return SpecYamlLoader


def yaml_error() -> type[Exception]:
    """PyYAML's base error class (imported on first use)."""
    import yaml

    return yaml.YAMLError


def parse_yaml_value(text: str) -> Any:
    """Parse one YAML scalar or flow value (``50``, ``true``, ``[a, b]``, ``http://x``).

    Raises:
        yaml.YAMLError: ``text`` is not valid YAML.
    """
    import yaml

    return yaml.load(text, Loader=_spec_yaml_loader())  # a SafeLoader subclass


def read_yaml(text: str, issues: Issues) -> tuple[Any, dict[RawPath, int]]:
    """Parse YAML text; returns the data and the line of each path."""
    import yaml

    try:
        loader = _spec_yaml_loader()(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        issues.add((), f"not valid YAML: {exc}")
        return None, {}
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        issues.add((), f"not valid YAML: {exc.problem or exc.context}", line=line)
        return None, {}
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        issues.add((), f"not valid YAML: {exc}")
        return None, {}
    finally:
        loader.dispose()
    lines: dict[RawPath, int] = {}
    if node is not None:
        _yaml_lines(node, (), lines)
    return data, lines


def _yaml_lines(node: yaml.Node, path: RawPath, lines: dict[RawPath, int]) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = str(key_node.value)
                lines[(*path, key)] = key_node.start_mark.line + 1
                _yaml_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _yaml_lines(item, (*path, i), lines)


def read_json(text: str, issues: Issues) -> Any:
    """Parse JSON text (problems go to ``issues`` with the line)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        issues.add((), f"not valid JSON: {exc.msg}", line=exc.lineno)
    except (ValueError, RecursionError) as exc:
        issues.add((), f"not valid JSON: {exc}")
    return None


def read_toml(text: str, issues: Issues) -> Any:
    """Parse TOML text (problems go to ``issues``)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        issues.add((), f"not valid TOML: {exc}")
    except (ValueError, RecursionError) as exc:
        issues.add((), f"not valid TOML: {exc}")
    return None


def read_text(text: str, fmt: str, issues: Issues) -> tuple[Any, dict[RawPath, int]]:
    """Parse ``text`` in format ``yaml``, ``json`` or ``toml``."""
    if fmt == "yaml":
        return read_yaml(text, issues)
    if fmt == "json":
        return read_json(text, issues), {}
    if fmt == "toml":
        return read_toml(text, issues), {}
    raise ValueError(f"unknown format {fmt!r}")


_SCALARS = (str, int, float, bool, dt.date, dt.datetime, dt.time)


def prepare_raw(value: Any, issues: Issues, path: RawPath = (), *, python: bool = False) -> Any:
    """Copy ``value`` into plain data with reference objects; refuse what is not data.

    * ``"${secrets.NAME}"`` / ``"${config.NAME}"`` strings become references
      (``"$${..."`` escapes to a literal ``"${..."``);
    * tuples become lists; :class:`SecretRef`/:class:`ConfigRef` are kept;
    * callables and other objects are reported (the value becomes ``None``), except for a
      spec handed over from Python (``python=True``): there dlt's paginator/auth/incremental
      objects become their mappings and callables are kept where dlt calls them (see
      :mod:`restsync.spec.python_api`).

    Args:
        value: The raw spec (from any reader, or a user's dict).
        issues: Collector.
        path: Where ``value`` sits.
        python: The spec is a Python dict given to the Python API.

    Returns:
        The prepared copy.
    """
    if value is None or isinstance(value, SecretRef | ConfigRef | UserCode):
        return value
    if isinstance(value, str):
        try:
            parsed = parse_ref_string(value)
        except ValueError as exc:
            issues.add(path, str(exc))
            return None
        return value if parsed is None else parsed
    if isinstance(value, _SCALARS):
        if isinstance(value, float) and value != value:  # NaN
            issues.add(path, "NaN is not a valid value")
            return None
        return value
    if python and is_dlt_object(value):  # some are mappings: read them by their attributes
        return from_python_object(value, path, issues,
                                  lambda data, where: prepare_raw(data, issues, where,
                                                                  python=True))
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                issues.add(path, f"keys must be strings, got {type(key).__name__} {key!r:.40}")
                continue
            out[key] = prepare_raw(item, issues, (*path, key), python=python)
        return out
    if isinstance(value, list | tuple):
        return [prepare_raw(item, issues, (*path, i), python=python)
                for i, item in enumerate(value)]
    if python:
        return from_python_object(value, path, issues,
                                  lambda data, where: prepare_raw(data, issues, where,
                                                                  python=True))
    if callable(value):
        issues.add(path, f"a callable ({getattr(value, '__name__', type(value).__name__)}) "
                         "is not supported: restsync specs hold data only (use an expression "
                         "string where one is accepted, or pass the spec as a dict to "
                         "restsync.rest_api_source)")
    else:
        issues.add(path, f"a {type(value).__name__} object is not supported here: "
                         "use plain data (dicts, lists, strings, numbers, booleans)")
    return None
