"""The connector config: read, references resolved, validated against the manifest's
``spec.connection_specification`` with located errors, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from restsync.errors import SpecError
from restsync.spec.airbyte import compile_manifest, generate_config, load_manifest
from restsync.spec.values import ValueResolver

SPEC: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "start_date"],
    "properties": {
        "api_key": {"type": "string", "airbyte_secret": True,
                    "pattern": "^key-[a-z]+$"},
        "start_date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                       "examples": ["2024-01-31"]},
        "region": {"type": "string", "enum": ["us", "eu"], "default": "us"},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 500},
        "accounts": {"type": "array", "items": {"type": "object", "required": ["id"],
                                                "properties": {"id": {"type": "integer"}}}},
    },
}


def manifest(spec: dict[str, Any] = SPEC) -> dict[str, Any]:
    return {
        "version": "6.44.0", "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["items"]},
        "streams": [{
            "type": "DeclarativeStream", "name": "items",
            "retriever": {
                "type": "SimpleRetriever",
                "requester": {"type": "HttpRequester", "url_base": "https://api.example.com",
                              "path": "/items",
                              "authenticator": {"type": "ApiKeyAuthenticator",
                                                "api_token": "{{ config['api_key'] }}",
                                                "header": "X-Key"}},
                "record_selector": {"type": "RecordSelector",
                                    "extractor": {"type": "DpathExtractor", "field_path": []}},
            },
        }],
        "spec": {"type": "Spec", "connection_specification": spec},
    }


GOOD = {"api_key": "key-secretvalue", "start_date": "2024-01-31"}


def problems(config: Any, **kwargs: Any) -> list[tuple[str, str]]:
    _, _, found = compile_manifest(manifest(), config=config, **kwargs)
    return [(p.path, p.message) for p in found]


@pytest.mark.parametrize(("config", "where", "text"), [
    ({"start_date": "2024-01-31"}, "config.api_key", "'api_key' is a required property"),
    ({"api_key": "key-a"}, "config.start_date", "'start_date' is a required property"),
    ({**GOOD, "start_date": "31/01/2024"}, "config.start_date", "does not match"),
    ({**GOOD, "region": "mars"}, "config.region", "is not one of"),
    ({**GOOD, "page_size": 0}, "config.page_size", "less than the minimum of 1"),
    ({**GOOD, "page_size": "ten"}, "config.page_size", "is not of type 'integer'"),
    ({**GOOD, "accounts": [{"id": 1}, {}]}, "config.accounts[1].id", "is a required property"),
    ({**GOOD, "accounts": [{"id": "x"}]}, "config.accounts[0].id", "is not of type"),
])
def test_invalid_config_is_a_located_error(config: dict[str, Any], where: str, text: str) -> None:
    found = problems(config)
    assert [w for w, _ in found] == [where], found
    assert text in found[0][1]


def test_secret_value_never_in_the_error() -> None:
    found = problems({**GOOD, "api_key": "not-a-valid-secret-XYZ"})
    assert found == [("config.api_key", "the value does not match (pattern)")]
    with pytest.raises(SpecError) as caught:
        load_manifest(manifest(), config={**GOOD, "api_key": "not-a-valid-secret-XYZ"})
    assert "not-a-valid-secret-XYZ" not in str(caught.value)


def test_every_problem_is_reported_before_any_request() -> None:
    found = problems({"page_size": 900, "region": "mars"})
    assert sorted(w for w, _ in found) == ["config.api_key", "config.page_size",
                                           "config.region", "config.start_date"]


def test_secrets_references_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": "${secrets.vendor_key}",
                                  "start_date": "${config.since}"}))
    values = ValueResolver.from_values(secrets={"vendor_key": "key-fromstore"},
                                       config={"since": "2024-02-01"})
    source = load_manifest(manifest(), config=config, values=values)
    [resource] = source.resources
    assert resource.endpoint.templated is not None
    assert resource.endpoint.templated.config["api_key"] == "key-fromstore"
    assert resource.endpoint.templated.config["start_date"] == "2024-02-01"
    # the secret is masked everywhere: registered with the client, absent from reprs
    assert "key-fromstore" in [s.get_secret_value() for s in source.client.extra_secrets]
    assert "key-fromstore" not in repr(source)
    env = ValueResolver(environ={"SOURCES__AIRBYTE__VENDOR_KEY": "key-fromenv",
                                 "SINCE": "2024-03-01"}, use_files=False)
    from_env = load_manifest(manifest(), config=config, values=env)
    templated = from_env.resources[0].endpoint.templated
    assert templated is not None
    assert (templated.config["api_key"], templated.config["start_date"]) == \
        ("key-fromenv", "2024-03-01")


def test_missing_secret_reference_is_located() -> None:
    found = problems({**GOOD, "api_key": "${secrets.nowhere}"},
                     values=ValueResolver.from_values())
    assert len(found) == 1
    assert found[0][0] == "config.api_key"
    assert "secret `nowhere` not found" in found[0][1]


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "is not valid JSON (line 1)"),
    ("[1, 2]", "must hold a JSON object"),
])
def test_unreadable_config_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    found = problems(path)
    assert [w for w, _ in found] == ["--config"]
    assert message in found[0][1]


def test_generated_config_passes_its_own_spec() -> None:
    config = generate_config(SPEC)
    assert config["start_date"] == "2024-01-31"  # examples first
    assert config["region"] == "us"  # then defaults
    assert problems({**config, "api_key": "key-generated"}) == []


def test_spec_that_is_not_a_json_schema() -> None:
    _, _, found = compile_manifest(manifest({"type": "object", "required": "api_key"}),
                                   config=GOOD)
    assert [p.path for p in found] == ["spec.connection_specification"]
