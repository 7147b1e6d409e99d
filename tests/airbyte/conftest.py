"""Fixtures of the Airbyte-manifest tests."""

from tests.airbyte.support import manifest_run

__all__ = ["manifest_run"]
