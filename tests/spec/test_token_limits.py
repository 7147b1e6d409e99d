"""``client.token_limits``: the valid forms, and a table of invalid ones, each with a located
message."""

from __future__ import annotations

from typing import Any

import pytest
from tests.spec.test_invalid_specs import VALUES, spec

from restsync.errors import SpecError
from restsync.spec import load_spec

TL = "client.token_limits"

INVALID: list[tuple[str, Any, str, str]] = [
    ("empty", spec(token_limits={}), TL, "give max_concurrency, rate_limit or"),
    ("not-a-mapping", spec(token_limits=3), TL, "valid dictionary"),
    ("unknown-key", spec(token_limits={"max_concurency": 2}), f"{TL}.max_concurency",
     "did you mean 'max_concurrency'?"),
    ("zero-concurrency", spec(token_limits={"max_concurrency": 0}), f"{TL}.max_concurrency",
     "greater than or equal to 1"),
    ("initial-above-max", spec(token_limits={"initial_concurrency": 8, "max_concurrency": 2}),
     TL, "initial_concurrency (8) is above max_concurrency (2)"),
    ("rate-two-forms", spec(token_limits={"rate_limit": {
        "requests_per_second": 1, "requests_per_minute": 60}}), f"{TL}.rate_limit",
     "exactly one of"),
    ("rate-negative", spec(token_limits={"rate_limit": {"requests_per_second": -2}}),
     f"{TL}.rate_limit.requests_per_second", "greater than 0"),
    ("rate-unknown-key", spec(token_limits={"rate_limit": {"rps": 2}}),
     f"{TL}.rate_limit.rps", "unknown key 'rps'"),
    ("header-name", spec(token_limits={"max_concurrency": 1,
                                       "credential_headers": ["X Tenant"]}),
     f"{TL}.credential_headers", "'X Tenant' is not an HTTP header name"),
    ("headers-not-a-list", spec(token_limits={"max_concurrency": 1,
                                              "credential_headers": "X-Tenant"}),
     f"{TL}.credential_headers", "valid list"),
    ("above-host-concurrency", spec(max_concurrency=4, token_limits={"max_concurrency": 8}),
     "client", "token_limits.max_concurrency (8) is above max_concurrency (4)"),
    ("above-host-rate", spec(rate_limit={"requests_per_second": 2},
                             token_limits={"rate_limit": {"requests_per_second": 5}}),
     "client", "token_limits.rate_limit (5/s) is above rate_limit (2/s)"),
]


@pytest.mark.parametrize(("source", "path", "fragment"), [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_invalid_token_limits(source: Any, path: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(source, values=VALUES)
    located = [(i.path, i.message) for i in info.value.issues]
    assert any(p == path and fragment in m for p, m in located), located


def test_valid_token_limits() -> None:
    config = load_spec(spec(max_concurrency=32, rate_limit={"requests_per_second": 50},
                            token_limits={"max_concurrency": 2,
                                          "rate_limit": {"requests": 10, "per_seconds": 2},
                                          "credential_headers": ["X-Tenant-Key"]}),
                       values=VALUES)
    token = config.client.token_limits
    assert token is not None and token.max_concurrency == 2
    assert token.rate_limit is not None and token.rate_limit.rate == 5
    assert token.credential_headers == ["X-Tenant-Key"]
    assert load_spec(spec(), values=VALUES).client.token_limits is None  # per host only


def test_token_limits_from_yaml_and_set() -> None:
    text = ("client:\n  base_url: https://x\n  token_limits:\n    max_concurrency: 1\n"
            "resources:\n  - name: drafts\n    endpoint: /d\n")
    assert load_spec(text, values=VALUES).client.token_limits is not None
    config = load_spec(spec(), values=VALUES,
                       overrides=["client.token_limits.rate_limit.requests_per_second=3"])
    assert config.client.token_limits is not None
    assert config.client.token_limits.rate_limit is not None
    assert config.client.token_limits.rate_limit.rate == 3
