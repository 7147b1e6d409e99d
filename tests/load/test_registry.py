"""Destinations by URL scheme: the registry is the only place that knows them."""

from __future__ import annotations

import pytest

from restsync.errors import DestinationError
from restsync.load import DESTINATIONS, open_destination
from restsync.load.registry import opener, scheme_of


def test_every_registered_scheme_has_an_opener() -> None:
    for scheme in DESTINATIONS:
        assert callable(opener(scheme)), scheme


@pytest.mark.parametrize("url", ["mysql://x/y", "nope", "", "file:///tmp/x.duckdb"])
def test_unknown_schemes_are_refused_listing_the_known_ones(url: str) -> None:
    with pytest.raises(DestinationError) as info:
        open_destination(url, "ds")
    message = str(info.value)
    assert "unsupported destination scheme" in message
    for scheme in DESTINATIONS:
        assert f"{scheme}://" in message


def test_scheme_is_read_case_insensitively() -> None:
    assert scheme_of("DuckDB:///x.duckdb") == "duckdb"
    assert scheme_of("postgresql://u@h/db") == "postgresql"
