"""Shared fixtures of the spec tests: seed documents and a resolver over plain dicts."""

from __future__ import annotations

import pytest
from spec_helpers import SEED_SECRETS

from restsync.spec import ValueResolver


@pytest.fixture
def seed_values() -> ValueResolver:
    """A resolver that knows every seed's secrets and config, and nothing else."""
    return ValueResolver.from_values(secrets=SEED_SECRETS,
                                     config={"start_date": "2024-01-01T00:00:00Z"})


@pytest.fixture
def no_values() -> ValueResolver:
    """A resolver that knows nothing (no environment, no files)."""
    return ValueResolver.from_values()
