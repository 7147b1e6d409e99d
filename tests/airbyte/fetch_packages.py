"""Download the pinned Airbyte connector wheels and unpack their manifests (``make``'s step).

``python -m tests.airbyte.fetch_packages DIR`` runs ``pip download --no-deps --only-binary
:all:`` for every pin in ``tests/airbyte/packaged_connectors.txt`` into ``DIR/wheels`` and
writes each wheel's ``manifest.yaml`` to ``DIR/source_NAME/manifest.yaml``. Only that one
file leaves the archive: no package is installed, imported or run.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.airbyte.airbyte_packages import PINS, manifest_folder, pinned_packages


def unpack_manifest(wheel: Path, target: Path) -> Path:
    """Write the wheel's top-level ``PACKAGE/manifest.yaml`` to ``target/source_NAME/``."""
    package = wheel.name.split("-", 1)[0]
    with zipfile.ZipFile(wheel) as archive:
        inside = [n for n in archive.namelist()
                  if n.endswith("/manifest.yaml") and n.count("/") == 1]
        if len(inside) != 1:
            raise SystemExit(f"{wheel.name}: expected one PACKAGE/manifest.yaml, found {inside}")
        out = target / manifest_folder(package) / "manifest.yaml"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(archive.read(inside[0]))
    return out


def main(argv: list[str]) -> int:
    """Download and unpack into ``argv[0]``; exit 1 when a pinned package lacks a manifest."""
    target = Path(argv[0])
    wheels = target / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary", ":all:", "--dest", str(wheels), "-r", str(PINS)],
                   check=True)
    pins = pinned_packages()
    found = {}
    for wheel in sorted(wheels.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        package = name.replace("_", "-")
        if pins.get(package) == version:
            found[package] = unpack_manifest(wheel, target)
    missing = sorted(set(pins) - set(found))
    if missing:
        print(f"no wheel for {missing}", file=sys.stderr)
        return 1
    print(f"{len(found)} manifests under {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
