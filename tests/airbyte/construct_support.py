"""The table format of the one-construct manifests and the code that runs one.

A :class:`Case` is a list of streams (plain manifest components; ``{{ config.base }}`` is the
loopback server), the exchanges the server scripts, the exact requests expected (sorted on
comparison; default: the keys of ``exchanges``, each once) and the rows expected per stream
(the columns named in the first row are compared, order-insensitive). Bodies and headers are
checked with :class:`tests.e2e.dlt_support.Check`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import restsync
from restsync.engine import RunInfo
from restsync.extract.retry import RecordingSleeper
from restsync.spec.airbyte import load_manifest
from tests.e2e.dlt_support import Check
from tests.recording_server import Recorded, RecordingServer, Reply, normalize_key

__all__ = ["Case", "Check", "Reply", "ids", "manifest_of", "run_case", "stream"]

URL_BASE = "{{ config['base'] }}"


def ids(*values: int, **fields: Any) -> list[dict[str, Any]]:
    """Records ``{"id": v, **fields}``."""
    return [{"id": v, **fields} for v in values]


def stream(name: str = "items", path: str = "/items", *, field_path: Any = ("data",),
           paginator: Any = None, requester: Mapping[str, Any] | None = None,
           retriever: Mapping[str, Any] | None = None, **component: Any) -> dict[str, Any]:
    """A ``DeclarativeStream`` reading ``path`` on the loopback server."""
    retriever_component: dict[str, Any] = {
        "type": "SimpleRetriever",
        "requester": {"type": "HttpRequester", "url_base": URL_BASE, "path": path,
                      **(requester or {})},
        "record_selector": {"type": "RecordSelector",
                            "extractor": {"type": "DpathExtractor",
                                          "field_path": list(field_path)}},
        **(retriever or {}),
    }
    if paginator is not None:
        retriever_component["paginator"] = paginator
    return {"type": "DeclarativeStream", "name": name, "primary_key": [],
            "retriever": retriever_component, **component}


def manifest_of(streams: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {"version": "6.44.0", "type": "DeclarativeSource",
            "check": {"type": "CheckStream", "stream_names": [streams[0].get("name", "")]},
            "streams": streams,
            "spec": {"type": "Spec", "connection_specification": {"type": "object"}}, **top}


@dataclass(frozen=True)
class Case:
    """One construct, run over HTTP (see the module docstring)."""

    id: str
    streams: list[dict[str, Any]]
    exchanges: Mapping[str, Any] = field(default_factory=dict)
    rows: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[str] | None = None
    checks: Mapping[str, Check] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    handler: Callable[[Recorded, str], Reply | None] | None = None
    auth: bool = False
    fails: str | None = None
    """Text of the error the stream fails with (``None``: it must complete)."""
    top: Mapping[str, Any] = field(default_factory=dict)
    bodies: list[Any] | None = None
    """The JSON bodies of the requests, in the order sent (instead of ``checks``)."""

    def expected_requests(self) -> list[str]:
        lines = self.requests if self.requests is not None else list(self.exchanges)
        return sorted(normalize_key(line) for line in lines)


def run_case(case: Case, server: RecordingServer, db_path: Path) -> RunInfo:
    source = load_manifest(manifest_of(case.streams, **case.top),
                           config={"base": server.base_url, **case.config}, name="ab")
    pipe = restsync.pipeline(destination=f"duckdb:///{db_path}", dataset_name="ab",
                             sleeper=RecordingSleeper())
    return pipe.run(source)
