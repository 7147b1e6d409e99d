"""More invalid specs: newer options, YAML text and documents (with test_invalid_specs.py: 100+)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.spec.test_invalid_specs import CASES, EP, PG, RES, VALUES, doc, pag, spec

from restsync.errors import SpecError
from restsync.spec import load_spec

TOKENS = "client.token_limits"
YAML_HEAD = "client:\n  base_url: https://x\nresources:\n  - name: drafts\n    endpoint:\n"

MORE: list[tuple[str, Any, str, str]] = [
    # ---- rate limits, retries, security options
    ("rate-limit-negative", spec(rate_limit={"requests_per_second": -1}),
     "client.rate_limit.requests_per_second", "greater than 0"),
    ("rate-limit-unknown-key", spec(rate_limit={"rps": 3}), "client.rate_limit.rps",
     "unknown key 'rps' (known: burst, per_seconds, requests"),
    ("retry-rule-bad-status", spec(retry={"rules": [{"statuses": ["teapot"]}]}),
     "client.retry.rules[0].statuses[0]", "valid integer"),
    ("retry-negative-retries", spec(retry={"rules": [{"statuses": [429], "max_retries": -2}]}),
     "client.retry.rules[0].max_retries", "greater than or equal to 0"),
    ("retry-rule-key-typo", spec(retry={"rules": [{"statuses": [429], "max_retrys": 2}]}),
     "client.retry.rules[0].max_retrys", "did you mean 'max_retries'?"),
    ("foreign-host-mode", spec(foreign_host_credentials="send"),
     "client.foreign_host_credentials", "strip"),
    ("verify-tls-type", spec(verify_tls="maybe"), "client.verify_tls", "bool"),
    ("max-concurrency-zero", spec(max_concurrency=0), "client.max_concurrency",
     "greater than or equal to 1"),
    # ---- per-credential limits (client.token_limits)
    ("token-limits-empty", spec(token_limits={}), TOKENS, "give max_concurrency, rate_limit or"),
    ("token-limits-not-a-mapping", spec(token_limits=3), TOKENS, "valid dictionary"),
    ("token-limits-unknown-key", spec(token_limits={"max_concurency": 2}),
     f"{TOKENS}.max_concurency", "did you mean 'max_concurrency'?"),
    ("token-limits-zero-concurrency", spec(token_limits={"max_concurrency": 0}),
     f"{TOKENS}.max_concurrency", "greater than or equal to 1"),
    ("token-limits-initial-above-max",
     spec(token_limits={"initial_concurrency": 8, "max_concurrency": 2}),
     TOKENS, "initial_concurrency (8) is above max_concurrency (2)"),
    ("token-limits-rate-two-forms", spec(token_limits={"rate_limit": {
        "requests_per_second": 1, "requests_per_minute": 60}}), f"{TOKENS}.rate_limit",
     "exactly one of"),
    ("token-limits-rate-negative", spec(token_limits={"rate_limit": {"requests_per_second": -2}}),
     f"{TOKENS}.rate_limit.requests_per_second", "greater than 0"),
    ("token-limits-rate-unknown-key", spec(token_limits={"rate_limit": {"rps": 2}}),
     f"{TOKENS}.rate_limit.rps", "unknown key 'rps'"),
    ("token-limits-header-name",
     spec(token_limits={"max_concurrency": 1, "credential_headers": ["X Tenant"]}),
     f"{TOKENS}.credential_headers", "'X Tenant' is not an HTTP header name"),
    ("token-limits-headers-not-a-list",
     spec(token_limits={"max_concurrency": 1, "credential_headers": "X-Tenant"}),
     f"{TOKENS}.credential_headers", "valid list"),
    ("token-limits-above-host-concurrency",
     spec(max_concurrency=4, token_limits={"max_concurrency": 8}),
     "client", "token_limits.max_concurrency (8) is above max_concurrency (4)"),
    ("token-limits-above-host-rate",
     spec(rate_limit={"requests_per_second": 2},
          token_limits={"rate_limit": {"requests_per_second": 5}}),
     "client", "token_limits.rate_limit (5/s) is above rate_limit (2/s)"),
    # ---- schema: columns and contracts
    ("contract-mode-typo", spec({"schema_contract": {"columns": "frozen"}}),
     f"{RES}.schema_contract.columns", "freeze"),
    ("contract-unknown-entity", spec({"schema_contract": {"rows": "freeze"}}),
     f"{RES}.schema_contract.rows", "rows"),
    ("column-bad-type", spec({"columns": {"id": {"data_type": "integer128"}}}),
     f"{RES}.columns.id.data_type", "integer128"),
    ("json-columns-not-names", spec({"json_columns": [1, 2]}), f"{RES}.json_columns",
     "json_columns is a list of field paths"),
    ("max-nesting-negative", spec({"max_table_nesting": -1}), f"{RES}.max_table_nesting",
     "greater than or equal to 0"),
    # ---- incremental
    ("incremental-needs-cursor", spec({"endpoint": {"incremental": {"initial_value": 1}}}),
     f"{EP}.incremental.cursor_path", "needs cursor_path"),
    ("incremental-key-typo", spec({"endpoint": {"incremental": {
        "cursor_path": "t", "initial_valu": 1}}}), f"{EP}.incremental.initial_valu",
     "did you mean 'initial_value'?"),
    ("incremental-bad-missing-mode", spec({"endpoint": {"incremental": {
        "cursor_path": "t", "on_cursor_value_missing": "skip"}}}),
     f"{EP}.incremental.on_cursor_value_missing", "raise"),
    ("incremental-row-order-word", spec({"endpoint": {"incremental": {
        "cursor_path": "t", "row_order": "newest"}}}), f"{EP}.incremental.row_order", "desc"),
    # ---- paginators
    ("offset-limit-zero", pag(type="offset", limit=0), f"{PG}.limit", "greater than 0"),
    ("page-number-typo", pag(type="page_numbr"), f"{PG}.type", "did you mean 'page_number'?"),
    ("json-link-unknown-key", pag(type="json_link", next_url="n"), f"{PG}.next_url",
     "did you mean 'next_url_path'?"),
    # ---- YAML text
    ("yaml-unknown-resource-key",
     "client:\n  base_url: https://x\nresources:\n  - name: drafts\n    primary_keys: id\n"
     "    endpoint: /d\n", f"{RES}.primary_keys", "did you mean 'primary_key'?"),
    ("yaml-bad-method", YAML_HEAD + "      path: /d\n      method: DELETE\n", f"{EP}.method",
     "GET"),
    ("yaml-bad-secret-ref", YAML_HEAD + "      path: /d\n      params:\n"
     "        k: \"Bearer ${secrets.tok}\"\n", f"{EP}.params.k", "whole value"),
    ("yaml-paginator-unknown-key", YAML_HEAD + "      path: /d\n      paginator:\n"
     "        type: offset\n        limit: 10\n        ofset_param: skip\n",
     f"{PG}.ofset_param", "did you mean 'offset_param'?"),
    # ---- documents
    ("doc-stop-condition-dunder", doc(
        "{'name': 'drafts', 'endpoint': {'path': '/d', 'paginator': {'type': 'cursor', "
        "'cursor_path': 'n', 'stop_condition': 'response.__class__'}}}"),
     f"{PG}.stop_condition", "not allowed"),
    ("doc-stop-condition-import", doc(
        "{'name': 'drafts', 'endpoint': {'path': '/d', 'paginator': {'type': 'cursor', "
        "'cursor_path': 'n', 'stop_condition': \"__import__('os')\"}}}"),
     f"{PG}.stop_condition", "not allowed"),
    ("doc-fstring", doc("{'name': 'drafts', 'endpoint': {'path': f'/d'}}"), f"{EP}.path",
     "f-string"),
    ("doc-incremental-sync-bad-format", doc(
        "{'name': 'drafts', 'endpoint': '/d', 'incremental_sync': {'cursor_field': 'u', "
        "'start_datetime': '2024', 'datetime_format': 'DD/MM'}}"),
     f"{RES}.incremental_sync.datetime_format", "DD/MM"),
]


def test_case_count_across_both_tables() -> None:
    assert len(CASES) + len(MORE) >= 100
    assert not {c[0] for c in CASES} & {c[0] for c in MORE}


@pytest.mark.parametrize(("source", "path", "fragment"), [c[1:] for c in MORE],
                         ids=[c[0] for c in MORE])
def test_invalid_spec(source: Any, path: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(source, values=VALUES)
    located = [(i.path, i.message) for i in info.value.issues]
    assert any(p == path and fragment in m for p, m in located), located
