"""The corpus: real-world-shaped manifests of our own (``tests/airbyte/corpus/*.yaml``).

Each manifest describes a fictional API the way Airbyte's connectors are written:
``definitions`` reused through ``$ref``, ``$parameters``, components without ``type:``,
several streams. Together they use every component of issue 10's list.

Each one is compiled as ``restsync check`` compiles it when no ``--config`` is given
(:func:`restsync.cli.common.load_source`, a config generated from the manifest's spec by
:func:`restsync.spec.airbyte.generate_config`, as ``bench/airbyte_coverage.py`` does), its
plan is built, and the compiled pieces of chosen streams are read from restsync's own model
(paging, partitions, windows, auth, error rules, records). ``test_corpus_coverage.py``
checks that the corpus uses every component type, field and template variable of the list,
and has the Airbyte CDK build every manifest's streams. Nothing is sent.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bench.airbyte_coverage import check_manifest

from restsync.cli.common import load_source
from restsync.errors import SpecError
from restsync.spec.airbyte import compile_manifest
from restsync.spec.auth_models import ManifestOAuth, SessionTokenAuth
from restsync.spec.model import ApiKeyAuth, BearerAuth, HttpBasicAuth
from restsync.spec.templated import (
    AncestorPartition,
    ListPartition,
    ParentPartition,
    RequestOption,
)
from tests.airbyte.corpus_support import (
    MANIFESTS,
    REFUSED,
    STREAMS,
    compiled,
    corpus_path,
)


def _text(option: RequestOption | None) -> tuple[str, str | tuple[str, ...] | None]:
    """``(inject_into, field name or field path)`` of a request option."""
    assert option is not None
    if option.field_path:
        return option.inject_into, tuple(p.text for p in option.field_path)
    return option.inject_into, option.field_name.text if option.field_name else None


# --------------------------------------------------------------------------- every manifest


def test_the_corpus_is_the_listed_manifests() -> None:
    assert sorted(STREAMS) == MANIFESTS
    assert 10 <= len(MANIFESTS) <= 14


@pytest.mark.parametrize("name", MANIFESTS)
def test_every_stream_compiles_and_plans_but_the_custom_one(name: str) -> None:
    result = compiled(name)
    assert {r.stream: r.where for r in result.refusals} == REFUSED.get(name, {})
    runnable = [s for s in STREAMS[name] if s not in REFUSED.get(name, {})]
    assert [r.name for r in result.source.resources] == runnable
    assert all(r.selected for r in result.source.resources)
    assert sorted(result.plan.order) == sorted(runnable)
    # the coverage report's own measure agrees
    report = check_manifest(corpus_path(name))
    assert (report.status, report.streams, report.refused_streams) == (
        "partial" if name in REFUSED else "clean", len(STREAMS[name]), len(REFUSED.get(name, {})))


@pytest.mark.parametrize("name", MANIFESTS)
def test_parents_run_before_their_children(name: str) -> None:
    plan = compiled(name).plan
    for stream, planned in plan.resources.items():
        templated = planned.config.endpoint.templated
        assert templated is not None
        parents = {p.parent for p in templated.partitions if isinstance(p, ParentPartition)}
        assert planned.parent == (next(iter(parents)) if parents else None)
        if planned.parent is not None:
            assert plan.order.index(planned.parent) < plan.order.index(stream)


# --------------------------------------------------------------------------- per manifest


def test_pipewise_crm() -> None:
    crm = compiled("pipewise_crm")
    auth = crm.source.client.auth
    assert isinstance(auth, ApiKeyAuth)
    assert (auth.name, auth.location) == ("X-Pipewise-Key", "header")
    contacts = crm.endpoint("contacts")
    assert contacts.paging.kind == "cursor" and contacts.paging.page_size == 100
    assert contacts.paging.stop_condition is not None
    assert _text(contacts.paging.token_option) == ("request_parameter", "after")
    assert _text(contacts.paging.page_size_option) == ("request_parameter", "limit")
    assert contacts.path is not None and contacts.path.text == "contacts"  # from $parameters
    assert {k.text for k in contacts.params} == {"archived", "properties"}
    assert {k.text for k in contacts.headers} == {"Accept", "X-Pipewise-Workspace"}
    assert crm.endpoint("owners").paging.kind == "none"
    assert set(crm.resource("owners").columns) == {"id", "email", "first_name", "last_name"}
    deals = crm.endpoint("deals")
    assert deals.windows is not None and deals.windows.cursor_field == "updated_at"
    assert deals.windows.cursor_formats == ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")
    assert deals.windows.start_format == "%Y-%m-%d"
    assert _text(deals.windows.start_option) == ("request_parameter", "updated_after")
    assert crm.resource("deals").write_disposition == "merge"
    assert crm.resource("contacts").write_disposition == "replace"
    [notes] = crm.endpoint("deal_notes").partitions
    assert isinstance(notes, ParentPartition)
    assert (notes.parent, notes.partition_field, notes.extra_fields) == (
        "deals", "deal_id", ((("pipeline",), "pipeline"),))
    [amount] = crm.endpoint("deals").records.transformations[0].fields
    assert amount.value_type == "integer"
    assert crm.source.client.max_concurrency == 4  # the config's num_workers default
    assert crm.source.client.rate_limit is not None
    assert (crm.source.client.rate_limit.requests,
            crm.source.client.rate_limit.per_seconds) == (150, 10.0)


def test_tickety_helpdesk() -> None:
    desk = compiled("tickety_helpdesk")
    auth = desk.source.client.auth
    assert isinstance(auth, HttpBasicAuth)
    assert auth.username == "agent@acme.example/token"
    agents = desk.endpoint("agents")
    assert (agents.paging.kind, agents.paging.start_from_page, agents.paging.page_size) == (
        "page", 1, 100)
    assert _text(agents.paging.page_size_option) == ("request_parameter", "per_page")
    rules = [(r.action, sorted(r.statuses), r.message_contains) for r in agents.error_rules]
    assert rules == [("rate_limited", [429], None), ("ignore", [403], "feature not enabled"),
                     ("fail", [401], None)]
    [retry] = desk.source.client.retry.rules
    assert (retry.max_retries, retry.max_wait, retry.respect_retry_after) == (8, 120.0, True)
    windows = desk.endpoint("tickets").windows
    assert windows is not None
    assert (windows.step, windows.granularity, windows.lookback) == (
        timedelta(days=30), timedelta(seconds=1), timedelta(days=1))
    assert windows.start_min is not None and windows.end is not None
    assert _text(windows.start_option) == ("request_parameter", "updated_since")
    assert _text(windows.end_option) == ("request_parameter", "updated_before")
    comments = desk.endpoint("ticket_comments")
    [parent] = comments.partitions
    assert isinstance(parent, ParentPartition) and parent.incremental_dependency
    assert comments.windows is not None and comments.windows.client_side
    assert comments.windows.start_option is None and comments.windows.step is None
    assert desk.resource("ticket_comments").write_disposition == "merge"
    assert any("incremental_dependency" in i and "`tickets`" in i for i in desk.inferences())
    audits = desk.endpoint("ticket_audits")
    assert audits.paging.kind == "cursor" and audits.paging.token_option is None
    assert desk.endpoint("satisfaction_ratings").records.filter is not None
    assert desk.endpoint("agents").records.filter is None


def test_adlytics_ads() -> None:
    ads = compiled("adlytics_ads")
    auth = ads.source.client.auth
    assert isinstance(auth, ManifestOAuth)
    assert (auth.grant_type, auth.token_url) == (
        "refresh_token", "https://auth.adlytics.example/oauth2/token")
    assert auth.token_expiry_is_time_of_expiration
    assert auth.token_expiry_date_format == "%Y-%m-%dT%H:%M:%S%z"
    assert (auth.access_token_name, auth.expires_in_name) == ("access_token", "expires_at")
    assert json.loads(auth.refresh_request_body.get_secret_value()) == {
        "audience": "reporting-api", "developer_token": "example-developer_token"}
    campaigns = ads.endpoint("campaigns")
    assert campaigns.method == "POST" and campaigns.body_json is not None
    assert {k.text for k in campaigns.body_json} == {"fields", "filter"}
    assert campaigns.paging.kind == "offset" and campaigns.paging.page_size == 500
    assert _text(campaigns.paging.token_option) == ("body_json", ("paging", "offset"))
    assert _text(campaigns.paging.page_size_option) == ("body_json", ("paging", "limit"))
    report = ads.endpoint("daily_performance")
    accounts, levels = report.partitions
    assert isinstance(accounts, ParentPartition) and accounts.parent == "ad_accounts"
    assert isinstance(levels, ListPartition)
    assert (levels.field, levels.values) == ("level", ("campaign", "ad_group", "ad"))
    assert report.windows is not None
    assert (report.windows.step, report.windows.granularity, report.windows.lookback) == (
        timedelta(days=1), timedelta(days=1), timedelta(days=7))
    assert _text(report.windows.start_option) == ("body_json", ("date_range", "since"))
    assert _text(report.windows.end_option) == ("body_json", ("date_range", "until"))
    assert [t.kind for t in report.records.transformations] == ["add", "remove"]
    assert report.records.transformations[1].paths == (("spend_micros",),)
    assert [r.action for r in report.error_rules] == ["retry", "fail"]
    assert report.error_rules[0].predicate is not None and not report.error_rules[0].statuses
    [retry] = ads.source.client.retry.rules
    assert (retry.backoff_factor, retry.backoff_base) == (6.0, 2.0)  # factor 3, as 2 * 3


def test_paystream_payments() -> None:
    pay = compiled("paystream_payments")
    assert isinstance(pay.source.client.auth, BearerAuth)
    customers = pay.endpoint("customers")
    assert customers.paging.kind == "cursor"
    assert _text(customers.paging.token_option) == ("request_parameter", "starting_after")
    assert customers.records.transformations[0].paths == (("sources",), ("metadata", "*_internal"))
    charges = pay.endpoint("charges").windows
    assert charges is not None
    assert (charges.datetime_format, charges.step) == ("%s", timedelta(days=7))
    assert _text(charges.start_option) == ("request_parameter", "created[gte]")
    refunds = pay.endpoint("refunds").windows
    assert refunds is not None and refunds.client_side and not refunds.is_data_feed
    assert refunds.start_option is None and refunds.end_option is None
    feed = pay.endpoint("balance_transactions").windows
    assert feed is not None and feed.is_data_feed and not feed.client_side
    assert pay.endpoint("payouts").records.filter is not None
    rules = pay.endpoint("charges").error_rules
    assert [(r.action, sorted(r.statuses)) for r in rules] == [("retry", [409]), ("ignore", [404])]
    assert rules[0].predicate is not None and rules[1].message_contains == "resource_missing"
    [retry] = pay.source.client.retry.rules
    assert 409 in retry.statuses and retry.max_retries == 6


def test_slotly_calendar() -> None:
    cal = compiled("slotly_calendar")
    auth = cal.source.client.auth
    assert isinstance(auth, ManifestOAuth)
    assert (auth.grant_type, auth.refresh_token) == ("client_credentials", None)
    assert auth.scopes == ["calendars.read", "users.read", "availability.read"]
    assert json.loads(auth.refresh_request_body.get_secret_value()) == {
        "organization": "ORG-5F2A9C"}
    users = cal.endpoint("users")
    assert users.paging.kind == "cursor" and _text(users.paging.token_option) == ("path", None)
    events = cal.endpoint("events")
    [calendar] = events.partitions
    assert isinstance(calendar, ParentPartition)
    assert (calendar.parent, calendar.parent_key) == ("calendars", ("resource", "uuid"))
    assert events.windows is not None
    assert _text(events.windows.start_option) == ("header", "X-Updated-Since")
    assert events.windows.end_option is None
    [user] = cal.endpoint("availability").partitions
    assert isinstance(user, ParentPartition)
    assert _text(user.request_option) == ("request_parameter", "user")
    assert cal.endpoint("availability").paging.kind == "none"
    assert cal.resource("availability").primary_key == ["user", "start_time"]


def test_shelfcart_store() -> None:
    shop = compiled("shelfcart_store")
    auth = shop.source.client.auth  # the generated config takes the spec's first oneOf
    assert isinstance(auth, ApiKeyAuth) and auth.name == "X-Shelfcart-Access-Token"
    assert any("authenticator `access_token` chosen by config credentials.auth_method" in i
               for i in shop.inferences())
    products = shop.endpoint("products")
    assert products.paging.kind == "offset" and products.paging.inject_on_first_request
    assert getattr(products.paging.page_size, "text", None) == "{{ config.get('page_size', 250) }}"
    assert [t.kind for t in products.records.transformations] == ["keys_to_snake"]
    assert [p.text for p in shop.endpoint("order_line_items").records.field_path] == [
        "orders_by_id", "*", "line_items", "*"]
    [location] = shop.endpoint("inventory_levels").partitions
    assert isinstance(location, ListPartition)
    assert (location.field, location.values) == ("location_id", ("61230", "61231"))
    assert _text(location.request_option) == ("request_parameter", "location_ids")
    oauth_config = {**shop.config, "credentials": {
        "auth_method": "oauth2.0", "client_id": "c", "client_secret": "s", "refresh_token": "r"}}
    other, _, problems = compile_manifest(corpus_path("shelfcart_store"), config=oauth_config)
    assert problems == [] and other is not None
    assert isinstance(other.client.auth, ManifestOAuth)
    assert other.client.auth.token_url == (
        "https://corner-books.shelfcart.example/admin/oauth/token")


def test_bulkline_exports() -> None:
    exports = compiled("bulkline_exports")
    auth = exports.source.client.auth
    assert isinstance(auth, ApiKeyAuth) and (auth.name, auth.location) == ("key", "query")
    decoders = {name: (exports.endpoint(name).records.decoder, exports.endpoint(name).records.gzip)
                for name in STREAMS["bulkline_exports"]}
    assert decoders == {"carriers": ("json", False), "shipments": ("jsonl", False),
                        "stock_snapshots": ("csv", False), "scan_events": ("jsonl", True),
                        "proof_of_delivery": ("csv", True)}
    assert exports.endpoint("stock_snapshots").records.delimiter == ";"
    assert exports.endpoint("shipments").records.field_path == ()
    for name in STREAMS["bulkline_exports"][1:]:
        windows = exports.endpoint(name).windows
        assert windows is not None and windows.step == timedelta(days=1)
    windows = exports.endpoint("scan_events").windows
    assert windows is not None and windows.cursor_field == "scanned_at"  # from $parameters
    [retry] = exports.source.client.retry.rules
    assert retry.constant == 30.0
    [ignore] = exports.endpoint("shipments").error_rules
    assert (ignore.action, sorted(ignore.statuses)) == ("ignore", [404])


def test_routewise_field_service() -> None:
    field = compiled("routewise_field_service")
    auth = field.source.client.auth
    assert isinstance(auth, SessionTokenAuth)
    assert (auth.login_url, auth.login_method) == (
        "https://us.routewise.example/api/auth/login", "POST")
    assert (auth.token_path, auth.prefix, auth.expires_in) == (
        ["data", "session", "token"], "Bearer ", 7200)
    login = json.loads(auth.login_request.get_secret_value())
    assert login["json"] == {"username": "example-username", "password": "example-password",
                             "company": "HVAC-0193"}
    jobs = field.endpoint("jobs")
    assert jobs.method == "POST"
    assert _text(jobs.paging.token_option) == ("header", "X-Page")
    assert _text(jobs.paging.page_size_option) == ("body_json", "page_size")
    assert jobs.paging.inject_on_first_request
    assert jobs.windows is not None and jobs.windows.step == timedelta(days=14)
    assert _text(jobs.windows.start_option) == ("body_json", "modified_from")
    visits = field.endpoint("visits")
    assert visits.method == "GET"
    [job] = visits.partitions
    assert isinstance(job, ParentPartition) and job.incremental_dependency
    assert job.extra_fields == ((("customer", "id"), "customer.id"), (("status",), "status"))
    assert visits.windows is not None and visits.windows.client_side
    rules = [(r.action, sorted(r.statuses), r.message_contains) for r in jobs.error_rules]
    assert rules == [("rate_limited", [420, 429], None), ("fail", [], "session expired")]
    [retry] = field.source.client.retry.rules
    assert retry.max_retries == 4 and retry.respect_retry_after
    # restsync reads Retry-After only, and says so for the reset header this API uses
    assert any("not from `X-RateLimit-Reset`" in i for i in field.inferences())


def test_metrotransit_open_data() -> None:
    transit = compiled("metrotransit_open_data")
    assert transit.source.client.auth is None
    assert transit.endpoint("agencies").records.field_path == ()
    assert set(transit.resource("agencies").columns) == {
        "agency_id", "agency_name", "agency_url", "agency_timezone", "agency_phone"}
    assert "platforms" not in transit.resource("stops").columns  # arrays are not declared
    assert "stop_lat" in transit.resource("stops").columns
    assert not any("schema file" in i for i in transit.inferences())
    stops = transit.endpoint("stops")
    assert stops.paging.kind == "offset"
    assert _text(stops.paging.token_option) == ("request_parameter", "skip")
    route_type, group = transit.endpoint("arrivals").partitions
    assert isinstance(route_type, ListPartition) and isinstance(group, ListPartition)
    assert route_type.values == ("bus", "tram", "subway")
    assert group.values == ("downtown", "airport")  # from the config
    assert [p.text for p in transit.endpoint("arrivals").records.field_path] == ["predictions", "*"]
    rate = transit.source.client.rate_limit
    assert rate is not None and (rate.requests, rate.per_seconds) == (60, 60.0)


def test_campaignly_marketing_refuses_only_the_custom_stream() -> None:
    mail = compiled("campaignly_marketing")
    [refusal] = mail.refusals
    assert (refusal.stream, refusal.kind) == ("list_members", "CustomRecordExtractor")
    assert "source_campaignly.components.MergeFieldsExtractor" in refusal.message
    with pytest.raises(SpecError) as error:  # as `restsync check` without --streams
        load_source(corpus_path("campaignly_marketing"), None, None)
    text = str(error.value)
    assert "streams[3].retriever.record_selector.extractor" in text
    assert "list_members" in text and "--streams" in text
    campaigns = mail.endpoint("campaigns")
    assert campaigns.method == "POST" and campaigns.body_json is None
    assert {k.text for k in campaigns.body_data} == {"format", "include_archived"}
    assert _text(campaigns.paging.token_option) == ("body_data", "page")
    assert _text(campaigns.paging.page_size_option) == ("body_data", "count")
    activity = mail.endpoint("campaign_activity").windows
    assert activity is not None and str(activity.step) == "Duration(months=+1)"
    assert _text(activity.start_option) == ("body_data", "since")
    assert _text(activity.end_option) == ("body_data", "until")
    feed = mail.endpoint("unsubscribes").windows
    assert feed is not None and feed.is_data_feed and feed.lookback == timedelta(hours=6)
    rules = mail.endpoint("lists").error_rules
    assert [(r.action, sorted(r.statuses), r.message_contains) for r in rules] == [
        ("fail", [401, 403], None), ("retry", [], "please try again")]


def test_peoplepath_hr() -> None:
    hr = compiled("peoplepath_hr")
    auth = hr.source.client.auth
    assert isinstance(auth, ManifestOAuth) and auth.grant_type == "client_credentials"
    assert (auth.client_id_name, auth.client_secret_name, auth.access_token_name,
            auth.expires_in_name) == ("app_id", "app_secret", "token", "ttl_seconds")
    department, employee = hr.endpoint("time_off_requests").partitions
    assert isinstance(department, AncestorPartition) and department.ancestor == "departments"
    assert isinstance(employee, ParentPartition) and employee.parent == "employees"
    [carried] = hr.endpoint("employees").partitions
    assert isinstance(carried, ParentPartition) and carried.carry
    assert hr.plan.resources["time_off_requests"].parent == "employees"
    rules = hr.endpoint("departments").error_rules
    assert [(r.action, sorted(r.statuses)) for r in rules] == [
        ("retry", [500, 502, 503]), ("ignore", [404])]
    assert rules[1].predicate is not None
    [retry] = hr.source.client.retry.rules
    assert (retry.constant, retry.max_retries) == (15.0, 3)
    assert [t.kind for t in hr.endpoint("employees").records.transformations] == [
        "dpath_flatten", "remove"]
    assert [t.kind for t in hr.endpoint("departments").records.transformations] == [
        "keys_replace"]
    windows = hr.endpoint("time_off_requests").windows
    assert windows is not None and windows.start_max is not None


def test_pulsemetrics_analytics() -> None:
    pulse = compiled("pulsemetrics_analytics")
    auth = pulse.source.client.auth
    assert isinstance(auth, HttpBasicAuth) and auth.password.get_secret_value() == ""
    assert pulse.source.client.max_concurrency == 2
    events = pulse.endpoint("events")
    assert events.method == "POST" and events.body_json is not None
    assert {k.text for k in events.body_json} == {"from", "to", "where", "limit", "columns"}
    assert _text(events.paging.token_option) == ("body_json", "cursor")
    assert events.windows is not None
    assert (events.windows.step, events.windows.lookback) == (timedelta(days=1),
                                                              timedelta(hours=2))
    assert events.windows.cursor_formats == ("%s",)
    added = events.records.transformations
    assert [(t.kind, t.condition is not None) for t in added] == [("add", False), ("add", True)]
    [project] = pulse.endpoint("cohorts").partitions
    assert isinstance(project, ListPartition) and project.values == (2195, 2196)
    assert pulse.source.client.base_url == "https://api.pulsemetrics.example/api/2.0/"
