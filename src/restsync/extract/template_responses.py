"""Responses of a templated endpoint as Airbyte's manifests see them: ``headers`` (any case,
``link`` parsed) and the error rules (``HttpResponseFilter`` s) judging each response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from restsync.extract.http import Response
from restsync.extract.template_records import truthy
from restsync.spec.model import ResponseAction
from restsync.spec.templated import ErrorRule

__all__ = ["error_actions", "headers_dict", "paging_headers"]


class _Headers(dict[str, Any]):
    """Response headers looked up without regard to case (as ``requests`` does)."""

    def __getitem__(self, name: str) -> Any:
        return super().__getitem__(name.lower() if isinstance(name, str) else name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower() if isinstance(name, str) else name, default)


def headers_dict(response: Response) -> dict[str, Any]:
    """``headers`` as Airbyte's templates see them: the response headers (any case; repeated
    ones joined), plus ``link``: the ``Link`` header as ``{rel: {"url": ..., "rel": ...}}``."""
    out: dict[str, Any] = _Headers()
    for name in response.headers:
        if name.lower() not in out:
            dict.__setitem__(out, name.lower(), ", ".join(response.headers.getall(name)))
    dict.__setitem__(out, "link", {rel: {"url": url, "rel": rel}
                                   for rel, url in response.links.items()})
    return out


def paging_headers(response: Response) -> dict[str, Any]:
    """``headers`` as a ``CursorPagination`` template sees them in the CDK: a plain dict of
    the response's headers named as the server sent them (``headers['x-next']`` does not
    find ``X-Next``; repeated ones joined), plus ``link`` as in :func:`headers_dict`."""
    out: dict[str, Any] = {}
    for name in response.headers:
        if name not in out:
            out[name] = ", ".join(response.headers.getall(name))
    out["link"] = {rel: {"url": url, "rel": rel} for rel, url in response.links.items()}
    return out


def error_actions(rules: tuple[ErrorRule, ...], variables: Mapping[str, Any]
                  ) -> Callable[[Response], list[ResponseAction]]:
    """A function giving, for one response, the response action of the first rule matching.

    As the CDK: ``SUCCESS`` and ``IGNORE`` both accept the response without an error. An
    error status (400 and up) so accepted yields no records and ends that partition's (or
    window's) paging quietly; a status below 400 is read as any other page (its records,
    its next page). ``FAIL`` fails the stream, ``RETRY`` and ``RATE_LIMITED`` retry.
    """
    def actions(response: Response) -> list[ResponseAction]:
        for rule in rules:
            if not _matches(rule, response, variables):
                continue
            if rule.action in ("success", "ignore"):
                if response.status < 400:
                    return []
                return [ResponseAction(status_code=response.status, action="ignore")]
            action = "fail" if rule.action == "fail" else "retry"
            return [ResponseAction(status_code=response.status,
                                   action=action)]  # type: ignore[arg-type]
        return []
    return actions


def _matches(rule: ErrorRule, response: Response, variables: Mapping[str, Any]) -> bool:
    if response.status in rule.statuses:
        return True
    if rule.predicate is not None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        scope = {**variables, "response": body, "headers": headers_dict(response)}
        try:
            if truthy(rule.predicate.render(scope)):
                return True
        except ValueError:
            pass
    if rule.message_contains is not None:
        return rule.message_contains.encode() in response.body
    return False
