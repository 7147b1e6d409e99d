"""``restsync import``: writes the explicit spec, sends nothing, never overwrites silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from restsync.cli.app import app

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"
runner = CliRunner()


def test_import_writes_a_loadable_spec_and_refuses_to_overwrite(tmp_path: Path,
                                                                 monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["import", str(SEEDS / "calendar_api.md"), "-o", "spec.yaml",
            "--param", "provider=google,microsoft"]
    result = runner.invoke(app, args, env={})  # no secrets needed: they stay references
    assert result.exit_code == 0, result.output
    assert "wrote spec.yaml: source `calendar_api`" in result.output
    spec = yaml.safe_load((tmp_path / "spec.yaml").read_text())
    assert spec["client"]["auth"]["token"] == "${secrets.api_key}"
    check = runner.invoke(app, ["check", "spec.yaml", "--param", "provider=google,microsoft"],
                          env={"API_KEY": "x"})
    assert check.exit_code == 0, check.output

    again = runner.invoke(app, args, env={})
    assert again.exit_code == 1 and "--force" in again.output
    assert runner.invoke(app, [*args, "--force"], env={}).exit_code == 0
