"""Shared helpers of the extract tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from restsync.events import Event
from restsync.extract.http import Request, Response, json_response
from restsync.spec.model import ClientConfig, EndpointConfig

BASE = "https://api.test/v1"


def client_config(**overrides: Any) -> ClientConfig:
    data: dict[str, Any] = {"base_url": BASE}
    data.update(overrides)
    return ClientConfig.model_validate(data)


def endpoint(**fields: Any) -> EndpointConfig:
    return EndpointConfig.model_validate(fields)


class EventLog(list[Event]):
    """An EventSink that keeps events."""

    def __call__(self, event: Event) -> None:
        self.append(event)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self if isinstance(e, kind)]


@pytest.fixture
def events() -> EventLog:
    return EventLog()


def reply(body: Any, status: int = 200, **headers: str) -> Response:
    return json_response(body, status=status, headers=headers)


Handler = Callable[[Request], Response]
