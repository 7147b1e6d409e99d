"""Airbyte's own connector manifests, read from a checkout of Airbyte's repository (never
copied into ours), pointed at loopback servers.

``RESTSYNC_AIRBYTE_REPO`` names the checkout: a work tree, or a bare git directory (its
``HEAD`` is read). The one change made to a manifest is the documented host override
:data:`HOSTS`: each real API origin written in the manifest is replaced, as text, by the
loopback server's origin, and the result is written to a temporary file that both restsync
and the Airbyte CDK read. Paths, templates, paging, auth and everything else stay as written.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_VARIABLE = "RESTSYNC_AIRBYTE_REPO"

HOSTS: dict[str, dict[str, str]] = {
    "mailgun": {"https://api.eu.mailgun.net": "{api}", "https://api.mailgun.net": "{api}"},
    "nylas": {"https://api.{{ config['api_server'] }}.nylas.com": "{api}"},
    "basecamp": {"https://3.basecampapi.com": "{api}",
                 "https://launchpad.37signals.com": "{api}"},
}
"""Per connector: the origins written in its manifest, and what replaces each (``{api}``:
the loopback server's origin)."""


def airbyte_repo() -> Path:
    """The checkout named by ``RESTSYNC_AIRBYTE_REPO``; skips the test when it is unset."""
    named = os.environ.get(REPO_VARIABLE)
    if not named:
        pytest.skip(f"{REPO_VARIABLE} is unset: it names a checkout of airbytehq/airbyte "
                    "(a work tree or a bare git directory) whose real manifests are run")
    repo = Path(named)
    if not repo.is_dir():
        pytest.fail(f"{REPO_VARIABLE}={named} is not a directory", pytrace=False)
    return repo


def manifest_text(repo: Path, connector: str) -> str:
    """``source-CONNECTOR/manifest.yaml`` of the checkout, as text."""
    relative = f"airbyte-integrations/connectors/source-{connector}/manifest.yaml"
    if (repo / relative).is_file():
        return (repo / relative).read_text()
    shown = subprocess.run(["git", f"--git-dir={repo}", "show", f"HEAD:{relative}"],
                           capture_output=True, text=True, timeout=120, check=False)
    if shown.returncode != 0:
        pytest.fail(f"{relative} not found in {repo}: {shown.stderr.strip()}", pytrace=False)
    return shown.stdout


def pointed_manifest(text: str, connector: str, api_origin: str, workdir: Path) -> Path:
    """The connector's manifest ``text`` with its hosts replaced by ``api_origin``
    (:data:`HOSTS`), written under ``workdir``; fails when a host to replace is not in it."""
    for host, replacement in HOSTS[connector].items():
        assert host in text, f"source-{connector}/manifest.yaml no longer names {host}"
        text = text.replace(host, replacement.format(api=api_origin))
    path = workdir / f"source-{connector}.yaml"
    path.write_text(text)
    return path
