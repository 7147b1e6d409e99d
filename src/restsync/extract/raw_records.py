"""A page's records kept as the JSON text the API sent, decoded only if something reads them.

For a resource whose records go straight from the body to the loader (no filter, no
transformation, no child, no incremental cursor, no processing step), parsing every record
into Python dicts on the event loop is work nobody uses: the loader reads the same records
from their JSON text into Arrow (:mod:`restsync.normalize.arrow_pages`). Such a page is split
instead (:func:`split_body`): the keys next to the records (the envelope a paginator reads:
``paging.next``, ``meta.total``) are parsed, the records' list is only delimited and counted.
:class:`RawRecords` stands for the list: its length is known at once, and the first access to
an item parses the whole list with the same parser as every other page, so a reader that
does need the dicts (a fallback, a test) gets exactly the dicts it would have had.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import msgspec
import orjson

from restsync.errors import ResponseError

__all__ = ["RawRecords", "SplitBody", "split_body"]

_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])


class RawRecords(Sequence[dict[str, Any]]):
    """The records of one page as their JSON array text; parsed (``orjson``) at first use.

    Args:
        text: The JSON array, exactly as in the body.
        count: How many items the array has.
        location: The page, for the error if the text is not valid JSON after all.
        last: The last record, parsed, when the split was asked for it (``last_record``).
    """

    __slots__ = ("_parsed", "last", "location", "size", "text")

    def __init__(self, text: bytes, count: int, location: str,
                 last: dict[str, Any] | None = None) -> None:
        self.text = text
        self.size = count
        self.location = location
        self.last = last
        self._parsed: list[Any] | None = None

    @property
    def parsed(self) -> bool:
        """Whether the records were parsed into dicts already."""
        return self._parsed is not None

    def records(self) -> list[dict[str, Any]]:
        """The records as dicts (parsed once), items that are not objects wrapped as
        ``{"value": item}`` as every page's are.

        Raises:
            ResponseError: The text is not valid JSON (naming the page).
        """
        if self._parsed is None:
            try:
                items = orjson.loads(self.text)
            except orjson.JSONDecodeError as exc:
                raise ResponseError(f"body is not valid JSON ({exc})",
                                    location=self.location) from None
            self._parsed = [_record(item) for item in items]
        return self._parsed

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self.records()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records())

    def __repr__(self) -> str:
        return f"RawRecords({self.size} records, {len(self.text):,} bytes)"


def _record(item: Any) -> dict[str, Any]:
    """An item of a records' list as a record (not an object: ``{"value": item}``)."""
    return item if type(item) is dict else {"value": item}


@dataclass(frozen=True)
class SplitBody:
    """A JSON object body split at its records' list (:func:`split_body`).

    Attributes:
        envelope: The body's top-level keys that were asked for, parsed; the records' key is
            never among them.
        records: The records' list, unparsed (its last record parsed if asked for).
    """

    envelope: dict[str, Any]
    records: RawRecords


def split_body(body: bytes | bytearray, path: Sequence[str], wanted: frozenset[str], *,
               location: str, want_last: bool = False) -> SplitBody | None:
    """Split a JSON object at the list under ``path`` (object keys), parsing only the
    top-level keys in ``wanted`` (never ``path[0]``), and the list's last item if asked.

    Returns:
        None whenever the body is not exactly that (not an object, no list there, not valid
        JSON as far as the split reads it): the caller parses the whole body instead, which
        reports a bad body as it always does.
    """
    if not path or path[0] in wanted:
        return None
    try:
        level = _TOP.decode(body)
        envelope = {key: orjson.loads(memoryview(level[key])) for key in wanted if key in level}
        for key in path[:-1]:
            level = _TOP.decode(level[key])
        array = level[path[-1]]
        items = _ITEMS.decode(array)
        last = _record(orjson.loads(memoryview(items[-1]))) if want_last and items else None
    except (msgspec.DecodeError, orjson.JSONDecodeError, KeyError):
        return None
    return SplitBody(envelope, RawRecords(bytes(array), len(items), location, last))
