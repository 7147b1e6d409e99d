"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.pg_cluster import (
    PostgresCluster,
    ServerMissingError,
    create_database,
    require_server_binaries,
)
from tests.seed_run import seed_run

__all__ = ["pg_database_url", "pg_url", "seed_run"]

# Property tests draw the same examples on every run by default, so CI is reproducible and a
# red run is a real regression. `HYPOTHESIS_PROFILE=explore make test` draws fresh random
# examples to hunt for new failures (add each one found as a plain test).
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database in a throwaway PostgreSQL 15 cluster started for this test session.

    Without server binaries every test using it fails, unless RESTSYNC_SKIP_POSTGRES=1 (see
    tests/pg_cluster.py): the PostgreSQL tests never vanish from a run silently.
    """
    try:
        bin_dir = require_server_binaries()
    except ServerMissingError as exc:
        if exc.opted_out:
            pytest.skip(str(exc))
        pytest.fail(str(exc), pytrace=False)
    cluster = PostgresCluster(bin_dir).start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def pg_database_url(pg_url: str) -> str:
    """URL of a new, empty database in the session's PostgreSQL cluster (one per test)."""
    return create_database(pg_url)
