"""``HTTPAPIBudget``: its first call-rate policy becomes restsync's proactive rate limit."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.spec.airbyte import load_manifest
from tests.airbyte.construct_support import manifest_of, stream


def _budget(*policies: dict[str, Any]) -> Any:
    manifest = manifest_of([stream()], api_budget={"type": "HTTPAPIBudget",
                                                   "policies": list(policies)})
    return load_manifest(manifest, config={"base": "http://127.0.0.1:9/"}, name="budget")


MOVING = {"type": "MovingWindowCallRatePolicy", "matchers": [],
          "rates": [{"limit": 10, "interval": "PT1S"}, {"limit": 100, "interval": "PT1M"}]}
FIXED = {"type": "FixedWindowCallRatePolicy", "period": "PT1M", "call_limit": 60,
         "matchers": []}


@pytest.mark.parametrize(("policies", "requests", "seconds"), [
    ([MOVING], 10, 1.0),  # its first rate
    ([FIXED], 60, 60.0),  # call_limit per period (no rates)
    ([{"type": "UnlimitedCallRatePolicy", "matchers": []}, FIXED], 60, 60.0),
    ([{**FIXED, "call_limit": "{{ config.get('calls', 30) }}"}], 30, 60.0),
])
def test_the_first_call_rate_policy_is_the_rate_limit(policies: list[dict[str, Any]],
                                                      requests: int, seconds: float) -> None:
    source = _budget(*policies)
    limit = source.client.rate_limit
    assert limit is not None
    assert (limit.requests, limit.per_seconds) == (requests, seconds)
    assert any("call-rate policy: at most" in i.message and i.path.startswith("api_budget")
               for i in source.inferences)


@pytest.mark.parametrize("policy", [
    {"type": "MovingWindowCallRatePolicy", "matchers": [], "rates": []},
    {"type": "FixedWindowCallRatePolicy", "period": "soon", "call_limit": 5, "matchers": []},
])
def test_a_policy_without_a_usable_rate_is_not_applied_and_said(policy: dict[str, Any]
                                                                ) -> None:
    source = _budget(policy)
    assert source.client.rate_limit is None
    assert any("not applied" in i.message and i.path == "api_budget.policies[0]"
               for i in source.inferences)
