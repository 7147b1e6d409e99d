"""dlt's range paginators: offset/limit and page number (totals, ``has_more_path``, body
paths), with a guard against a server that ignores the parameter."""

from __future__ import annotations

import hashlib
from typing import Any

from restsync.errors import PaginationError
from restsync.extract.http import Request, Response
from restsync.extract.paginator_base import Paginator, has_more, paginator_for, set_body_value
from restsync.extract.selectors import compile_path
from restsync.spec import model

__all__ = ["OffsetPaginator", "PageNumberPaginator"]


class _Counting(Paginator):
    """Offset/page-number (dlt's range paginators), with a guard against a server that
    ignores our parameter (the same body twice)."""

    def __init__(self, config: Any, **kwargs: Any):
        super().__init__(config, **kwargs)
        total_path = getattr(config, "total_path", None)
        self._read_total = (compile_path(total_path, f"{self.where}.total_path")
                            if total_path else None)
        more = getattr(config, "has_more_path", None)
        self._read_more = compile_path(more, f"{self.where}.has_more_path") if more else None
        self._last_body: bytes | None = None
        self.total_missing = False
        """``total_path`` is set but a response had no value there (dlt fails; restsync pages on)."""

    def _same_body_guard(self, response: Response, location: str, param: str) -> None:
        digest = hashlib.blake2b(response.body, digest_size=16).digest()
        if digest == self._last_body:
            raise PaginationError(
                "the API returned the same page twice; it probably ignores "
                f"`{param}`", location=location, hint=f"check {self.where}")
        self._last_body = digest

    def _total(self, response: Response, location: str) -> int | None:
        if self._read_total is None:
            return None
        try:
            value = self._read_total(response.json())
        except ValueError:
            value = None
        if value is None:
            self.total_missing = True
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise PaginationError(f"total_path gave {value!r}, expected a number",
                                  location=location) from None

    def init_request(self, request: Request) -> None:
        self.update_request(request)

    def _stop_at_maximum_or_no_more(self, value: int, maximum: int | None, response: Response,
                                    location: str) -> None:
        """dlt's last checks: the maximum reached, or ``has_more_path`` false."""
        if maximum is not None and value >= maximum:
            self._stop_paging(f"{value} reached the maximum {maximum}")
        path = getattr(self.config, "has_more_path", None)
        if self.has_next_page and self._read_more is not None and path is not None \
                and not has_more(self._read_more, path, response, location):
            self._stop_paging(f"has_more_path `{path}` is false")

    @staticmethod
    def _put(request: Request, param: str, body_path: str | None, value: Any) -> None:
        if body_path:
            set_body_value(request, body_path, value)
        else:
            request.params[param] = value


@paginator_for(model.OffsetPaginator)
class OffsetPaginator(_Counting):
    """Offset/limit paging (dlt's rules; without a total in the responses, a short page is
    the last one when ``total_path`` is asked for)."""

    config: model.OffsetPaginator

    def __init__(self, config: model.OffsetPaginator, **kwargs: Any):
        super().__init__(config, **kwargs)
        self.offset = config.offset

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        c = self.config
        self._same_body_guard(response, location, c.offset_param)
        total = self._total(response, location)
        self.offset += c.limit
        self._going_on(f"offset {self.offset} sent as `{c.offset_body_path or c.offset_param}`, "
                       f"limit {c.limit}"
                       + (f" (total {total} from `{c.total_path}`)" if total is not None else ""))
        if total is not None:
            if self.offset >= total:
                self._stop_paging(f"offset {self.offset} reached the total {total} from "
                                  f"`{c.total_path}`")
        elif self.total_missing and len(records) < c.limit:
            self._stop_paging(f"{len(records)} records, fewer than the limit {c.limit}, and no "
                              f"total at `{c.total_path}`")
        self._stop_at_maximum_or_no_more(self.offset, c.maximum_offset, response, location)

    def update_request(self, request: Request) -> None:
        c = self.config
        self._put(request, c.offset_param, c.offset_body_path, self.offset)
        self._put(request, c.limit_param, c.limit_body_path, c.limit)

    def resume_state(self) -> dict[str, Any]:
        return {"offset": self.offset}

    def restore(self, state: dict[str, Any]) -> None:
        self.offset = int(state.get("offset", self.offset))


@paginator_for(model.PageNumberPaginator)
class PageNumberPaginator(_Counting):
    """Page-number paging; ``total_path`` gives the number of pages."""

    config: model.PageNumberPaginator

    def __init__(self, config: model.PageNumberPaginator, **kwargs: Any):
        super().__init__(config, **kwargs)
        self.page = config.page if config.page is not None else config.base_page

    def _advance(self, response: Response, records: list[dict[str, Any]], location: str) -> None:
        c = self.config
        self._same_body_guard(response, location, c.page_param)
        total = self._total(response, location)
        self.page += 1
        self._going_on(f"page {self.page} sent as `{c.page_body_path or c.page_param}`"
                       + (f" ({total} pages from `{c.total_path}`)" if total is not None else ""))
        if total is not None and self.page - c.base_page >= total:
            self._stop_paging(f"page {self.page - 1} was the last of the {total} pages from "
                              f"`{c.total_path}`")
        if total is None and c.page_size is not None and len(records) < c.page_size:
            self._stop_paging(f"{len(records)} records, fewer than the page size {c.page_size}")
        self._stop_at_maximum_or_no_more(self.page, c.maximum_page, response, location)

    def resume_state(self) -> dict[str, Any]:
        return {"page": self.page}

    def restore(self, state: dict[str, Any]) -> None:
        self.page = int(state.get("page", self.page))

    def update_request(self, request: Request) -> None:
        c = self.config
        self._put(request, c.page_param, c.page_body_path, self.page)
        if c.page_size is not None:
            request.params[c.page_size_param] = c.page_size
