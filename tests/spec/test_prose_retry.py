"""Reading the documents' "Error Handling" prose into a retry policy (an inference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from restsync.spec import ValueResolver, load_spec
from restsync.spec.document import read_document
from restsync.spec.issues import Issues
from restsync.spec.prose_retry import retry_from_prose

SEEDS = Path(__file__).resolve().parents[2] / "examples" / "seeds"


def sections(name: str) -> dict[str, str]:
    return read_document((SEEDS / f"{name}.md").read_text(), Issues()).sections


@pytest.mark.parametrize("name", ["email_api", "calendar_api", "email_events_api", "project_api"])
def test_common_form_seeds_give_the_default_shape(name: str) -> None:
    found = retry_from_prose(sections(name))
    assert found is not None
    policy, message = found
    [rule] = policy.rules
    assert rule.statuses == [429, 500, 502, 503, 504, "transport"]
    assert (rule.max_retries, rule.backoff_factor, rule.constant) == (3, 2.0, None)
    assert "'Error Handling' section" in message


def test_marketing_api_composite_handler() -> None:
    found = retry_from_prose(sections("marketing_api"))
    assert found is not None
    policy, message = found
    rate, other = policy.rules
    assert (rate.statuses, rate.constant, rate.max_retries) == ([429], 7200.0, 12)
    assert 503 in other.statuses and "transport" in other.statuses and 429 not in other.statuses
    assert (other.backoff_factor, other.max_retries, other.constant) == (3.0, 10, None)
    assert "constant 7200 s, up to 12 retries" in message


@pytest.mark.parametrize("text", [
    "Errors are retried sometimes.",
    "- **Max Retries**: 12 for rate-limited errors, 10 for other errors",  # composite, partial
    "- **Retry Logic**: 429, 503\n- **Max Retries**: 3",  # no factor
    "- **Retry Logic**: 503\n- **Max Retries**: 100000\n- **Backoff Factor**: 2",
])
def test_unclear_prose_keeps_the_default(text: str) -> None:
    assert retry_from_prose({"Error Handling": text}) is None
    assert retry_from_prose({"Schema": "- **Max Retries**: 3 429 Backoff Factor: 2"}) is None


def test_loader_applies_it_as_an_inference_and_spec_retry_wins() -> None:
    server_values = ValueResolver.from_values(
        secrets={"client_id": "a", "client_secret": "b", "refresh_token": "c"})
    config = load_spec(SEEDS / "marketing_api.md", values=server_values)
    assert [r.constant for r in config.client.retry.rules] == [7200.0, None]
    messages = {i.path: i.message for i in config.inferences}
    assert "7200" in messages["client.retry"]
    overridden = load_spec(SEEDS / "marketing_api.md", values=server_values,
                           overrides=["client.retry.statuses=[503]",
                                      "client.retry.max_retries=1"])
    assert [r.statuses for r in overridden.client.retry.rules] == [[503]]
