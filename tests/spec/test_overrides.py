"""--set PATH=VALUE overrides."""

from __future__ import annotations

import pytest
from spec_helpers import SEEDS

from restsync.errors import SpecError
from restsync.spec import ValueResolver, load_spec
from restsync.spec.issues import Issues
from restsync.spec.model import CursorPaginator
from restsync.spec.overrides import apply_overrides, parse_override_path

VALUES = ValueResolver.from_values(secrets={"tok": "t"})


def _spec() -> dict:
    return {"client": {"base_url": "https://x", "auth": {"type": "bearer", "token": "${secrets.tok}"}},
            "resources": ["users", {"name": "drafts", "endpoint": {
                "path": "/d", "paginator": {"type": "cursor", "cursor_path": "next"}}}]}


def test_path_parsing() -> None:
    assert parse_override_path("resources[drafts].endpoint.limit") == [
        "resources", "drafts", "endpoint", "limit"]
    assert parse_override_path("resources.0.name") == ["resources", "0", "name"]
    with pytest.raises(ValueError):
        parse_override_path("a..b")
    with pytest.raises(ValueError):
        parse_override_path("")


def test_values_are_yaml_typed() -> None:
    issues = Issues()
    raw = apply_overrides(_spec(), [
        "resources.drafts.endpoint.paginator.limit=50",
        "client.verify_tls=false",
        "client.base_url=http://localhost:8080/v1",
        "resources[drafts].endpoint.params.ids=[a, b]",
        "resources.drafts.table_name=",
    ], issues)
    assert not issues
    drafts = raw["resources"][1]
    assert drafts["endpoint"]["paginator"]["limit"] == 50
    assert raw["client"]["verify_tls"] is False
    assert raw["client"]["base_url"] == "http://localhost:8080/v1"
    assert drafts["endpoint"]["params"]["ids"] == ["a", "b"]
    assert drafts["table_name"] is None


def test_override_by_name_index_and_string_resource() -> None:
    config = load_spec(_spec(), values=VALUES, overrides=[
        "resources.drafts.endpoint.paginator.limit=25",
        "resources[0].endpoint.path=/people",
        "client.retry.max_retries=5",
        "client.retry.statuses=[429]",
    ])
    pag = config.resource("drafts").endpoint.paginator
    assert isinstance(pag, CursorPaginator) and pag.limit == 25
    assert config.resource("users").endpoint.path == "/people"
    assert config.client.retry.rules[0].max_retries == 5
    assert config.client.retry.rules[0].statuses == [429]


def test_override_seed_document() -> None:
    config = load_spec(SEEDS / "email_api.md", overrides=[
        "client.base_url=http://127.0.0.1:9000/v1/users/me/",
        "resources.drafts.endpoint.paginator.limit_param=maxResults",
    ], values=ValueResolver.from_values(secrets={
        "client_id": "a", "client_secret": "b", "client_refresh_token": "c"}))
    assert config.client.base_url.startswith("http://127.0.0.1:9000")
    pag = config.resource("drafts").endpoint.paginator
    assert isinstance(pag, CursorPaginator) and pag.limit_param == "maxResults"
    assert not any(i.path.endswith("drafts].endpoint.paginator.limit_param")
                   for i in config.inferences)


def test_override_secret_reference() -> None:
    config = load_spec(_spec(), values=ValueResolver.from_values(secrets={"tok": "t", "t2": "z"}),
                       overrides=["client.auth.token=${secrets.t2}"])
    assert config.client.auth.token.get_secret_value() == "z"


@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        ("resources.draft.endpoint.path=/x", "--set resources.draft.endpoint.path",
         "no resource named 'draft' (did you mean 'drafts'?)"),
        ("resources.7.name=x", "--set resources.7.name", "index 7 is out of range"),
        ("client.base_url.host=x", "--set client.base_url.host", "holds a str"),
        ("client.base_url", "--set client.base_url", "expected PATH=VALUE"),
        ("client..x=1", "--set client..x", "malformed path"),
        ("client.timeout=[1,", "--set client.timeout", "not a valid YAML"),
    ],
)
def test_bad_overrides(override: str, path: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(_spec(), values=VALUES, overrides=[override])
    issue = info.value.issues[0]
    assert issue.path == path
    assert fragment in issue.message
