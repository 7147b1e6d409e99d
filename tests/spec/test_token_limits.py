"""``client.token_limits``: the valid forms (the invalid ones, each with a located message,
are in the table of ``test_invalid_specs_more.py``)."""

from __future__ import annotations

from tests.spec.test_invalid_specs import VALUES, spec

from restsync.spec import load_spec


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
