"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_cluster import PostgresCluster, create_database, server_binaries
from tests.seed_run import seed_run

__all__ = ["pg_database_url", "pg_url", "seed_run"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a database in a throwaway PostgreSQL 15 cluster started for this test session."""
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not installed (/usr/lib/postgresql/15/bin)")
    cluster = PostgresCluster(bin_dir).start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def pg_database_url(pg_url: str) -> str:
    """URL of a new, empty database in the session's PostgreSQL cluster (one per test)."""
    return create_database(pg_url)
