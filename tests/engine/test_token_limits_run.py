"""A run with ``client.token_limits`` and one token per resource: neither a token nor the
digest standing for it shows in the run's events, its stored history or its HTML report, in
any encoding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from restsync.engine import Pipeline
from restsync.engine.report import write_report
from restsync.engine.runs import list_runs
from restsync.extract.credential_digest import CredentialDigest
from tests.secret_scan import secret_found
from tests.token_server import tenant_source, token_server

TOKENS = {"alpha": "tok-alpha-93be1c", "bravo": "tok-bravo-5e07d2"}
PARTS = [f"p{i}" for i in range(4)]


def test_neither_the_tokens_nor_their_digests_show(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digests: set[str] = set()
    original = CredentialDigest.digest

    def recording(self: CredentialDigest, parts: Any) -> str | None:
        found = original(self, parts)
        if found is not None:
            digests.add(found)
        return found
    monkeypatch.setattr(CredentialDigest, "digest", recording)
    events: list[Any] = []
    destination = f"duckdb:///{tmp_path / 'out.duckdb'}"
    with token_server(service_seconds=0.02) as api:
        source = tenant_source(api.url, TOKENS, PARTS, max_concurrency=8,
                               token_limits={"max_concurrency": 1})
        info = Pipeline(destination=destination, events=events.append).run(source)
    assert info.ok, {n: o.error for n, o in info.outcomes.items()}
    assert sorted(api.arrivals) == sorted(TOKENS.values())
    assert all(api.most_in_flight[t] == 1 for t in TOKENS.values())
    assert len(digests) == len(TOKENS)

    report = write_report(tmp_path / "report.html", destination=destination)
    html = "".join(p.read_text() for p in report.files)
    assert html
    text = "\n".join([*(repr(e) for e in events), repr(info),
                      json.dumps(list_runs(destination), default=str), html])
    for token in TOKENS.values():
        assert not secret_found(text, token)
    for digest in digests:
        assert digest not in text
        for token in TOKENS.values():
            assert not secret_found(digest, token)
