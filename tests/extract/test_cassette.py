"""Cassettes: placeholders for secrets in every form, recording, matching and replaying."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from restsync.errors import CassetteMissError, ConfigError, RetriableError
from restsync.extract import ApiClient, MemoryTransport, Request
from restsync.extract.cassette import RecordingTransport, ReplayTransport, cassette_path
from restsync.extract.cassette_secrets import Placeholders, secret_names
from restsync.extract.http import json_response
from restsync.spec import load_spec
from restsync.spec.values import ValueResolver

CONFIG: dict[str, Any] = {
    "client": {"base_url": "https://api.test/", "auth": {
        "type": "oauth2_client_credentials", "access_token_url": "https://auth.test/token",
        "client_id": "${secrets.client_id}", "client_secret": "${secrets.client_secret}"},
        "headers": {"X-Api-Key": "${secrets.api_key}"}},
    "resources": [{"name": "items", "endpoint": {"path": "items", "data_selector": "data",
                                                  "paginator": "single_page",
                                                  "params": {"q": "all"}}}],
}
SECRETS = {"client_id": "the-client-id", "client_secret": "the/client+secret",
           "api_key": "key-1234567"}


def source(secrets: dict[str, str] = SECRETS) -> Any:
    return load_spec(CONFIG, name="unit", values=ValueResolver.from_values(secrets=secrets))


def test_a_secret_is_replaced_in_every_form_by_its_named_placeholder() -> None:
    p = Placeholders([("client.auth.client_secret", "the/client+secret")])
    for form in ("the/client+secret", "the\\/client+secret", "the%2Fclient%2Bsecret",
                 "the\\u002fclient\\u002bsecret", "the&#47;client&#x2b;secret"):
        assert p.apply(f"[{form}]") == "[<secret:client.auth.client_secret>]", form


def test_secret_names_cover_spec_secrets_headers_and_basic_credentials() -> None:
    names = dict(secret_names(source()))
    assert names["client.auth.client_secret"] == "the/client+secret"
    assert names["client.headers.X-Api-Key"] == "key-1234567"
    basic = load_spec({"client": {"base_url": "https://a.test/", "auth": {
        "type": "http_basic", "username": "api", "password": "${secrets.pw}"}},
        "resources": ["x"]}, name="b", values=ValueResolver.from_values(secrets={"pw": "pa55word"}))
    forms = [v for k, v in secret_names(basic) if k == "client.auth:basic"]
    assert "YXBpOnBhNTV3b3Jk" in forms  # base64("api:pa55word")


def test_credentials_nobody_named_are_replaced_whole() -> None:
    p = Placeholders()
    assert p.headers([("Authorization", "Bearer abcdef123"), ("Cookie", "sid=abcdef"),
                      ("X-Auth-Token", "zzzzzz"), ("Accept", "application/json")]) == [
        ("Authorization", "Bearer <redacted>"), ("Cookie", "<redacted>"),
        ("X-Auth-Token", "<redacted>"), ("Accept", "application/json")]
    assert p.url("https://u:pw@h.test/a?access_token=abc123&page=2&next_token=n1") == \
        "https://<redacted>@h.test/a?access_token=<redacted>&page=2&next_token=n1"
    form = Request("POST", "https://h.test/t", data={"refresh_token": "rt-unknown", "x": "1"})
    assert p.request_body(form) == "refresh_token=%3Credacted%3E&x=1"


def token_api(request: Request) -> Any:
    if request.url == "https://auth.test/token":
        return json_response({"access_token": "at-0001-secret", "token_type": "Bearer",
                              "expires_in": 3600})
    assert request.headers["Authorization"] == "Bearer at-0001-secret"
    return json_response({"data": [{"id": 1, "echo": "the/client+secret"}]})


async def fetch(transport: Any, src: Any) -> list[Any]:
    async with ApiClient(src.client, transport=transport) as client:
        ep = src.resources[0].endpoint
        return [p.records async for p in client.pages(resource="items", endpoint=ep,
                                                      paginator=ep.paginator)]


async def test_recording_writes_placeholders_and_a_replay_without_the_secrets_matches(
        tmp_path: Path) -> None:
    recorder = RecordingTransport(MemoryTransport(token_api), tmp_path, source())
    recorded = await fetch(recorder, source())
    await recorder.finish()
    text = cassette_path(tmp_path, "unit").read_text()
    for secret in [*SECRETS.values(), "at-0001-secret"]:
        assert secret not in text
    lines = [orjson.loads(line) for line in text.splitlines()]
    assert lines[0]["restsync_cassette"] == 1
    token, api = lines[1], lines[2]
    assert "client_secret=<secret:client.auth.client_secret>" in token["request"]["body"]
    assert '"access_token":"<token:access_token:1>"' in token["response"]["body"]
    assert '"token_type":"Bearer"' in token["response"]["body"]
    assert api["request"]["headers"]["Authorization"] == "Bearer <token:access_token:1>"
    assert api["request"]["headers"]["X-Api-Key"] == "<secret:client.headers.X-Api-Key>"

    stand_ins = {k: f"stand-in-for-{k}" for k in SECRETS}
    replay = ReplayTransport(tmp_path, source(stand_ins))

    def answers(request: Request) -> Any:  # the replay's own requests carry stand-ins
        return replay.send(request)

    replayed = await fetch(MemoryTransport(answers), source(stand_ins))
    assert replayed == [[{"id": 1, "echo": "<secret:client.auth.client_secret>"}]]
    assert recorded[0][0]["id"] == replayed[0][0]["id"]
    assert replay.replayed == 2


async def test_a_request_not_in_the_cassette_is_an_error_naming_it(tmp_path: Path) -> None:
    recorder = RecordingTransport(MemoryTransport(token_api), tmp_path, source())
    await fetch(recorder, source())
    await recorder.finish()
    replay = ReplayTransport(tmp_path, source())
    with pytest.raises(CassetteMissError) as caught:
        await replay.send(Request("GET", "https://api.test/other", params={"q": "x"}))
    assert "GET https://api.test/other?q=x" in str(caught.value)
    assert str(cassette_path(tmp_path, "unit")) in str(caught.value)


async def test_equal_requests_are_answered_in_order_then_the_last_is_repeated(
        tmp_path: Path) -> None:
    answers = iter([json_response({"n": 1}, status=503), json_response({"n": 2})])
    recorder = RecordingTransport(MemoryTransport(lambda r: next(answers)), tmp_path, source())
    for _ in range(2):
        await recorder.send(Request("GET", "https://api.test/a"))
    await recorder.finish()
    replay = ReplayTransport(tmp_path, source())
    got = [await replay.send(Request("GET", "https://api.test/a")) for _ in range(3)]
    assert [(r.status, r.json()) for r in got] == [(503, {"n": 1}), (200, {"n": 2}),
                                                   (200, {"n": 2})]


async def test_a_recorded_transport_failure_is_replayed_as_one(tmp_path: Path) -> None:
    def fail(request: Request) -> Any:
        raise RetriableError("transport error (connection reset)", status=None)

    recorder = RecordingTransport(MemoryTransport(fail), tmp_path, source())
    with pytest.raises(RetriableError):
        await recorder.send(Request("GET", "https://api.test/a"))
    await recorder.finish()
    with pytest.raises(RetriableError, match="connection reset"):
        await ReplayTransport(tmp_path, source()).send(Request("GET", "https://api.test/a"))


def test_a_missing_or_foreign_cassette_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no cassette"):
        ReplayTransport(tmp_path, source())
    cassette_path(tmp_path, "unit").write_text('{"something": "else"}\n')
    with pytest.raises(ConfigError, match="not a restsync cassette"):
        ReplayTransport(tmp_path, source())


def test_recording_where_no_folder_can_be_made_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ConfigError, match="cannot write the cassette") as info:
        RecordingTransport(MemoryTransport(lambda r: None), tmp_path / "a-file", source())
    assert "a-file" in str(info.value) and "--record takes a folder" in str(info.value)
