"""``restsync report`` in a real headless Chromium (Debian's ``chromium`` package, driven by
Playwright): a seed's runs render with their figures, links work from disk, the page makes no
request, and no secret is in the HTML in any encoding.

Chromium runs with its background networking, updates, metrics and sync off, its proxy and
host resolver pointed at nothing but loopback, and every request the page makes is recorded.
Set ``RESTSYNC_REPORT_SCREENSHOT=PATH`` to keep the screenshot (docs/report.png is made so).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from restsync.cli.app import app
from tests.e2e.helpers import assert_ok
from tests.secret_scan import secret_found, used_secrets

PAGE_2 = {"skip": "1000"}
SIZE = {"domains": 1200, "events": 150}
CHROMIUM_ARGS = [
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-breakpad", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--metrics-recording-only", "--no-first-run",
    "--no-default-browser-check", "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_binary() -> str | None:
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium (Playwright's sync API runs an event loop: start it after the runs)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a dev dependency: CI has it
        pytest.fail("playwright is missing: pip install -e '.[dev]'")
    binary = chromium_binary()
    if binary is None:
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=binary, headless=True, args=CHROMIUM_ARGS,
                                     env={"HOME": os.environ.get("HOME", "/tmp")})
        yield launched
        launched.close()


def two_runs(seed_run: Any) -> tuple[Any, list[Any]]:
    """A run with one 429 on domains page 2, then one where that page answers 400 with the
    API key echoed in its body."""
    run = seed_run("email_events_api", **SIZE)
    run.server.faults.add(r"/v1/domains$", query=PAGE_2, status=429, times=1)
    first = run.run()
    assert_ok(first)
    key = run.server.secrets["private_key"]
    run.server.faults.add(r"/v1/domains$", query=PAGE_2, status=400, times=None,
                          body=f'{{"error": "bad key {key}", "key": "{key}"}}')
    second = run.run()
    assert second.failed == ["domains"]
    return run, [first, second]


def static_problems(html: str) -> list[str]:
    """What in the HTML could load something: scripts, links, sources, CSS urls/imports."""
    patterns = [r"<script", r"<link", r"\ssrc=", r"url\(", r"@import", r"<iframe", r"<object",
                r"<embed", r"<img", r"srcset", r"<form"]
    return [p for p in patterns if re.search(p, html, re.IGNORECASE)]


@pytest.mark.slow
def test_report_renders_the_figures_offline_and_holds_no_secret(
        seed_run, tmp_path: Path) -> None:
    run, infos = two_runs(seed_run)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--destination", run.destination,
                                      "--all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    pages = sorted(tmp_path.glob("report*.html"))
    assert len(pages) == 3  # the index and the two runs

    secrets = used_secrets(run.server)
    assert run.server.secrets["private_key"] in secrets
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert static_problems(html) == [], page.name
        for secret in secrets:
            assert not secret_found(html, secret), f"a secret is in {page.name}"

    with chromium() as browser:
        check_in_browser(browser, run, infos, out, tmp_path)


def check_in_browser(browser: Any, run: Any, infos: list[Any], out: Path,
                     tmp_path: Path) -> None:
    first_id, second_id = infos[0].load_id, infos[1].load_id
    context = browser.new_context(java_script_enabled=False, offline=True)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    newest = out.with_name(f"report-{second_id}.html")
    page.goto(newest.as_uri())

    def text(selector: str) -> str:
        return " ".join(page.locator(selector).inner_text().split())

    second = infos[1]
    assert text("#run-status") == "failed"
    assert text("#card-rows b") == str(sum(sum(o.tables.values())
                                           for o in second.outcomes.values()))
    assert text("tr[data-resource='domains'] td:nth-child(2)") == "failed"
    assert text("tr[data-resource='events'] td[data-col='records']") == \
        str(run.server.expected_records["events"])
    assert text("td[data-table='events']") == str(run.count("events"))
    assert "resource 'domains', page 2" in text("#resources ~ pre.error, pre.error")
    assert "***" in page.content()  # the echoed key, masked in the error excerpt
    assert page.locator("svg.chart").count() >= 2
    assert all(box["width"] > 100 for box in
               (page.locator("svg.chart").nth(i).bounding_box() or {"width": 0}
                for i in range(page.locator("svg.chart").count())))
    screenshot = tmp_path / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("RESTSYNC_REPORT_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["RESTSYNC_REPORT_SCREENSHOT"])

    page.locator("nav a[rel='prev']").click()  # links work from disk
    page.wait_for_load_state()
    assert page.url == out.with_name(f"report-{first_id}.html").as_uri()
    assert text("#run-status") == "completed"
    assert text("#card-throttled b") == "1"
    assert text("tr[data-resource='domains'] td[data-col='throttled']") == "1"
    page.goto(out.as_uri())
    assert page.locator("#runs tbody tr").count() == 2
    context.close()
    assert requests == [newest.as_uri(), out.with_name(f"report-{first_id}.html").as_uri(),
                        out.as_uri()], requests


def test_report_errors_name_what_went_wrong(seed_run, tmp_path: Path) -> None:
    run = seed_run("email_api")
    assert_ok(run.run())
    cli = CliRunner()
    missing = cli.invoke(app, ["report", "nope-1", "--destination", run.destination,
                               "-o", str(tmp_path / "r.html")])
    assert missing.exit_code == 1 and "no run 'nope-1'" in " ".join(missing.stderr.split())
    folder = cli.invoke(app, ["report", "--destination", run.destination,
                              "-o", str(tmp_path / "absent" / "r.html")])
    assert folder.exit_code == 1 and "does not exist" in folder.stderr
    empty = cli.invoke(app, ["report", "--destination", f"duckdb:///{tmp_path / 'no.duckdb'}",
                             "-o", str(tmp_path / "r.html")])
    assert empty.exit_code == 1 and "no DuckDB database here" in " ".join(empty.stderr.split())
    assert not (tmp_path / "r.html").exists()
