"""Each paginator / auth type is registered once: its model in the spec union, its runtime
class by decorator. The names every other place uses are derived from those registrations."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from restsync.errors import ConfigError, SpecError
from restsync.extract.auth import AUTH_FLOWS, AuthContext, build_auth
from restsync.extract.paginators import PAGINATORS, build_paginator
from restsync.spec import load_spec
from restsync.spec.base import SpecModel
from restsync.spec.model import AUTHS
from restsync.spec.model import PAGINATORS as PAGINATOR_MODELS


def test_every_paginator_model_has_a_runtime_class() -> None:
    assert set(PAGINATORS) == set(PAGINATOR_MODELS.models.values())
    for name, model_type in PAGINATOR_MODELS.models.items():
        assert model_type.type_name() == name


def test_every_auth_model_has_a_flow() -> None:
    assert set(AUTH_FLOWS) == set(AUTHS.models.values())


def test_aliases_come_from_the_models() -> None:
    assert PAGINATOR_MODELS.canonical("json_response") == "json_link"
    assert AUTHS.canonical("basic") == "http_basic"
    assert AUTHS.canonical("oauth2_refresh_token") == "oauth2"
    assert AUTHS.canonical("nope") is None


@pytest.mark.parametrize("section", ["paginator", "auth"])
def test_unknown_type_message_lists_the_registered_names(section: str) -> None:
    registry = PAGINATOR_MODELS if section == "paginator" else AUTHS
    spec = {"client": {"base_url": "http://127.0.0.1:1", section: {"type": "nope"}},
            "resources": ["items"]}
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    message = str(info.value)
    assert f"client.{section}.type" in message
    for name in registry.names:
        assert name in message


class _Unregistered(SpecModel):
    token: SecretStr


def test_unregistered_auth_model_is_a_config_error_not_a_key_error() -> None:
    with pytest.raises(ConfigError, match="no auth flow for _Unregistered"):
        build_auth(_Unregistered(token=SecretStr("x")), AuthContext(send_token_request=None))  # type: ignore[arg-type]


def test_unregistered_paginator_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no paginator for _Unregistered"):
        build_paginator(_Unregistered(token=SecretStr("x")))
