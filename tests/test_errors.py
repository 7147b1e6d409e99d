"""Every error of the tree survives pickling as itself (a Ray worker's error reaches the
driver with its type, message and attributes)."""

from __future__ import annotations

import pickle

import pytest

from restsync import errors as e

CASES = [
    e.RestsyncError("boom", location="resource 'a'", hint="try again"),
    e.ConfigError("bad option", location="--workers"),
    e.SpecError([e.SpecIssue("resources[a].endpoint.path", "bad", 3)], source="spec.yaml"),
    e.MissingValuesError([e.MissingValue("secret", "token", "client.auth.token")],
                         searched=["env"]),
    e.HTTPStatusError("403: no", status=403, location="resource 'domains', page 1"),
    e.LimitExceededError("too big", setting="limits.max_response_bytes"),
    e.WaitTooLongError("wait", resource="a", wait_seconds=90.0, max_wait=10.0,
                       url="http://127.0.0.1/x", resume_state={"page": 3}),
    e.PageLimitError("pages", resource="a", pages=7, resume_state={"page": 8}),
    e.SchemaContractError("frozen", table="t", column="c", json_path="c", value="1"),
    e.RetriableError("429", status=429, retry_after=2.0),
    e.SkippableError("404", status=404, location="resource 'b'"),
]


@pytest.mark.parametrize("error", CASES, ids=lambda x: type(x).__name__)
def test_an_error_pickles_as_itself(error: e.RestsyncError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert back.args == error.args
    assert vars(back) == vars(error)
