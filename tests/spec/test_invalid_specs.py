"""Table of invalid specs across dialects: each gives a located, specific message."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from restsync.errors import SpecError
from restsync.spec import ValueResolver, load_spec

VALUES = ValueResolver.from_values(secrets={"tok": "t"}, config={"since": "2024-01-01"})


def spec(resource: dict[str, Any] | None = None, **client: Any) -> dict[str, Any]:
    """A valid spec with one resource `drafts`, changed by the arguments."""
    base: dict[str, Any] = {"client": {"base_url": "https://api.example.com"},
                            "resources": [{"name": "drafts", "endpoint": {"path": "/drafts"}}]}
    base["client"].update(client)
    if resource is not None:
        merged = copy.deepcopy(base["resources"][0])
        for key, value in resource.items():
            if key == "endpoint" and isinstance(value, dict):
                merged["endpoint"].update(value)
            else:
                merged[key] = value
        base["resources"] = [merged]
    return base


def pag(**paginator: Any) -> dict[str, Any]:
    return spec({"endpoint": {"paginator": paginator}})


def doc(body: str) -> str:
    return ("# Doc\n\n```python\nimport dlt\nsource = rest_api_source({\n"
            "    'client': {'base_url': 'https://api.example.com'},\n"
            f"    'resources': [\n        {body}\n    ]\n}})\n```\n")


RES = "resources[drafts]"
EP = f"{RES}.endpoint"
PG = f"{EP}.paginator"

CASES: list[tuple[str, Any, str, str]] = [
    # ---- top level / client (dicts)
    ("not-a-mapping", [1, 2], "", "a path, a text or a mapping, got list"),
    ("unknown-top-key", {**spec(), "resource": []}, "resource",
     "unknown top-level key 'resource' (did you mean 'resources'?)"),
    ("no-client", {"resources": ["a"]}, "client", "the spec has no 'client'"),
    ("no-base-url", {"client": {}, "resources": ["a"]}, "client.base_url", "required"),
    ("client-not-mapping", {"client": "https://x", "resources": ["a"]}, "client",
     "client must be a mapping"),
    ("unknown-client-key", spec(base_ur="x"), "client.base_ur",
     "unknown client key 'base_ur' (did you mean 'base_url'?)"),
    ("session-unsupported", spec(session={"x": 1}), "client.session", "not supported"),
    ("timeout-negative", spec(timeout=-1), "client.timeout", "greater than 0"),
    ("empty-resources", {"client": {"base_url": "https://x"}, "resources": []}, "resources",
     "non-empty list"),
    ("resource-not-mapping", {"client": {"base_url": "https://x"}, "resources": [5]},
     "resources[0]", "a resource is a name or a mapping"),
    ("duplicate-names", {"client": {"base_url": "https://x"}, "resources": ["a", "a"]},
     "resources[a].name", "used twice"),
    ("defaults-unknown", {**spec(), "resource_defaults": {"primary_kee": "id"}},
     "resource_defaults.primary_kee", "did you mean 'primary_key'?"),
    # ---- auth
    ("auth-type-typo", spec(auth={"type": "beare", "token": "x"}), "client.auth.type",
     "unknown auth type 'beare' (did you mean 'bearer'?); known: api_key, bearer"),
    ("auth-no-type", spec(auth={"foo": 1}), "client.auth", "auth has no 'type'"),
    ("auth-key-typo", spec(auth={"type": "bearer", "tokn": "x"}), "client.auth.tokn",
     "unknown bearer auth key 'tokn' (did you mean 'token'?)"),
    ("auth-shorthand-typo", spec(auth="bearr"), "client.auth.type",
     "unknown auth type 'bearr' (did you mean 'bearer'?)"),
    ("auth-type-ref", spec(auth={"type": "${config.kind}", "token": "x"}), "client.auth.type",
     "must be written literally"),
    ("oauth2-no-refresh", spec(auth={"type": "oauth2", "client_id": "a", "client_secret": "b",
                                     "token_url": "https://x/t"}),
     "client.auth.refresh_token", "oauth2_client_credentials"),
    ("api-key-location", spec(auth={"type": "api_key", "api_key": "k", "location": "body"}),
     "client.auth.location", "'header', 'query' or 'cookie'"),
    ("auth-number", spec(auth=5), "client.auth", "auth is a type name or a mapping"),
    ("auth-session", spec(auth={"type": "oauth2_client_credentials", "session": {}}),
     "client.auth.session", "a custom requests session is not supported"),
    # ---- retry
    ("retry-unknown", spec(retry={"statuses": [429], "max_retry": 3}), "client.retry.max_retry",
     "did you mean 'max_retries'?"),
    ("retry-bad-status", spec(retry={"statuses": ["oops"]}), "client.retry.rules[0].statuses[0]",
     "transport"),
    ("retry-rules-type", spec(retry={"rules": 5}), "client.retry.rules", "must be a list"),
    # ---- paginators
    ("pag-type-typo", pag(type="cursr"), f"{PG}.type",
     "unknown paginator type 'cursr' (did you mean 'cursor'?); known: auto, cursor, "
     "header_cursor"),
    ("pag-offset-shorthand", spec({"endpoint": {"paginator": "offset"}}), f"{PG}.limit",
     "`paginator: offset` needs arguments"),
    ("pag-no-type", pag(limit=5), PG, "the paginator has no 'type'"),
    ("pag-key-typo", pag(type="offset", limit=10, offset_parm="skip"), f"{PG}.offset_parm",
     "did you mean 'offset_param'?"),
    ("offset-no-limit", pag(type="offset"), f"{PG}.limit", "the offset paginator needs limit"),
    ("offset-negative-limit", pag(type="offset", limit=0), f"{PG}.limit", "greater than 0"),
    ("offset-body-path", pag(type="offset", limit=5, offset_param="o", offset_body_path="a"),
     PG, "give either offset_param or offset_body_path, not both"),
    ("offset-never-stops", pag(type="offset", limit=5, total_path=None,
                               stop_after_empty_page=False), PG, "paging would never stop"),
    ("json-link-path-type", pag(type="json_link", next_url_path=5), f"{PG}.next_url_path",
     "valid string"),
    ("cursor-param-and-body", pag(type="cursor", cursor_param="p", cursor_body_path="b"), PG,
     "give either cursor_param or cursor_body_path, not both"),
    ("cursor-stop-tests-nothing", pag(type="cursor", stop_condition="page_records < 10"), PG,
     "add cursor_path (where the next cursor is"),
    ("cursor-both", pag(type="cursor", cursor_path="a", cursor_value="last_record.id"), PG,
     "either cursor_path or cursor_value"),
    ("cursor-value-form", pag(type="cursor", cursor_value="record.id"), f"{PG}.cursor_value",
     "last_record.<field>"),
    ("cursor-page-size-and-limit", pag(type="cursor", cursor_path="n", limit=5, page_size=5),
     f"{PG}.page_size", "either page_size or limit"),
    ("stop-ambiguous", pag(type="cursor", stop_condition="not response.a and not response.b"),
     PG, "tests several values"),
    ("stop-no-paths", pag(type="cursor", stop_condition="1 == 1"), PG,
     "cannot infer where the next cursor comes from"),
    ("stop-dunder", pag(type="cursor", cursor_path="n", stop_condition="response.__class__"),
     f"{PG}.stop_condition", "attribute '__class__' is not allowed"),
    ("stop-syntax", pag(type="cursor", cursor_path="n", stop_condition="not ("),
     f"{PG}.stop_condition", "not a valid expression"),
    ("stop-import", pag(type="single_page", stop_condition="__import__('os').system('x')"),
     f"{PG}.stop_condition", "call of '__import__' is not allowed"),
    ("stop-not-string", pag(type="single_page", stop_condition=True), f"{PG}.stop_condition",
     "must be an expression string"),
    ("paginator-list", pag() | spec({"endpoint": {"paginator": [1]}}), PG,
     "a paginator is a type name or a mapping"),
    # ---- endpoint / params / incremental
    ("endpoint-key-typo", spec({"endpoint": {"data_selecter": "x"}}), f"{EP}.data_selecter",
     "did you mean 'data_selector'?"),
    ("endpoint-auth", spec({"endpoint": {"auth": {"type": "bearr"}}}), f"{EP}.auth.type",
     "unknown auth type 'bearr'"),
    ("method-bad", spec({"endpoint": {"method": "PUT"}}), f"{EP}.method", "'GET' or 'POST'"),
    ("endpoint-number", spec({"endpoint": 5}), f"{RES}.endpoint",
     "endpoint must be a path string or a mapping"),
    ("param-type-typo", spec({"endpoint": {"params": {"id": {"type": "resolv"}}}}),
     f"{EP}.params.id.type", "unknown param type 'resolv' (did you mean 'resolve'?)"),
    ("resolve-no-field", spec({"endpoint": {"params": {"id": {"type": "resolve",
                                                               "resource": "x"}}}}),
     f"{EP}.params.id.field", "a resolve param needs 'field'"),
    ("param-dict-value", spec({"endpoint": {"params": {"q": {"a": 1}}}}), f"{EP}.params.q",
     "unknown param type"),
    ("two-incrementals", spec({"endpoint": {"incremental": {"cursor_path": "t"}, "params": {
        "since": {"type": "incremental", "cursor_path": "t"}}}}), f"{EP}.params.since",
     "only one incremental"),
    ("incremental-no-cursor", spec({"endpoint": {"incremental": {"initial_value": 1}}}),
     f"{EP}.incremental.cursor_path", "needs cursor_path"),
    ("incremental-convert", spec({"endpoint": {"incremental": {"cursor_path": "t",
                                                               "convert": "x"}}}),
     f"{EP}.incremental.convert", "convert is a Python callable"),
    ("incremental-row-order", spec({"endpoint": {"incremental": {"cursor_path": "t",
                                                                 "row_order": "up"}}}),
     f"{EP}.incremental.row_order", "'asc' or 'desc'"),
    ("incremental-sync-no-field", spec({"incremental_sync": {"start_datetime": "2024"}}),
     f"{RES}.incremental_sync.cursor_field", "needs cursor_field"),
    ("incremental-sync-format", spec({"incremental_sync": {
        "cursor_field": "t", "datetime_format": "DD/MM/YYYY"}}),
     f"{RES}.incremental_sync.datetime_format", "no strftime directive"),
    ("incremental-sync-lookback", spec({"incremental_sync": {
        "cursor_field": "t", "lookback_window": "P1M"}}),
     f"{RES}.incremental_sync.lookback_window", "years/months are not supported"),
    ("incremental-lookback", spec({"endpoint": {"incremental": {
        "cursor_path": "t", "lookback_window": "later"}}}),
     f"{EP}.incremental.lookback_window", "not a number of seconds"),
    ("rate-limit-two-forms", {"client": {"base_url": "https://x", "rate_limit": {
        "requests_per_second": 1, "requests_per_minute": 5}},
        "resources": [{"name": "drafts", "endpoint": {"path": "/d"}}]},
     "client.rate_limit", "exactly one of"),
    ("data-selector-number", spec({"endpoint": {"data_selector": 5}}), f"{EP}.data_selector",
     "must be a non-empty string"),
    ("response-action", spec({"endpoint": {"response_actions": [{"status_code": 404,
                                                                 "action": "skip"}]}}),
     f"{EP}.response_actions[0].action", "'ignore', 'retry' or 'fail'"),
    # ---- resource options
    ("write-disposition", spec({"write_disposition": "upsert"}), f"{RES}.write_disposition",
     "unknown write disposition 'upsert'"),
    ("merge-strategy", spec({"write_disposition": {"disposition": "merge", "strategy": "scd2"}}),
     f"{RES}.write_disposition.strategy", "not supported"),
    ("columns-bad-type", spec({"columns": {"id": {"data_type": "bigintt"}}}),
     f"{RES}.columns.id.data_type", "unknown data type 'bigintt'"),
    ("resource-key-typo", spec({"primary_keys": "id"}), f"{RES}.primary_keys",
     "did you mean 'primary_key'?"),
    ("selected-type", spec({"selected": "maybe"}), f"{RES}.selected", "valid boolean"),
    ("step-callable-string", spec({"processing_steps": [{"filter": 5}]}),
     f"{RES}.processing_steps[0].filter", "filter must be an expression string"),
    ("step-map-shape", spec({"processing_steps": [{"map": "x"}]}),
     f"{RES}.processing_steps[0].map", "map must be a mapping"),
    ("step-both", spec({"processing_steps": [{"filter": "True", "map": {"a": "1"}}]}),
     f"{RES}.processing_steps[0]", "exactly one of filter, map or yield_map"),
    ("step-bad-expr", spec({"processing_steps": [{"filter": "record.__dict__"}]}),
     f"{RES}.processing_steps[0].filter", "'__dict__' is not allowed"),
    ("step-unknown", spec({"processing_steps": [{"flat_map": "x"}]}),
     f"{RES}.processing_steps[0].flat_map", "unknown processing step key"),
    ("step-yield-map-data", spec({"processing_steps": [{"yield_map": "x"}]}),
     f"{RES}.processing_steps[0].yield_map", "yield_map is a Python callable"),
    ("ref-inside-text", spec(headers={"Authorization": "Bearer ${secrets.tok}"}),
     "client.headers.Authorization", "must be the whole value"),
    # ---- YAML text
    ("yaml-syntax", "client:\n  base_url: [x\n", "", "not valid YAML"),
    ("yaml-paginator", "client:\n  base_url: https://x\nresources:\n  - name: drafts\n"
                       "    endpoint:\n      path: /d\n      paginator: header_lnk\n",
     f"{PG}.type", "did you mean 'header_link'?"),
    ("yaml-auth", "client:\n  base_url: https://x\n  auth:\n    type: basic\n    user: a\n"
                  "resources: [drafts]\n", "client.auth.user",
     "unknown http_basic auth key 'user' (did you mean 'username'?)"),
    ("yaml-scalar", "just text", "", "a spec is a mapping"),
    # ---- document text
    ("doc-lambda", doc("{'name': 'drafts', 'processing_steps': [{'filter': lambda r: r}]}"),
     f"{RES}.processing_steps[0].filter", "a lambda is not evaluated"),
    ("doc-call", doc("{'name': 'drafts', 'endpoint': {'path': get_path()}}"), f"{EP}.path",
     "a function call (get_path(...))"),
    ("doc-dunder-import", doc("{'name': 'drafts', 'endpoint': __import__('os')}"),
     f"{RES}.endpoint", "a function call (__import__(...))"),
    ("doc-secret-default", doc("{'name': 'drafts', 'endpoint': {'path': '/d', 'params': "
                               "{'k': dlt.secrets.get('k', 'x')}}}"), f"{EP}.params.k",
     "exactly one name"),
    ("doc-unknown-key", doc("{'name': 'drafts', 'endpont': '/d'}"), f"{RES}.endpont",
     "did you mean 'endpoint'?"),
    ("doc-cursor-uninferable", doc("{'name': 'drafts', 'endpoint': {'path': '/d', 'paginator':"
                                   " {'type': 'cursor', 'cursor_param': 'p', 'stop_condition':"
                                   " 'page_records < 10'}}}"), PG,
     "cursor_value"),
    ("doc-dup-key", doc("{'name': 'drafts', 'name': 'x'}"), "resources[x].name", "appears twice"),
    ("doc-set-literal", doc("{'name': 'drafts', 'primary_key': {'id'}}"), f"{RES}.primary_key",
     "a set is not evaluated"),
]


def test_case_count() -> None:
    assert len(CASES) >= 45
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("source", "path", "fragment"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_invalid_spec(source: Any, path: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(source, values=VALUES)
    located = [(i.path, i.message) for i in info.value.issues]
    assert any(p == path and fragment in m for p, m in located), located
    assert "Traceback" not in str(info.value)


def test_all_problems_reported_at_once() -> None:
    bad = spec({"endpoint": {"method": "PUT", "paginator": {"type": "cursr"}},
                "write_disposition": "nope"}, auth={"type": "beare"}, timeout=-1)
    with pytest.raises(SpecError) as info:
        load_spec(bad, values=VALUES)
    paths = {i.path for i in info.value.issues}
    assert {"client.auth.type", "client.timeout", f"{EP}.method", f"{PG}.type",
            f"{RES}.write_disposition"} <= paths
