"""Airbyte's real connector manifests as Airbyte publishes them on PyPI: the
``airbyte-source-*`` wheels pinned in ``tests/airbyte/packaged_connectors.txt``.

A checkout of Airbyte's repository (``airbyte_checkout.py``) is out of CI's reach, a package
registry is not. ``make test-slow`` downloads the pinned wheels (``--no-deps``) and unpacks
only each one's ``manifest.yaml`` under ``.airbyte-packages/source_NAME/``; nothing of a
package is installed, imported or run. ``RESTSYNC_AIRBYTE_PACKAGES`` names that folder. The
manifests are read from there, never copied into our repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

PACKAGES_VARIABLE = "RESTSYNC_AIRBYTE_PACKAGES"
PINS = Path(__file__).with_name("packaged_connectors.txt")


def pinned_packages() -> dict[str, str]:
    """``{package name: version}`` of every pin in :data:`PINS`."""
    pins = {}
    for line in PINS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    return pins


def manifest_folder(package: str) -> str:
    """Where a package's manifest is unpacked: its import name (``airbyte-source-x-y`` ->
    ``source_x_y``)."""
    return re.sub(r"[^a-z0-9]+", "_", package.lower()).removeprefix("airbyte_")


def packages_dir() -> Path:
    """The folder named by ``RESTSYNC_AIRBYTE_PACKAGES``; skips the test when it is unset and
    fails when a pinned package's manifest is not in it (a broken download must not pass)."""
    named = os.environ.get(PACKAGES_VARIABLE)
    if not named:
        pytest.skip(f"{PACKAGES_VARIABLE} is unset: `make test-slow` unpacks the manifests of "
                    f"the packages pinned in {PINS.name} and sets it")
    folder = Path(named)
    missing = [p for p in pinned_packages()
               if not (folder / manifest_folder(p) / "manifest.yaml").is_file()]
    if missing:
        pytest.fail(f"{PACKAGES_VARIABLE}={named} lacks the manifests of {len(missing)} pinned "
                    f"package(s), e.g. {', '.join(missing[:5])}", pytrace=False)
    return folder


def packaged_manifest_text(connector: str) -> str:
    """``manifest.yaml`` of the pinned ``airbyte-source-CONNECTOR`` package, as text."""
    package = f"airbyte-source-{connector}"
    if package not in pinned_packages():
        pytest.fail(f"{package} is not pinned in {PINS.name}", pytrace=False)
    return (packages_dir() / manifest_folder(package) / "manifest.yaml").read_text()
