"""Record each seed against its sandbox, stop the sandbox, replay offline, compare the tables;
and scan every cassette for every secret the run used, in every encoding."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import aiohttp
import pytest

from restsync.engine import Pipeline
from restsync.extract.cassette import cassette_path
from restsync.sandbox import start_sandboxes
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver
from tests.e2e.helpers import assert_ok
from tests.secret_scan import secret_found, used_secrets
from tests.table_snapshot import assert_same_tables, snapshot

SEEDS_DIR = Path(__file__).resolve().parents[2] / "examples" / "seeds"
SEEDS = ["email_api", "calendar_api", "email_events_api", "marketing_api", "project_api"]


async def refused(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url):
            return False
    except aiohttp.ClientError:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_replay_offline_loads_the_same_tables_and_the_cassette_holds_no_secret(
        seed: str, tmp_path: Path) -> None:
    document = SEEDS_DIR / f"{seed}.md"
    cassettes = tmp_path / "cassettes"
    with start_sandboxes([seed]) as group:
        server = group[seed]
        overrides, params = server.overrides(), server.params
        recorded = Pipeline(destination=f"duckdb:///{tmp_path / 'recorded.duckdb'}",
                            record=cassettes).run(load_spec(
            document, overrides=overrides, params=params,
            values=ValueResolver.from_values(secrets=server.secrets, config=server.config)))
        assert_ok(recorded)
        secrets = used_secrets(server)
        base_url = server.base_url
    assert asyncio.run(refused(base_url))  # the sandbox is gone: a replay cannot reach it

    # CI has no secrets: the replay runs with stand-ins for every one of them
    stand_ins = {name: f"not-the-real-{name}" for name in server.secrets}
    replayed = Pipeline(destination=f"duckdb:///{tmp_path / 'replayed.duckdb'}",
                        replay=cassettes).run(load_spec(
        document, overrides=overrides, params=params,
        values=ValueResolver.from_values(secrets=stand_ins, config=server.config)))
    assert_ok(replayed)
    assert {n: (o.status, o.records, o.tables) for n, o in replayed.outcomes.items()} == \
        {n: (o.status, o.records, o.tables) for n, o in recorded.outcomes.items()}
    assert_same_tables(snapshot(tmp_path / "recorded.duckdb", seed),
                       snapshot(tmp_path / "replayed.duckdb", seed))

    text = cassette_path(cassettes, seed).read_text()
    assert len(secrets) >= len(server.secrets)
    for secret in secrets:
        assert not secret_found(text, secret), f"a secret ({len(secret)} chars) is in the cassette"


def test_the_scan_finds_a_secret_in_every_form_it_checks() -> None:
    secret = "s3cr/et+value"
    for text in (secret, '"s3cr\\/et+value"', "s3cr%2Fet%2Bvalue", "s3cr&#47;et+value",
                 "s3cr\\u002fet\\u002bvalue", base64.b64encode(secret.encode()).decode(),
                 base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")):
        assert secret_found(f"prefix {text} suffix", secret), text
    assert not secret_found("s3cr/et", secret)
