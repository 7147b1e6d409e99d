"""Starting sandboxes from synchronous code: SandboxGroup, start_sandboxes, serve_forever."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from yarl import URL

from restsync.sandbox import (
    SANDBOXES,
    EmailEventsApiSandbox,
     SandboxInfo,
    serve_forever,
    start_sandboxes,
)

SEEDS = ("email_api", "calendar_api", "email_events_api", "marketing_api", "project_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_registry_names_are_the_seed_document_stems():
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[2] / "examples" / "seeds"
    assert set(SANDBOXES) == set(SEEDS) == {p.stem for p in seeds.glob("*.md")}
    assert all(cls.name == name for name, cls in SANDBOXES.items())


def test_group_serves_all_five_from_a_background_thread():
    with start_sandboxes() as group:
        assert len(group) == 5
        for server in group:
            info = server.info()
            assert info.overrides[0] == f"client.base_url={server.base_url}"
            assert set(info.expected_records) == set(type(server).resources)
            assert info.secrets and all(info.secrets.values())
            assert info.params == {}
            # no token: every API refuses
            status, _ = _get(server.base_url.rstrip("/") + "/" + {
                "email_api": "profile", "calendar_api": "v3/grants",
                "email_events_api": "v1/domains", "marketing_api": "v5/objects/campaigns",
                "project_api": "v1/projects.json"}[server.name])
            assert status == 401, server.name
        # a full OAuth round trip from plain synchronous code
        email = group["email_api"]
        form = urllib.parse.urlencode({
            "grant_type": "refresh_token", "client_id": email.secrets["client_id"],
            "client_secret": email.secrets["client_secret"],
            "refresh_token": email.secrets["client_refresh_token"]}).encode()
        assert email.token_url is not None
        with urllib.request.urlopen(email.token_url, data=form, timeout=5) as response:
            token = json.loads(response.read())["access_token"]
        status, body = _get(email.base_url + "profile", {"Authorization": f"Bearer {token}"})
        assert status == 200 and "emailAddress" in json.loads(body)["data"]
        ports = [URL(s.origin).port for s in group]
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "stopped servers free their ports"


def test_fixed_ports_options_and_errors():
    api_port, token_port = _free_port(), _free_port()
    options = {"email_events_api": {"domains": 3, "events": 4, "latency": 0.0}}
    with start_sandboxes(["email_events_api", "marketing_api"],
                         ports={"marketing_api": api_port, "marketing_api:token": token_port},
                         options=options) as group:
        assert group["email_events_api"].expected_records == {"domains": 3, "events": 4}
        events = group.get("email_events_api", EmailEventsApiSandbox)
        assert events is group["email_events_api"]
        with pytest.raises(TypeError):
            group.get("marketing_api", EmailEventsApiSandbox)
        marketing = group["marketing_api"]
        assert URL(marketing.origin).port == api_port
        assert marketing.token_url == f"http://127.0.0.1:{token_port}/services/oauth2/token"
    with pytest.raises(KeyError, match="unknown sandbox"):
        start_sandboxes(["nope"])
    with pytest.raises(KeyError, match="not started"):
        start_sandboxes(["email_api"], options={"project_api": {}})


def test_serve_forever_reports_servers_and_stops_on_event():
    stop = threading.Event()
    started: list[list[SandboxInfo]] = []
    result: list[list[SandboxInfo]] = []

    def on_started(infos: list[SandboxInfo]) -> None:
        started.append(infos)
        status, _ = _get(infos[0].base_url + "/v1/projects.json")
        assert status == 401
        stop.set()

    thread = threading.Thread(target=lambda: result.append(serve_forever(
        ["project_api"], "127.0.0.1", None, on_started=on_started, stop=stop)))
    thread.start()
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert len(started) == 1 and result and result[0] == started[0]
    info = result[0][0]
    assert info.name == "project_api"
    assert info.config == {"start_date": "2024-01-01T00:00:00Z"}
    assert info.token_url and info.token_url.startswith(info.base_url.rstrip("/"))
