"""The corpus of real-world-shaped manifests (``tests/airbyte/corpus/*.yaml``): their streams,
and each one compiled and planned as ``restsync check`` does (see ``test_corpus.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from restsync.cli.common import load_source
from restsync.plan import Plan, build_plan
from restsync.spec.airbyte import StreamRefusal, compile_manifest, generate_config
from restsync.spec.model import ResourceConfig, SourceConfig
from restsync.spec.templated import TemplatedEndpoint

CORPUS = Path(__file__).parent / "corpus"
MANIFESTS = sorted(p.stem for p in CORPUS.glob("*.yaml"))

STREAMS: dict[str, list[str]] = {
    "adlytics_ads": ["ad_accounts", "campaigns", "ad_groups", "daily_performance"],
    "bulkline_exports": ["carriers", "shipments", "stock_snapshots", "scan_events",
                         "proof_of_delivery"],
    "campaignly_marketing": ["lists", "campaigns", "campaign_activity", "list_members",
                             "unsubscribes"],
    "metrotransit_open_data": ["agencies", "routes", "stops", "arrivals"],
    "paystream_payments": ["customers", "charges", "refunds", "balance_transactions",
                           "payouts"],
    "peoplepath_hr": ["departments", "employees", "time_off_requests"],
    "pipewise_crm": ["owners", "contacts", "companies", "deals", "deal_notes"],
    "pulsemetrics_analytics": ["cohorts", "events", "annotations"],
    "routewise_field_service": ["technicians", "customers", "jobs", "visits"],
    "shelfcart_store": ["products", "customers", "orders", "order_line_items",
                        "inventory_levels"],
    "slotly_calendar": ["users", "calendars", "events", "availability"],
    "tickety_helpdesk": ["agents", "groups", "tickets", "ticket_comments", "ticket_audits",
                         "satisfaction_ratings"],
}
"""Every manifest of the corpus and its streams, in manifest order."""

REFUSED = {"campaignly_marketing": {"list_members": "streams[3].retriever.record_selector.extractor"}}
"""The only refused stream of the corpus: a custom component, at its manifest path."""


@dataclass(frozen=True)
class Compiled:
    """One corpus manifest, compiled and planned as ``restsync check`` does."""

    raw: dict[str, Any]
    config: dict[str, Any]
    refusals: list[StreamRefusal]
    source: SourceConfig
    plan: Plan

    def resource(self, name: str) -> ResourceConfig:
        [found] = [r for r in self.source.resources if r.name == name]
        return found

    def endpoint(self, name: str) -> TemplatedEndpoint:
        templated = self.resource(name).endpoint.templated
        assert templated is not None
        return templated

    def auth(self, name: str) -> Any:
        """The stream's auth (the client's when the stream has none of its own)."""
        own = self.resource(name).endpoint.auth
        return self.source.client.auth if own is None else own

    def inferences(self) -> list[str]:
        return [f"{i.path}: {i.message}" for i in self.source.inferences]


def corpus_path(name: str) -> Path:
    return CORPUS / f"{name}.yaml"


def raw_manifest(name: str) -> dict[str, Any]:
    raw = yaml.safe_load(corpus_path(name).read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


@cache
def compiled(name: str) -> Compiled:
    raw = raw_manifest(name)
    config = generate_config(raw["spec"]["connection_specification"])
    # validated against the spec: the corpus' specs and templates must agree
    _, refusals, problems = compile_manifest(corpus_path(name), config=config, validate=True)
    assert problems == []
    refused = {r.stream for r in refusals}
    streams = ",".join(s for s in STREAMS[name] if s not in refused) if refused else None
    source = load_source(corpus_path(name), None, None, streams=streams)
    return Compiled(raw, config, refusals, source, build_plan(source))
