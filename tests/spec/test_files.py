"""YAML / JSON / TOML specs in dlt's native dialect, and the reference syntax."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restsync.errors import SpecError
from restsync.spec import ConfigRef, SecretRef, ValueResolver, load_spec, read_raw
from restsync.spec.model import CursorPaginator, HeaderLinkPaginator, ResolveParam

NATIVE = {
    "client": {
        "base_url": "https://api.example.com/v1/",
        "auth": {"type": "bearer", "token": "${secrets.api_token}"},
        "paginator": "header_link",
    },
    "resource_defaults": {
        "primary_key": "id",
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "endpoint": {"params": {"per_page": 100}},
    },
    "resources": [
        "users",
        {
            "name": "issues",
            "endpoint": {
                "path": "repos/{repo}/issues",
                "params": {
                    "repo": {"type": "resolve", "resource": "repos", "field": "name"},
                    "since": {"type": "incremental", "cursor_path": "updated_at",
                              "initial_value": "${config.start}"},
                },
                "paginator": {"type": "cursor", "cursor_path": "meta.next",
                              "cursor_param": "after"},
            },
        },
        {"name": "repos", "endpoint": "repos", "selected": False},
    ],
}

YAML_TEXT = """
client:
  base_url: https://api.example.com/v1/
  auth:
    type: bearer
    token: ${secrets.api_token}
  paginator: header_link
resource_defaults:
  primary_key: id
  write_disposition:
    disposition: merge
    strategy: delete-insert
  endpoint:
    params:
      per_page: 100
resources:
  - users
  - name: issues
    endpoint:
      path: repos/{repo}/issues
      params:
        repo: {type: resolve, resource: repos, field: name}
        since: {type: incremental, cursor_path: updated_at, initial_value: "${config.start}"}
      paginator: {type: cursor, cursor_path: meta.next, cursor_param: after}
  - name: repos
    endpoint: repos
    selected: false
"""

TOML_TEXT = """
[client]
base_url = "https://api.example.com/v1/"
paginator = "header_link"
[client.auth]
type = "bearer"
token = "${secrets.api_token}"

[resource_defaults]
primary_key = "id"
write_disposition = { disposition = "merge", strategy = "delete-insert" }
endpoint = { params = { per_page = 100 } }

[[resources]]
name = "users"

[[resources]]
name = "issues"
[resources.endpoint]
path = "repos/{repo}/issues"
paginator = { type = "cursor", cursor_path = "meta.next", cursor_param = "after" }
[resources.endpoint.params]
repo = { type = "resolve", resource = "repos", field = "name" }
since = { type = "incremental", cursor_path = "updated_at", initial_value = "${config.start}" }

[[resources]]
name = "repos"
endpoint = "repos"
selected = false
"""

VALUES = ValueResolver.from_values(secrets={"api_token": "tok-1"},
                                   config={"start": "2024-05-01T00:00:00Z"})


def _check_native(config) -> None:
    assert config.client.auth.token.get_secret_value() == "tok-1"
    assert isinstance(config.client.paginator, HeaderLinkPaginator)
    users = config.resource("users")
    assert users.endpoint.path == "users"
    assert users.endpoint.params == {"per_page": 100}
    assert users.write_disposition == "merge" and users.primary_key == "id"
    issues = config.resource("issues")
    assert issues.endpoint.params["repo"] == ResolveParam(resource="repos", field="name")
    assert issues.endpoint.params["per_page"] == 100  # merged from resource_defaults
    assert "since" not in issues.endpoint.params
    inc = issues.endpoint.incremental
    assert inc is not None
    assert (inc.cursor_path, inc.start_param, inc.initial_value) == (
        "updated_at", "since", "2024-05-01T00:00:00Z")
    pag = issues.endpoint.paginator
    assert isinstance(pag, CursorPaginator) and pag.cursor_param == "after"
    assert config.resource("repos").selected is False


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json", ".toml"])
def test_native_dialect_files(tmp_path: Path, suffix: str) -> None:
    text = {".yaml": YAML_TEXT, ".yml": YAML_TEXT, ".json": json.dumps(NATIVE),
            ".toml": TOML_TEXT}[suffix]
    path = tmp_path / f"My-API{suffix}"
    path.write_text(text)
    config = load_spec(path, values=VALUES)
    assert config.name == "my_api"
    _check_native(config)


def test_native_dict_and_texts() -> None:
    _check_native(load_spec(NATIVE, values=VALUES))
    _check_native(load_spec(YAML_TEXT, values=VALUES))
    _check_native(load_spec(json.dumps(NATIVE, indent=2), values=VALUES))
    _check_native(load_spec(TOML_TEXT, values=VALUES))


def test_dict_is_not_mutated() -> None:
    before = json.dumps(NATIVE, sort_keys=True)
    load_spec(NATIVE, values=VALUES, overrides=["resources.users.endpoint.path=people"])
    assert json.dumps(NATIVE, sort_keys=True) == before


def test_reference_syntax_and_escape() -> None:
    raw = read_raw({"a": "${secrets.x}", "b": "${ config.y }", "c": "$${secrets.x}",
                    "d": "plain ${HOME}", "e": ["${secrets.sources.email.key}"]})
    assert raw.data == {"a": SecretRef("x"), "b": ConfigRef("y"), "c": "${secrets.x}",
                        "d": "plain ${HOME}", "e": [SecretRef("sources.email.key")]}
    bad = read_raw({"h": "Bearer ${secrets.token}"})
    assert "must be the whole value" in bad.issues.to_issues(None)[0].message


def test_yaml_dates_stay_strings_and_lines_are_known() -> None:
    text = "client:\n  base_url: https://x\nresources:\n  - name: a\n    endpoint:\n" \
           "      path: /a\n      incremental:\n        cursor_path: t\n" \
           "        initial_value: 2024-01-01\n      paginator:\n        type: nope\n"
    with pytest.raises(SpecError) as info:
        load_spec(text, values=VALUES)
    issue = info.value.issues[0]
    assert issue.path == "resources[a].endpoint.paginator.type"
    assert issue.source_line == 11
    raw = read_raw(text)
    assert raw.data["resources"][0]["endpoint"]["incremental"]["initial_value"] == "2024-01-01"


def test_python_dict_with_ref_helpers_and_callable() -> None:
    from restsync.spec import config_value, secret

    spec = {"client": {"base_url": "https://x", "auth": {"type": "bearer", "token": secret("t")}},
            "resources": [{"name": "a", "endpoint": {"path": "/a", "params": {
                "since": config_value("since")}}}]}
    values = ValueResolver.from_values(secrets={"t": "v"}, config={"since": 5})
    config = load_spec(spec, values=values)
    assert config.resource("a").endpoint.params["since"] == 5
    spec["resources"][0]["processing_steps"] = [{"map": len}]  # Python API: a dlt callable
    assert load_spec(spec, values=values).resource("a").processing_steps[0].map is not None
    spec["resources"][0]["endpoint"]["params"]["since"] = len  # but not where dlt has none
    with pytest.raises(SpecError, match=r"params\.since: a callable \(len\) is accepted only"):
        load_spec(spec, values=values)
    with pytest.raises(ValueError, match="invalid secret name"):
        secret("not a name")


def test_file_not_found_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="spec file not found") as missing:
        load_spec(tmp_path / "nope.yaml")
    assert len(missing.value.issues) == 1  # not also "client: required field is missing"
    bad = tmp_path / "bad.json"
    bad.write_text('{"client": {\n  "base_url": }\n}')
    with pytest.raises(SpecError) as info:
        load_spec(bad)
    assert info.value.issues[0].source_line == 2
    assert len(info.value.issues) == 1
    assert info.value.source == str(bad)
