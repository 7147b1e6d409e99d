"""``restsync preview`` over real HTTP: every step shown, errors in place, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from restsync.cli.app import app
from restsync.sandbox import start_sandboxes

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"
runner = CliRunner()


def invoke(server: Any, *args: str) -> Any:
    env = {k.upper(): v for k, v in {**server.secrets, **server.config}.items()}
    sets = [arg for o in server.overrides() for arg in ("--set", o)]
    return runner.invoke(app, ["preview", *args, *sets], env=env)


def test_preview_of_a_seed_shows_each_request_and_decision_and_writes_nothing(
        tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["email_api"], options={"email_api": {"messages": 250, "threads": 50}}) as group:
        server = group["email_api"]
        result = invoke(server, str(SEEDS / "email_api.md"), "--resource", "messages",
                        "--pages", "2", "--records", "1")
        as_json = invoke(server, str(SEEDS / "email_api.md"), "--resource", "messages",
                         "--pages", "2", "--json")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(token request)" in out  # the OAuth refresh shows up as a request of its own
    assert "/v1/users/me/messages?limit=100 -> 200" in out
    assert "selector `messages`: 100 record(s)" in out
    assert "paginator: next: cursor" in out and "sent as parameter `pageToken`" in out
    assert "stopped after 2 page(s) (--pages); the paginator would go on" in out
    assert "table messages:" in out and "thread_id text" in out
    for secret in server.secrets.values():
        assert secret not in out and secret not in as_json.output
    # nothing written, no state saved: the working directory stays empty
    assert list(tmp_path.iterdir()) == []
    doc = json.loads(as_json.output)
    [messages] = [r for r in doc["resources"] if r["resource"] == "messages"]
    [sequence] = messages["sequences"]
    assert [p["selected"] for p in sequence["pages"]] == [100, 100]
    assert sequence["pages"][0]["requests"][-1]["status"] == 200


def test_preview_shows_an_error_in_place_with_the_body_and_exits_1(tmp_path: Path,
                                                                   monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["email_events_api"],
                         options={"email_events_api": {"domains": 5, "events": 5}}) as group:
        server = group["email_events_api"]
        server.faults.add(r"/v1/events$", status=403, times=None)
        result = invoke(server, str(SEEDS / "email_events_api.md"))
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "/v1/events -> 403" in out and "body:" in out
    assert "ERROR resource 'events', page 1" in out
    assert "errors in: events" in out
    assert "paginator: stop: 5 records, fewer than the limit 1000" in out  # domains went on


def test_preview_makes_a_wrong_selector_obvious(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    with start_sandboxes(["email_events_api"],
                         options={"email_events_api": {"domains": 5, "events": 5}}) as group:
        server = group["email_events_api"]
        result = invoke(server, str(SEEDS / "email_events_api.md"), "--resource", "domains",
                        "--set", "resources.domains.endpoint.data_selector=data")
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "`data`" in out and "items" in out  # the selector and the key that was there
