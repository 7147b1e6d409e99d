"""A lost PostgreSQL connection takes the dataset lock with it: nothing more may commit.

Real server; the run's backend is killed with ``pg_terminate_backend`` (what a server restart,
an idle-session timeout or a network cut do to a session) at different moments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from restsync.engine import Pipeline
from restsync.errors import DestinationError
from restsync.events import Event, PageFetched
from restsync.load import Destination, open_destination
from restsync.normalize import Normalizer
from restsync.sandbox import start_sandboxes
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver

from .conftest import DATASET, count, run_load

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"


def backend_pid(dest: Destination) -> int:
    return int(dest.sql("SELECT pg_backend_pid()")[0][0])


def terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as con:
        assert con.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def stage(dest: Destination, ids: list[int], load_id: str = "L2") -> Any:
    load = dest.begin("events", load_id=load_id, write_disposition="append", primary_key=None,
                      root_table="events")
    for batch in Normalizer(table_name="events", primary_key=None,
                            load_id=load_id).normalize([{"id": i} for i in ids]):
        load.write(batch)
    return load


def test_killed_backend_fails_the_commit_clearly_and_commits_nothing(
        pg_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("restsync.load.postgres.load.FLUSH_ROWS", 1)  # COPY while staging
    dest = open_destination(pg_database_url, DATASET)
    run_load(dest, "events", [[{"id": 1}]], state={"cursor": 1})
    load = stage(dest, [2, 3])
    terminate(pg_database_url, backend_pid(dest))
    # the lock went with the session: a second run may open the dataset right away
    second = open_destination(pg_database_url, DATASET)
    with pytest.raises(DestinationError) as info:
        load.commit({"cursor": 3})
    message = str(info.value)
    assert message.startswith("resource 'events': the connection to PostgreSQL was lost")
    assert "lock that keeps a second run out of dataset 'data' went with it" in message
    # every later call of the first run fails the same way, without reconnecting
    with pytest.raises(DestinationError, match="connection to PostgreSQL was lost"):
        dest.get_state("events")
    with pytest.raises(DestinationError, match="connection to PostgreSQL was lost"):
        dest.begin("other", load_id="L2", write_disposition="append", primary_key=None,
                   root_table="other")
    dest.close()
    assert count(second, "events") == 1
    assert second.get_state("events") == {"cursor": 1}
    second.close()


def test_a_session_that_lost_its_lock_refuses_to_commit(pg_database_url: str) -> None:
    dest = open_destination(pg_database_url, DATASET)
    run_load(dest, "events", [[{"id": 1}]], state={"cursor": 1})
    load = stage(dest, [2, 3])
    dest.sql("SELECT pg_advisory_unlock_all()")  # what a reset session behind a pooler does
    with pytest.raises(DestinationError, match="no longer holds the lock on dataset 'data'"):
        load.commit({"cursor": 3})
    assert count(dest, "events") == 1
    assert dest.get_state("events") == {"cursor": 1}
    assert dest.schema_tables(f"{DATASET}_staging") == []
    dest.close()


def test_a_run_whose_connection_dies_fails_every_open_resource_and_the_next_run_completes(
        pg_database_url: str, tmp_path: Path) -> None:
    with start_sandboxes(["email_events_api"],
                         options={"email_events_api": {"domains": 30, "events": 40}}) as group:
        server = group["email_events_api"]
        source = load_spec(SEEDS / "email_events_api.md", overrides=server.overrides(),
                           values=ValueResolver.from_values(secrets=server.secrets,
                                                            config=server.config))
        killed: list[int] = []

        def kill_on_first_page(event: Event) -> None:
            if isinstance(event, PageFetched) and not killed:
                with psycopg.connect(pg_database_url, autocommit=True) as con:
                    pids = [r[0] for r in con.execute(
                        "SELECT pid FROM pg_stat_activity WHERE application_name = 'restsync' "
                        "AND datname = current_database()").fetchall()]
                assert len(pids) == 1
                terminate(pg_database_url, pids[0])
                killed.append(pids[0])

        first = Pipeline(destination=pg_database_url, dataset_name=DATASET,
                         events=kill_on_first_page).run(source)
        assert killed and first.failed and not first.ok
        for name in first.failed:
            assert "connection to PostgreSQL was lost" in (first.outcomes[name].error or "")
        assert all(o.status in ("failed", "extracted") for o in first.outcomes.values())

        second = Pipeline(destination=pg_database_url, dataset_name=DATASET).run(source)
        assert second.ok, {n: o.error for n, o in second.outcomes.items()}
        dest = open_destination(pg_database_url, DATASET)
        try:
            for resource, expected in server.expected_records.items():
                if resource in second.outcomes and second.outcomes[resource].tables:
                    assert count(dest, resource) == expected, resource
        finally:
            dest.close()
