"""Fixtures of the Airbyte-manifest tests."""

from tests.airbyte.cdk import cdk_python
from tests.airbyte.support import manifest_run

__all__ = ["cdk_python", "manifest_run"]
