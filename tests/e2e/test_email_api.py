"""Seed email_api (000) as written: OAuth2 on another host, cursor paging, three detail fan-outs."""

from __future__ import annotations

from restsync.events import ParentItemSkipped
from tests.e2e.helpers import (
    assert_complete_tables,
    assert_each_page_once,
    assert_no_secret_in_urls,
    assert_ok,
    assert_one_refresh_grant,
)


def test_runs_as_written_into_complete_tables(seed_run) -> None:
    run = seed_run("email_api")
    info = run.run()
    assert_ok(info)
    assert_complete_tables(run, info)
    # profile has no id: merge falls back to replace, visibly
    assert any("loaded as replace" in n for n in info.outcomes["profile"].notes)
    assert run.count("profile") == 1


def test_request_log_token_once_pages_once_bearer_everywhere(seed_run) -> None:
    run = seed_run("email_api")
    assert_ok(run.run())
    log = run.server.requests
    assert_one_refresh_grant(run)
    # the one access token issued is the one used on every API request
    assert run.server.tokens.issued == 1
    assert_each_page_once(run)
    assert_no_secret_in_urls(run)
    # every detail was requested once per parent record
    assert log.count("/v1/users/me/messages/", server="api") == run.server.expected_records[
        "messages"]
    # the path was appended to base_url without a double slash
    assert not [r for r in log if "//" in r.path]


def test_child_rows_carry_parent_key_and_match_served_values(seed_run) -> None:
    run = seed_run("email_api")
    assert_ok(run.run())
    served = {r["id"]: r for r in run.server.document_records()["labels_details"]}
    rows = run.query('SELECT id, name, _labels_id FROM email_api.labels_details')
    assert {r[0] for r in rows} == set(served)
    for rid, name, parent_id in rows:
        assert parent_id == rid
        assert name == served[rid]["name"]


def test_second_run_with_merge_leaves_counts_unchanged(seed_run) -> None:
    run = seed_run("email_api")
    first = run.run()
    assert_ok(first)
    counts = {t: run.count(t) for t in run.tables()}
    second = run.run()
    assert_ok(second)
    assert {t: run.count(t) for t in run.tables()} == counts
    # a new run fetched a new token (one per run)
    assert run.server.requests.count(server="token") == 2


def test_detail_404_skips_that_parent_item_only(seed_run) -> None:
    run = seed_run("email_api")
    first_label = run.server.document_records()["labels"][0]["id"]
    run.server.faults.add(rf"/labels/{first_label}$", status=404, times=None)
    info = run.run(resources=["labels", "labels_details"])
    assert_ok(info)
    assert info.outcomes["labels_details"].skipped_parents == 1
    assert run.count("labels_details") == run.server.expected_records["labels_details"] - 1
    assert any(isinstance(e, ParentItemSkipped) and first_label in e.parent for e in run.events)


def test_5xx_and_429_are_retried_with_the_default_policy(seed_run) -> None:
    run = seed_run("email_api")
    run.server.faults.add(r"/drafts$", status=503, times=2)
    run.server.faults.add(r"/threads$", status=429, times=1, retry_after="1")
    info = run.run(resources=["drafts", "threads"])
    assert_ok(info)
    assert info.outcomes["drafts"].retries == 2
    assert info.outcomes["threads"].retries == 1
    # backoff factor 2 (2, 4) for the 503s; Retry-After wins for the 429
    assert sorted(run.sleeper.waits) == [1.0, 2.0, 4.0]
    assert run.count("drafts") == run.server.expected_records["drafts"]


def test_failed_resource_commits_nothing_and_others_complete(seed_run) -> None:
    run = seed_run("email_api")
    run.server.faults.add(r"/threads$", status=500, times=None)
    info = run.run()
    assert not info.ok
    assert info.failed == ["threads", "threads_details"]
    assert "threads" not in run.tables()
    assert run.count("messages") == run.server.expected_records["messages"]
    assert "gave up" in (info.outcomes["threads"].error or "") or "500" in (
        info.outcomes["threads"].error or "")
