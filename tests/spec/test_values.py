"""Secret/config lookup: environment, .restsync/ and .dlt/ toml files, sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from restsync.errors import ConfigError, MissingValuesError
from restsync.spec import ValueResolver, load_spec
from restsync.spec.values import MISSING


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_environment_names(tmp_path: Path) -> None:
    env = {"CLIENT_ID": "plain", "SOURCES__EMAIL__TOKEN": "sectioned",
           "SOURCES__REST_API__KEY": "generic", "SOURCES__X__Y": "dotted"}
    resolver = ValueResolver(cwd=tmp_path, environ=env)
    assert resolver.lookup("secret", "client_id") == "plain"
    assert resolver.lookup("secret", "token", source_name="email") == "sectioned"
    assert resolver.lookup("secret", "token", source_name="other") is MISSING
    assert resolver.lookup("secret", "key", source_name="email") == "generic"
    assert resolver.lookup("config", "sources.x.y") == "dotted"


def test_env_wins_over_files_and_specific_section_wins(tmp_path: Path) -> None:
    _write(tmp_path / ".restsync" / "secrets.toml",
           'client_id = "top"\n[sources]\nclient_id = "sources"\n'
           '[sources.email]\nclient_id = "email"\n')
    _write(tmp_path / ".dlt" / "secrets.toml", 'other = "from-dlt"\n')
    resolver = ValueResolver(cwd=tmp_path, environ={})
    assert resolver.lookup("secret", "client_id", source_name="email") == "email"
    assert resolver.lookup("secret", "client_id", source_name="calendar") == "sources"
    assert resolver.lookup("secret", "other") == "from-dlt"
    env_first = ValueResolver(cwd=tmp_path, environ={"CLIENT_ID": "env"})
    assert env_first.lookup("secret", "client_id", source_name="email") == "env"


def test_config_keeps_type_and_secrets_not_read_from_config(tmp_path: Path) -> None:
    _write(tmp_path / ".dlt" / "config.toml",
           '[sources.rest_api]\npage_size = 50\nstart = 2024-01-01T00:00:00Z\n'
           'password = "in-config"\n')
    resolver = ValueResolver(cwd=tmp_path, environ={})
    assert resolver.lookup("config", "page_size") == 50
    assert resolver.lookup("config", "start").year == 2024
    assert resolver.lookup("secret", "password") is MISSING


def test_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    _write(tmp_path / ".dlt" / "secrets.toml", "x = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        ValueResolver(cwd=tmp_path, environ={}).lookup("secret", "x")


def test_all_missing_listed_before_any_request(tmp_path: Path) -> None:
    spec = {"client": {"base_url": "https://x", "auth": {
        "type": "oauth2", "client_id": "${secrets.cid}", "client_secret": "${secrets.cs}",
        "refresh_token": "${secrets.rt}", "token_url": "https://x/token"}},
        "resources": [{"name": "a", "endpoint": {"path": "/a", "params": {
            "since": "${config.since}"}}}]}
    resolver = ValueResolver(cwd=tmp_path, environ={"CID": "1"})
    with pytest.raises(MissingValuesError) as info:
        load_spec(spec, values=resolver, name="email")
    err = info.value
    assert [(m.kind, m.name, m.path) for m in err.missing] == [
        ("secret", "cs", "client.auth.client_secret"),
        ("secret", "rt", "client.auth.refresh_token"),
        ("config", "since", "resources[a].endpoint.params.since"),
    ]
    assert any("SOURCES__EMAIL__<NAME>" in place for place in err.searched)
    assert any(place.endswith(".dlt/secrets.toml") for place in err.searched)


def test_secret_from_env_is_secretstr_and_never_printed(tmp_path: Path) -> None:
    spec = {"client": {"base_url": "https://x", "headers": {"X-Key": "${secrets.k}"},
                       "auth": {"type": "http_basic", "username": "${secrets.user}",
                                "password": "${secrets.pw}"}},
            "resources": [{"name": "a", "endpoint": {"path": "/a", "params": {
                "key": "${secrets.k}"}}}]}
    env = {"K": "hdr-secret-1", "USER": "bob", "PW": "pw-secret-2"}
    config = load_spec(spec, values=ValueResolver(cwd=tmp_path, environ=env))
    assert config.client.headers["X-Key"].get_secret_value() == "hdr-secret-1"  # type: ignore[union-attr]
    assert config.client.auth.password.get_secret_value() == "pw-secret-2"  # type: ignore[union-attr]
    assert config.client.auth.username == "bob"  # type: ignore[union-attr]
    # a secret used as a query parameter becomes the plain string the request needs
    assert config.resource("a").endpoint.params["key"] == "hdr-secret-1"
    assert "pw-secret-2" not in repr(config.client) + config.client.model_dump_json()
