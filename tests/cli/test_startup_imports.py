"""What ``restsync check`` and ``restsync --help`` import (issue 13: ``check`` starts fast).

A structural guard, not a timed one: each command runs as a user runs it (``python -m
restsync.cli ...`` in a fresh interpreter, in an empty folder, so no ``restsync.duckdb`` of an
earlier run exists), with ``-X importtime``, whose report lists every module the interpreter
imported. The stages a spec check never uses (HTTP, Arrow, the databases, Ray, the run engine)
must not be among them. Which modules load decides the start-up time; counting them cannot be
flaky the way a stopwatch on a shared machine is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seeds" / "email_api.md"  # seed 000
MANIFEST = ROOT / "tests" / "airbyte" / "manifests" / "email_api.yaml"
SEED_SECRETS = {"CLIENT_ID": "id", "CLIENT_SECRET": "secret", "CLIENT_REFRESH_TOKEN": "token"}

RUN_ONLY = ("aiohttp", "pyarrow", "duckdb", "psycopg", "deltalake", "pyiceberg", "ray",
            "numpy", "pandas", "polars", "restsync.extract", "restsync.normalize",
            "restsync.load", "restsync.engine.api", "restsync.engine.runner",
            "restsync.engine.executor", "restsync.engine.scaleout", "rich.live")
"""Modules only a run (or a command reading a destination) needs: never imported by ``check``
of a document on a first run, nor by ``--help``."""

MANIFEST_ONLY = ("jinja2", "jsonschema", "restsync.spec.airbyte")
"""What only an Airbyte manifest needs (its templates, its config's schema)."""


def imported_by(*args: str, cwd: Path, env: dict[str, str] | None = None
                ) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Every module ``restsync ARGS`` imports, and the finished process."""
    clean = {k: v for k, v in os.environ.items()
             if k not in SEED_SECRETS and not k.startswith(("RESTSYNC_", "TYPER_"))}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "restsync.cli", *args],
                          cwd=cwd, env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=120)
    modules = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:")}
    modules.discard("package")  # the report's header line
    return modules, done


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (a package stands for its submodules too) are in ``modules``."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_check_of_a_document_imports_no_run_stage(tmp_path: Path) -> None:
    modules, done = imported_by("check", str(SEED), cwd=tmp_path, env=SEED_SECRETS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "spec OK" in done.stdout
    assert {"pydantic", "restsync.spec.model", "restsync.plan.graph",
            "rich.table"} <= modules  # the report is read right: what check needs is there
    assert loaded(modules, RUN_ONLY + MANIFEST_ONLY + ("yaml",)) == []  # a document: no YAML


def test_check_with_the_ray_executor_shows_the_split_without_ray(tmp_path: Path) -> None:
    modules, done = imported_by("check", str(SEED), "--executor", "ray", cwd=tmp_path,
                                env=SEED_SECRETS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "partitions (one unit of work each" in done.stdout
    assert loaded(modules, RUN_ONLY + MANIFEST_ONLY) == []


def test_check_of_a_manifest_imports_no_run_stage(tmp_path: Path) -> None:
    modules, done = imported_by("check", str(MANIFEST), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "spec OK" in done.stdout
    assert {"jinja2", "restsync.spec.airbyte", "yaml"} <= modules
    assert loaded(modules, RUN_ONLY) == []


def test_help_imports_neither_rich_nor_pydantic(tmp_path: Path) -> None:
    modules, done = imported_by("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "check" in done.stdout
    assert "typer" in modules
    assert loaded(modules, ("rich", "pydantic", "restsync.spec", "restsync.plan",
                            *RUN_ONLY, *MANIFEST_ONLY)) == []


def test_help_of_check_imports_no_spec_and_no_rich(tmp_path: Path) -> None:
    """typer itself imports pydantic to read a command's options (its coercion of values)."""
    modules, done = imported_by("check", "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--executor" in done.stdout
    assert loaded(modules, ("rich", "restsync.spec", "restsync.plan",
                            *RUN_ONLY, *MANIFEST_ONLY)) == []
