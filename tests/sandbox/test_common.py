"""Unit tests of the sandbox helpers (no network)."""

from __future__ import annotations

import time

from restsync.sandbox._common import (
    RecordedRequest,
    RequestLog,
    TokenIssuer,
    decode_cursor,
    encode_cursor,
    nested_list_counts,
)


def _req(path: str, *, query: str = "", status: int = 200, server: str = "api",
         method: str = "GET") -> RecordedRequest:
    params = dict(p.split("=", 1) for p in query.split("&") if p)
    return RecordedRequest(server=server, method=method, path=path, query=params,
                           query_string=query, headers={"Authorization": "Bearer t1"}, form=None,
                           url="http://x" + path, at=time.monotonic(), status=status)


def test_cursor_round_trip_and_rejection():
    token = encode_cursor("drafts", 300)
    assert decode_cursor(token, "drafts") == 300
    assert "drafts" not in token  # opaque
    assert decode_cursor(token, "threads") is None
    assert decode_cursor("%%%not-base64", "drafts") is None
    assert decode_cursor("", "drafts") is None


def test_request_log_filters_counts_and_duplicates():
    log = RequestLog()
    log.append(_req("/v1/drafts"))
    log.append(_req("/v1/drafts", query="pageToken=a"))
    log.append(_req("/v1/drafts", query="pageToken=a", status=503))
    log.append(_req("/v1/drafts", query="pageToken=a"))
    log.append(_req("/o/oauth2/token", server="token", method="POST"))
    assert len(log) == 5
    assert log.count("/v1/drafts") == 4
    assert log.count("/v1/drafts", status=200) == 3
    assert log.count(server="token") == 1
    assert log.count(method="post") == 1
    assert log.count(path_regex=r"token$") == 1
    assert log.duplicates("/v1/drafts", status=200) == {"/v1/drafts?pageToken=a": 2}
    assert log.authorization_headers() == {"Bearer t1"}
    assert log[0].path == "/v1/drafts"
    log.clear()
    assert len(log) == 0 and list(log) == []


def test_token_issuer_expiry_uses_and_invalidation():
    issuer = TokenIssuer("at", ttl=None, max_uses=2)
    token = issuer.issue()
    assert token.startswith("at-1-")
    assert issuer.use(token) and issuer.use(token)
    assert not issuer.use(token), "third use is over the limit"
    second = issuer.issue()
    assert issuer.use(second)
    assert issuer.current == second
    issuer.invalidate_all()
    assert not issuer.use(second)
    assert not issuer.use("made-up")
    short = TokenIssuer("at", ttl=0.02)
    token = short.issue()
    assert short.use(token)
    time.sleep(0.05)
    assert not short.use(token)


def test_nested_list_counts_follow_key_paths():
    records = [
        {"id": 1, "tags": ["a", "b"], "payload": {"headers": [{"n": 1}, {"n": 2}],
                                                  "parts": [{"headers": [{"n": 3}]}]}},
        {"id": 2, "tags": [], "payload": {"headers": [{"n": 4}], "parts": []}},
    ]
    assert nested_list_counts(records) == {
        ("tags",): 2, ("payload", "headers"): 3, ("payload", "parts"): 1,
        ("payload", "parts", "headers"): 1,
    }
