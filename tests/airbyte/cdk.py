"""The Airbyte CDK as an oracle: which interpreter has it, and reading a manifest with it.

The CDK runs in a child process (``bench/cdk_reader.py``) of an interpreter that has
``airbyte-cdk`` (the ``airbyte`` extra, which ``make test`` installs into ``.cdkvenv``, apart
from our own venv): ``RESTSYNC_CDK_PYTHON`` names it, else this interpreter is used when it
can import the CDK. Without one the oracle tests fail, unless ``RESTSYNC_SKIP_CDK_ORACLE=1``
says on purpose that this machine runs without the CDK (then they are skipped).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

READER = Path(__file__).resolve().parents[2] / "bench" / "cdk_reader.py"
SKIP_VARIABLE = "RESTSYNC_SKIP_CDK_ORACLE"


def find_cdk_python() -> str | None:
    """The interpreter named by ``RESTSYNC_CDK_PYTHON``, else this one if it has the CDK."""
    named = os.environ.get("RESTSYNC_CDK_PYTHON")
    if named:
        return named
    return sys.executable if importlib.util.find_spec("airbyte_cdk") else None


@pytest.fixture(scope="session")
def cdk_python() -> str:
    """An interpreter that imports ``airbyte_cdk``; fails (or skips, when
    ``RESTSYNC_SKIP_CDK_ORACLE=1``) without one."""
    return find_cdk_or_fail()


def find_cdk_or_fail() -> str:
    """:func:`cdk_python`, callable from a test body."""
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: this machine runs without the Airbyte CDK oracle")
    python = find_cdk_python()
    problem = "no interpreter with airbyte-cdk"
    if python is not None:
        probe = subprocess.run([python, "-c", "import airbyte_cdk"], capture_output=True,
                               text=True, timeout=300, check=False)
        if probe.returncode == 0:
            return python
        problem = f"RESTSYNC_CDK_PYTHON={python} cannot import airbyte_cdk"
    pytest.fail(f"{problem}: `make test` builds one in .cdkvenv and sets RESTSYNC_CDK_PYTHON; "
                f"or set {SKIP_VARIABLE}=1 to run without the CDK oracle", pytrace=False)


@dataclass
class CdkRead:
    """What the CDK printed for one read: records by stream, the errors it reported, and how
    the process ended."""

    records: dict[str, list[dict[str, Any]]]
    errors: list[str]
    returncode: int
    stderr: str


def run_cdk(python: str, manifest: Path, config: dict[str, Any], workdir: Path,
            streams: list[str] | None = None) -> CdkRead:
    """Read every stream of ``manifest`` with the CDK (full refresh), errors included."""
    config_file = workdir / f"{manifest.parent.name}_{manifest.stem}_cdk_config.json"
    config_file.write_text(json.dumps(config))
    command = [python, str(READER), str(manifest), str(config_file)]
    if streams:
        command += ["--streams", ",".join(streams)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    read = CdkRead(records={}, errors=[], returncode=done.returncode, stderr=done.stderr)
    return _parse(done.stdout.splitlines(), read)


def _parse(lines: list[str], read: CdkRead) -> CdkRead:
    for line in lines:
        message = json.loads(line)
        if "error" in message:
            read.errors.append(str(message["error"]))
        elif "stream" in message:
            read.records.setdefault(message["stream"], []).append(message["data"])
        elif "exit" in message:
            read.returncode = int(message["exit"])
            read.stderr += str(message.get("exception", ""))
    return read


def run_cdk_batch(python: str, jobs: list[tuple[Path, dict[str, Any]]], workdir: Path
                  ) -> list[CdkRead]:
    """Read each ``(manifest, config)`` with the CDK, one after another in ONE child
    interpreter (the CDK's import, seconds on a loaded machine, is paid once)."""
    listed: list[dict[str, str]] = []
    for i, (manifest, config) in enumerate(jobs):
        config_file = workdir / f"batch_{i}_config.json"
        config_file.write_text(json.dumps(config))
        listed.append({"manifest": str(manifest), "config": str(config_file),
                       "out": str(workdir / f"batch_{i}_out.jsonl")})
    jobs_file = workdir / "batch_jobs.json"
    jobs_file.write_text(json.dumps(listed))
    done = subprocess.run([python, str(READER), "--batch", str(jobs_file)], capture_output=True,
                          text=True, timeout=1800, check=False,
                          env={**os.environ, "DO_NOT_TRACK": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    reads = []
    for job in listed:
        out = Path(job["out"])
        lines = out.read_text().splitlines() if out.exists() else ['{"exit": 1}']
        reads.append(_parse(lines, CdkRead(records={}, errors=[], returncode=0, stderr="")))
    return reads


def read_with_cdk(python: str, manifest: Path, config: dict[str, Any], workdir: Path,
                  streams: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every record the CDK reads from ``manifest`` with ``config`` (full refresh), by stream.

    Fails when the CDK reports an error (the test's servers must serve the whole read)."""
    read = run_cdk(python, manifest, config, workdir, streams)
    assert read.returncode == 0, read.stderr[-3000:]
    assert not read.errors, read.errors
    return read.records
