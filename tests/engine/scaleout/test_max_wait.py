"""``--max-wait`` under Ray behaves as in one process: a partition whose next retry wait is
too long hands back the rows before it; the driver commits them with a resume point (status
``stopped``), and the next run resumes at the page that was not fetched."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.engine import Pipeline
from restsync.engine.scaleout import RayExecutor
from tests.engine.test_state_and_resume import assert_resumes_at_page_3, state_of

pytestmark = pytest.mark.slow


def test_max_wait_under_ray_commits_what_was_fetched_and_the_next_run_resumes(
        seed_run: Any, local_ray: Any) -> None:
    run = seed_run("marketing_api")
    ids = sorted(r["id"] for r in run.server.document_records()["email_clicks"])
    # page 3 answers 429; the document's prose policy waits 7200 s for 429s
    run.server.faults.add(r"/emailClick/", status=429, times=1,
                          query={"id_greater_than": str(ids[399])})
    first = Pipeline(destination=run.destination, executor=RayExecutor(workers=2),
                     max_wait=60).run(run.source(), resources=["email_clicks"])
    assert first.stopped == ["email_clicks"] and not first.failed, first.outcomes
    assert "next run resumes at page 3" in (first.outcomes["email_clicks"].error or "")
    assert run.count("email_clicks") == 400  # the two pages before the wait are committed
    assert "resume" in state_of(run, "email_clicks")

    assert_resumes_at_page_3(run, ids, lambda: Pipeline(
        destination=run.destination, executor=RayExecutor(workers=2)).run(
            run.source(), resources=["email_clicks"]))


def test_a_stop_where_one_process_would_fail_fails_the_resource_under_ray_too(
        seed_run: Any, local_ray: Any) -> None:
    """A fan-out resource cannot stop cleanly in one process (its other partitions would be
    lost); under Ray it fails the same way, with the stop as its error."""
    run = seed_run("marketing_api")
    ids = sorted(r["id"] for r in run.server.document_records()["email_clicks"])
    run.server.faults.add(r"/emailClick/", status=429, times=1,
                          query={"id_greater_than": str(ids[399])})
    outcomes = {}
    for name, executor in (("default", None), ("ray", RayExecutor(workers=2))):
        run.extra_overrides = ["resources.email_clicks.write_disposition=replace"]
        info = Pipeline(destination=run.destination, executor=executor, max_wait=60).run(
            run.source(), resources=["email_clicks"])
        outcome = info.outcomes["email_clicks"]
        outcomes[name] = (outcome.status, outcome.error)
        run.server.faults.add(r"/emailClick/", status=429, times=1,
                              query={"id_greater_than": str(ids[399])})
    assert outcomes["ray"] == outcomes["default"]
    assert outcomes["ray"][0] == "failed"
