"""dlt's ``auto`` paginator: detect on the first response, then delegate."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from restsync.extract.detect import detect_paginator
from restsync.extract.http import Request, Response
from restsync.extract.paginator_base import PAGINATORS, Paginator, paginator_for
from restsync.spec import model

__all__ = ["AutoPaginator"]


@paginator_for(model.AutoPaginator)
class AutoPaginator(Paginator):
    """dlt's ``auto``: the first request goes out as written; its response decides the
    paginator (:func:`restsync.extract.detect.detect_paginator`), which then runs the rest.

    ``inference`` says what was detected (set after the first page).
    """

    config: model.AutoPaginator

    def __init__(self, config: model.AutoPaginator, **kwargs: Any):
        super().__init__(config, **kwargs)
        self._kwargs = kwargs
        self._delegate: Paginator | None = None
        self._detected: dict[str, Any] | None = None

    def _use(self, detected: BaseModel) -> None:
        data = detected.model_dump(exclude_none=True)
        if self.config.stop_condition:
            data["stop_condition"] = self.config.stop_condition
        self._detected = data
        model_type = type(detected)
        self._delegate = PAGINATORS[model_type](model_type.model_validate(data), **self._kwargs)

    def update_state(self, response: Response, records: list[dict[str, Any]], *,
                     location: str, page: int | None = None) -> None:
        if self._delegate is None:
            detected, self.inference = detect_paginator(response, records, location)
            self._use(detected)
        assert self._delegate is not None
        self._delegate.update_state(response, records, location=location, page=page)
        self.has_next_page = self._delegate.has_next_page
        self.decision = self._delegate.decision

    def _advance(self, response: Response, records: list[dict[str, Any]],
                 location: str) -> None:  # pragma: no cover - update_state delegates
        raise AssertionError("AutoPaginator delegates update_state")

    def update_request(self, request: Request) -> None:
        if self._delegate is not None:
            self._delegate.update_request(request)

    def resume_state(self) -> dict[str, Any]:
        if self._delegate is None:
            return {}
        return {"detected": self._detected, "state": self._delegate.resume_state()}

    def restore(self, state: dict[str, Any]) -> None:
        detected = state.get("detected")
        if isinstance(detected, dict):
            model_type = model.PAGINATORS.models.get(str(detected.get("type")))
            if model_type is not None:
                self._use(model_type.model_validate(detected))
                assert self._delegate is not None
                self._delegate.restore(dict(state.get("state") or {}))
