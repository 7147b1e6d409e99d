"""The HTML report from run documents: escaping, redaction of URLs, links (no browser here;
tests/e2e/test_report_browser.py renders it in Chromium)."""

from __future__ import annotations

from restsync.engine.report import render_index, render_run, scrubbed
from restsync.engine.runs import run_document


def a_run(run_id: str, **extra: object) -> dict:
    return run_document("ds", {
        "run_id": run_id, "status": "failed", "started_at": run_id,
        "destination": "postgresql://u:***@h/db",
        "resources": {"<a&b>": {"status": "failed", "error": "GET https://api.x/v1?api_key=k3y"
                                                              "&page=2: <script>alert(1)"
                                                              "</script>",
                                "state_before": {"next": "https://u:pw@api.x/v1?token=abc"},
                                "tables": {"t": 3}}}, **extra})


def test_text_is_escaped_and_urls_are_redacted() -> None:
    html = render_run(a_run("r2"), [a_run("r2"), a_run("r1")], lambda _: None)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;a&amp;b&gt;" in html
    for secret in ("k3y", "abc", ":pw@"):
        assert secret not in html
    assert "page=2" in html  # not a credential
    assert "<a href" not in html.split("<h2>Runs of this dataset</h2>")[1]  # nothing written


def test_links_to_previous_and_next_when_their_pages_are_written() -> None:
    runs = [a_run("r3"), a_run("r2"), a_run("r1")]
    html = render_run(runs[1], runs, lambda rid: f"report-{rid}.html", index="report.html")
    assert "<a href='report-r1.html' rel='prev'>r1</a>" in html
    assert "<a href='report-r3.html' rel='next'>r3</a>" in html
    assert "<a href='report.html'>all runs</a>" in html
    index = render_index(runs, lambda rid: f"report-{rid}.html")
    assert index.count("<a href='report-r") == 3


def test_scrub_keeps_destination_paths() -> None:
    assert scrubbed({"d": "duckdb:////abs/x.duckdb", "n": [1, "postgres://a:b@h/d"]}) == \
        {"d": "duckdb:////abs/x.duckdb", "n": [1, "postgres://a:***@h/d"]}
