"""restsync.spec stage: read any spec dialect into the canonical :class:`SourceConfig`.

Public API::

    load_spec(source, *, overrides=(), params=None, values=None, name=None,
              resolve_values=True) -> SourceConfig
    read_raw(source) -> RawSpec          # the raw dict, lines, and a document's prose
    ValueResolver(cwd=..., environ=..., secrets=..., config=...)
    secret("name") / config_value("name") -> SecretRef / ConfigRef  (for Python dict specs)
"""

from restsync.spec.document import ParsedDocument, read_document
from restsync.spec.expressions import tested_paths, validate_expression
from restsync.spec.loader import RawSpec, load_spec, read_raw
from restsync.spec.refs import ConfigRef, SecretRef, config_value, secret
from restsync.spec.values import ValueResolver

__all__ = [
    "ConfigRef",
    "ParsedDocument",
    "RawSpec",
    "SecretRef",
    "ValueResolver",
    "config_value",
    "load_spec",
    "read_document",
    "read_raw",
    "secret",
    "tested_paths",
    "validate_expression",
]
