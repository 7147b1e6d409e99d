"""Per-credential limits (``client.token_limits``) in one process, counted at a loopback
server that tells the tokens apart: no token passes its in-flight limit or its rate while
the other tokens proceed, a 429 cuts only its own token's limit, and the pacing key is a
keyed digest that shows no token."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from restsync.events import Notice
from restsync.extract import ApiClient
from restsync.extract.credential_digest import CredentialDigest
from restsync.extract.http import host_key
from restsync.spec.model import EndpointConfig
from tests.extract.conftest import EventLog, client_config, endpoint
from tests.secret_scan import secret_found
from tests.token_server import TokenServer, most_in_any_window, token_server

TOKENS = ["tok-alpha-4d1f9e", "tok-bravo-77c20a", "tok-charlie-0b3e5"]
JITTER = 1
"""Arrivals a window may hold beyond ``burst + rate x window``: two requests granted a rate
token apart can reach the server closer together (scheduling, the loopback)."""


def token_endpoints() -> dict[str, EndpointConfig]:
    """One endpoint per token, each with its own bearer auth."""
    return {token: endpoint(path=f"/t{i}/items", data_selector="$",
                            auth={"type": "bearer", "token": token})
            for i, token in enumerate(TOKENS)}


async def fetch_all(api: TokenServer, per_token: int, events: Any = None,
                    **client: Any) -> ApiClient:
    """``per_token`` single-page requests per token, all started at once."""
    config = client_config(base_url=api.url, **client)
    endpoints = token_endpoints()
    kwargs = {"events": events} if events is not None else {}
    async with ApiClient(config, **kwargs) as api_client:
        async def one(name: str, ep: EndpointConfig) -> None:
            async for _ in api_client.pages(resource=name, endpoint=ep, paginator=None):
                pass
        await asyncio.gather(*(one(f"r{i}", ep) for i, ep in enumerate(endpoints.values())
                               for _ in range(per_token)))
    return api_client


async def test_no_token_passes_its_in_flight_limit_while_the_others_proceed() -> None:
    with token_server(service_seconds=0.1) as api:
        await fetch_all(api, 6, max_concurrency=16, adaptive_concurrency=False,
                        token_limits={"max_concurrency": 2})
    assert sorted(api.arrivals) == sorted(TOKENS)
    assert all(len(api.arrivals[t]) == 6 for t in TOKENS)
    assert {t: api.most_in_flight[t] for t in TOKENS} == dict.fromkeys(TOKENS, 2)
    assert api.most_total_in_flight >= 3  # more than one token's worth at once


async def test_without_token_limits_one_token_gets_more_in_flight() -> None:
    """The control: the server does see a token's requests overlap beyond 2."""
    with token_server(service_seconds=0.1) as api:
        await fetch_all(api, 6, max_concurrency=16, adaptive_concurrency=False)
    assert max(api.most_in_flight[t] for t in TOKENS) > 2


async def test_no_token_passes_its_rate_while_the_others_proceed() -> None:
    rate, window = 5.0, 0.5
    with token_server(service_seconds=0.01) as api:
        await fetch_all(api, 8, token_limits={"rate_limit": {"requests_per_second": rate}})
    allowed = int(1 + rate * window) + JITTER  # burst 1
    for token in TOKENS:
        assert len(api.arrivals[token]) == 8
        assert most_in_any_window(api.arrivals[token], window) <= allowed, token
    everyone = [at for token in TOKENS for at in api.arrivals[token]]
    assert most_in_any_window(everyone, window) > allowed  # the tokens are paced apart


async def test_a_429_cuts_only_its_own_tokens_limit() -> None:
    events = EventLog()
    with token_server(service_seconds=0.02) as api:
        api.throttle[TOKENS[0]] = 2
        client = await fetch_all(
            api, 4, events, max_concurrency=16,
            retry={"rules": [{"statuses": [429], "max_retries": 3, "constant": 0.01}]},
            token_limits={"initial_concurrency": 4, "max_concurrency": 8})
    assert api.throttled[TOKENS[0]] == 2 and sum(api.throttled.values()) == 2
    assert all(len(api.arrivals[t]) == 4 for t in TOKENS[1:])
    pacer = client.pacer
    host = pacer.limit(host_key(api.url))
    assert host.backoffs == 0  # the host's limit was not cut for everyone
    cut = sorted(limit.backoffs for limit in pacer.token_limits.values())
    assert cut[:2] == [0, 0] and cut[2] >= 1  # only the throttled token's limit was cut
    notices = [e.message for e in events.of(Notice) if "single credentials" in e.message]
    assert len(notices) == 1 and "3 credentials paced apart" in notices[0]
    text = "\n".join(repr(e) for e in events)
    digests = [token for _, token in pacer.token_limits]
    for token in TOKENS:
        assert not secret_found(text, token)
    for digest in digests:
        assert digest not in text  # a digest stays inside the pacer


def test_the_digest_is_keyed_per_run_and_shows_no_token() -> None:
    flows = {t: ApiClient(client_config(auth={"type": "bearer", "token": t})).auth_flows.default
             for t in TOKENS}
    runs = [CredentialDigest(), CredentialDigest()]
    seen: set[str] = set()
    for token, flow in flows.items():
        keys = [run.of_request({}, {}, flow) for run in runs]
        assert keys[0] is not None and keys[1] is not None
        assert keys[0] != keys[1]  # another run's key: digests cannot be compared across runs
        for key in keys:
            assert key != token and not secret_found(key, token)
            assert token not in key and key != hashlib.sha256(token.encode()).hexdigest()[:32]
            seen.add(key)
    assert len(seen) == 2 * len(TOKENS)


@pytest.mark.parametrize(("headers", "secret", "flow", "same_as_first"), [
    ({"Authorization": "Bearer tenant-a"}, {}, False, True),
    ({"authorization": "Bearer tenant-a", "Accept": "x"}, {}, False, True),
    ({"Authorization": "Bearer tenant-b"}, {}, False, False),
    ({"X-Tenant-Key": "k1"}, {"X-Tenant-Key": "k1"}, False, False),
    ({"Authorization": "Bearer tenant-a"}, {}, True, False),
])
def test_what_the_key_is_made_of(headers: dict[str, str], secret: dict[str, str], flow: bool,
                                 same_as_first: bool) -> None:
    digest = CredentialDigest(b"k" * 32)
    signer = ApiClient(client_config(auth={"type": "bearer", "token": "t0"})).auth_flows.default
    first = digest.of_request({"Authorization": "Bearer tenant-a"}, {}, None)
    key = digest.of_request(headers, secret, signer if flow else None)
    assert key is not None and (key == first) is same_as_first


def test_a_request_without_credentials_has_no_key() -> None:
    digest = CredentialDigest(b"k" * 32, headers=["X-Tenant"])
    assert digest.of_request({"Accept": "application/json"}, {}, None) is None
    assert digest.of_request({"X-Tenant": "acme"}, {}, None) is not None  # a named header


def test_an_oauth_flow_keeps_its_identity_across_token_renewals() -> None:
    client = ApiClient(client_config(auth={
        "type": "oauth2_client_credentials", "access_token_url": "https://auth.test/token",
        "client_id": "id", "client_secret": "s3cr3t-value"}))
    flow = client.auth_flows.default
    assert flow is not None
    before = flow.pacing_identity()
    flow._token = "access-1"  # type: ignore[attr-defined]  # as after a token request
    assert flow.pacing_identity() == before
