"""Seed marketing_api (003) as written: `//` comment, nextPageUrl, id_greater_than paging."""

from __future__ import annotations

from tests.e2e.helpers import (
    assert_complete_tables,
    assert_each_page_once,
    assert_no_secret_in_urls,
    assert_ok,
)


def test_runs_as_written_into_complete_tables(seed_run) -> None:
    run = seed_run("marketing_api")
    info = run.run()
    assert_ok(info)
    assert_complete_tables(run, info)
    assert run.server.requests.count(server="token") == 1
    assert_each_page_once(run)
    assert_no_secret_in_urls(run)


def test_id_greater_than_is_the_last_record_id_and_short_page_stops(seed_run) -> None:
    run = seed_run("marketing_api")
    assert_ok(run.run(resources=["email_clicks"]))
    calls = run.server.requests.matching("/emailClick/version/4/do/query")
    ids = sorted(r["id"] for r in run.server.document_records()["email_clicks"])
    sent = [r.query.get("id_greater_than") for r in calls]
    assert sent[0] is None
    # each later request continues after the last id of the previous page (200 per page)
    assert sent[1:] == [str(ids[i * 200 - 1]) for i in range(1, len(calls))]
    assert all(r.query.get("limit") == "200" for r in calls)
    assert len(calls) == -(-len(ids) // 200)  # the short last page stops paging


def test_exact_multiple_of_page_size_ends_on_a_body_without_the_key(seed_run) -> None:
    run = seed_run("marketing_api", email_clicks=800)
    info = run.run(resources=["email_clicks"])
    assert_ok(info)
    assert run.count("email_clicks") == 800
    # 4 full pages, then one page whose body has no `emailClick` key at all: an empty page
    assert len(run.server.requests.matching("/emailClick/version/4/do/query")) == 5


def test_campaigns_follow_next_page_url(seed_run) -> None:
    run = seed_run("marketing_api")
    assert_ok(run.run(resources=["campaigns"]))
    calls = run.server.requests.matching("/v5/objects/campaigns")
    assert "nextPageUrl" not in calls[0].query
    assert all("nextPageUrl" not in r.query for r in calls)
    assert len(calls) == -(-run.server.expected_records["campaigns"] // run.server.campaigns_page_size)


def test_401_mid_run_refreshes_once_and_replays_the_page(seed_run) -> None:
    run = seed_run("marketing_api")
    # the token expires server-side after 3 uses: the 4th call answers 401
    run.server.tokens.max_uses = 3
    info = run.run()
    assert_ok(info)
    assert run.count("email_clicks") == run.server.expected_records["email_clicks"]
    assert run.count("campaigns") == run.server.expected_records["campaigns"]
    token_calls = run.server.requests.count(server="token")
    unauthorized = run.server.requests.count(status=401, server="api")
    # each 401 causes at most one refresh (concurrent 401s on one token share a refresh),
    # and the replayed pages are not fetched twice
    assert unauthorized >= 1
    assert 2 <= token_calls <= 1 + unauthorized
    assert_each_page_once(run)
