"""Which templated (manifest) pages may leave their records unparsed, and the split itself.

A page's records need not become dicts on the event loop when nothing on the way to the
loader reads them (:mod:`restsync.extract.raw_records`). For a manifest stream that holds
when the records are the list at a constant path of object keys in a JSON body (no gzip), no
filter, transformation or client-side date window touches them, and the paginator's templates
read the body only by constant keys other than the records' own (``response.paging.next``),
plus at most the last record. The caller (the run) asks for it only for a resource whose
records go nowhere else (no child, no incremental cursor, no processing step); anything that
does read the records still gets them, parsed at first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from restsync.extract.raw_records import RawRecords, SplitBody, split_body
from restsync.spec.templated import TemplatedEndpoint

__all__ = ["RecordSplit", "last_record"]


def last_record(records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The last of a page's records (for ``last_record``), without parsing a raw page."""
    if isinstance(records, RawRecords):
        return records.last
    return records[-1] if records else None


def _keys_read(template: Any, name: str) -> frozenset[str] | None:
    """What ``template`` reads of ``name`` (see ``Template.keys_read``); a constant reads
    nothing, a template that cannot tell gives None."""
    if template is None or isinstance(template, int | float | str):
        return frozenset()
    reader = getattr(template, "keys_read", None)
    return reader(name) if reader is not None else None


@dataclass(frozen=True)
class RecordSplit:
    """How one templated endpoint's pages are split (see the module docstring).

    Attributes:
        path: The records' path of object keys.
        wanted: The body's top-level keys the paginator reads.
        want_last: Whether the paginator reads the last record.
    """

    path: tuple[str, ...]
    wanted: frozenset[str]
    want_last: bool

    @classmethod
    def plan(cls, te: TemplatedEndpoint, path: Sequence[str] | None) -> RecordSplit | None:
        """The split for ``te`` with its records at ``path`` (constant), or None."""
        pipeline, windows, paging = te.records, te.windows, te.paging
        if not path or any(key == "*" or key.lstrip("-").isdigit() for key in path):
            return None
        if pipeline.decoder != "json" or pipeline.gzip or pipeline.filter is not None \
                or pipeline.transformations:
            return None
        if windows is not None and (windows.client_side or windows.is_data_feed):
            return None
        wanted: set[str] = set()
        want_last = False
        for template in (paging.cursor_value, paging.stop_condition, paging.page_size):
            keys = _keys_read(template, "response")
            if keys is None or path[0] in keys:
                return None
            wanted |= keys
            want_last = want_last or _keys_read(template, "last_record") != frozenset()
        return cls(tuple(path), frozenset(wanted), want_last)

    def split(self, body: bytes | bytearray, location: str) -> SplitBody | None:
        """``body`` split at the records (None: parse it whole, as every other page)."""
        return split_body(body, self.path, self.wanted, location=location,
                          want_last=self.want_last)
