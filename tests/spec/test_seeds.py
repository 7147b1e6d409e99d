"""The five seed documents load as written, with the expected inferences."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from spec_helpers import SEED_SECRETS, SEEDS

from restsync.errors import MissingValuesError
from restsync.spec import ValueResolver, load_spec
from restsync.spec.model import (
    CursorPaginator,
    HttpBasicAuth,
    OAuth2RefreshTokenAuth,
    OffsetPaginator,
)


def _inferences(config) -> dict[str, str]:
    return {i.path: i.message for i in config.inferences}


def test_email_api(seed_values: ValueResolver) -> None:
    config = load_spec(SEEDS / "email_api.md", values=seed_values)
    assert config.name == "email_api"
    assert [r.name for r in config.resources] == [
        "profile", "drafts", "labels", "labels_details", "messages", "messages_details",
        "threads", "threads_details"]
    auth = config.client.auth
    assert isinstance(auth, OAuth2RefreshTokenAuth)
    assert auth.refresh_token.get_secret_value() == SEED_SECRETS["client_refresh_token"]
    assert auth.token_url == "https://accounts.example.com/o/oauth2/token"
    drafts = config.resource("drafts")
    assert drafts.primary_key == "id" and drafts.write_disposition == "merge"
    pag = drafts.endpoint.paginator
    assert isinstance(pag, CursorPaginator)
    assert (pag.cursor_path, pag.cursor_param, pag.limit, pag.limit_param) == (
        "nextPageToken", "pageToken", 100, "limit")
    assert pag.stop_condition == "not response.get('nextPageToken', {})"
    inf = _inferences(config)
    assert inf["resources[drafts].endpoint.paginator.cursor_path"] == (
        "next cursor read from `nextPageToken` (named in stop_condition)")
    assert inf["resources[drafts].endpoint.paginator.limit_param"] == (
        "page size 100 sent as `limit` (set paginator.limit_param to rename)")
    assert config.resource("profile").endpoint.paginator is None


def test_calendar_api(seed_values: ValueResolver) -> None:
    config = load_spec(SEEDS / "calendar_api.md", values=seed_values)
    assert len(config.resources) == 12
    assert config.client.auth is not None
    assert config.client.auth.type == "bearer"
    grants = config.resource("grants").endpoint.paginator
    assert isinstance(grants, CursorPaginator)
    assert (grants.cursor_path, grants.cursor_param, grants.limit) == (
        "next_cursor", "page_token", 50)
    assert config.resource("credentials").endpoint.data_selector == "$"  # `[]` = whole body
    assert config.resource("credentials").endpoint.path == "/v3/connectors/{provider}/creds"
    paged = [r.name for r in config.resources if r.endpoint.paginator is not None]
    inf = _inferences(config)
    for name in paged:
        assert inf[f"resources[{name}].endpoint.paginator.cursor_path"].startswith(
            "next cursor read from `next_cursor`")


def test_email_events_api(seed_values: ValueResolver) -> None:
    config = load_spec(SEEDS / "email_events_api.md", values=seed_values)
    auth = config.client.auth
    assert isinstance(auth, HttpBasicAuth)  # "basic" is an alias
    assert auth.username == "api" and auth.password.get_secret_value() == "pk-ghi"
    domains = config.resource("domains").endpoint.paginator
    assert isinstance(domains, OffsetPaginator)
    assert (domains.limit, domains.offset_param, domains.total_path) == (1000, "skip", "total")
    events = config.resource("events").endpoint.paginator
    assert isinstance(events, CursorPaginator)
    assert (events.cursor_path, events.cursor_param) == ("paging.next", "from")
    inf = _inferences(config)
    assert "fewer than 1000" in inf["resources[domains].endpoint.paginator.total_path"]
    # fully stated, but for the known columns read from the document's Schema section
    assert not any(p.startswith("resources[events]") and p != "resources[events].columns"
                   for p in inf)


def test_marketing_api_tolerates_js_comment(seed_values: ValueResolver) -> None:
    text = (SEEDS / "marketing_api.md").read_text()
    assert "// Additional resources" in text
    config = load_spec(SEEDS / "marketing_api.md", values=seed_values)
    campaigns = config.resource("campaigns").endpoint.paginator
    assert isinstance(campaigns, CursorPaginator)
    assert (campaigns.cursor_path, campaigns.cursor_param) == ("nextPageUrl", "nextPageUrl")
    clicks = config.resource("email_clicks")
    assert clicks.endpoint.data_selector == "result.emailClick"
    pag = clicks.endpoint.paginator
    assert isinstance(pag, CursorPaginator)
    assert (pag.cursor_path, pag.cursor_value, pag.cursor_param, pag.limit) == (
        None, "last_record.id", "id_greater_than", 200)
    inf = _inferences(config)
    assert inf["resources[email_clicks].endpoint.paginator.cursor_value"] == (
        "next cursor = `id` of the last record (cursor_param `id_greater_than`, "
        "stop_condition tests the records)")
    assert inf["resources[email_clicks].endpoint.paginator.limit_param"] == (
        "page size 200 sent as `limit` (set paginator.limit_param to rename)")
    assert inf["resources[campaigns].endpoint.paginator.cursor_path"] == (
        "next cursor read from `nextPageUrl` (named in stop_condition)")


def test_project_api(seed_values: ValueResolver) -> None:
    config = load_spec(SEEDS / "project_api.md", values=seed_values)
    schedules = config.resource("schedules")
    assert schedules.endpoint.data_selector == "dock.*"
    pag = schedules.endpoint.paginator
    assert isinstance(pag, CursorPaginator)
    assert pag.cursor_path == "headers.link.next.url"
    assert pag.cursor_param is None  # a URL is followed, never sent as a parameter
    todos = config.resource("todos").endpoint.incremental
    assert todos is not None
    assert (todos.cursor_path, todos.initial_value, todos.start_param) == (
        "updated_at", "2024-01-01T00:00:00Z", None)
    inf = _inferences(config)
    assert inf["resources[todos].incremental_sync"] == (
        "client-side filter on updated_at >= start_date; no start param sent")
    assert inf["resources[projects].endpoint.paginator.cursor_path"] == (
        "next page URL from the Link header (rel=next)")


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.md")))
def test_seed_secrets_are_hidden(seed: str, seed_values: ValueResolver) -> None:
    config = load_spec(SEEDS / seed, values=seed_values)
    dumped = repr(config) + str(config) + config.model_dump_json()
    for secret in SEED_SECRETS.values():
        assert secret not in dumped
    auth = config.client.auth
    assert auth is not None
    secret_fields = [v for v in vars(auth).values() if isinstance(v, SecretStr)]
    assert secret_fields, "auth secrets must be SecretStr"


def test_seed_missing_secrets_listed_together(no_values: ValueResolver) -> None:
    with pytest.raises(MissingValuesError) as info:
        load_spec(SEEDS / "project_api.md", values=no_values)
    missing = {(m.kind, m.name, m.path) for m in info.value.missing}
    assert ("secret", "client_id", "client.auth.client_id") in missing
    assert ("secret", "refresh_token", "client.auth.refresh_token") in missing
    assert ("config", "start_date", "resources[todos].endpoint.incremental.initial_value") \
        in missing
    assert ("config", "start_date", "resources[messages].endpoint.incremental.initial_value") \
        in missing
    assert len(missing) == 5


def test_seed_without_values_for_check() -> None:
    config = load_spec(SEEDS / "email_api.md", resolve_values=False)
    assert config.client.auth is not None and config.client.auth.type == "oauth2"
