"""Judging responses: JSON bodies, fatal statuses, ``response_actions`` matching.

Every error raised here is typed (see :mod:`restsync.errors`) and carries the caller's
location (resource, page number, redacted URL); body excerpts are redacted by the caller's
``redact`` function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from restsync.errors import HTTPStatusError, ResponseError
from restsync.extract.http import Response
from restsync.extract.retry import status_reason
from restsync.spec.model import ResponseAction

__all__ = ["HookResponse", "action_matches", "parse_json_body", "run_response_hooks",
           "status_error"]

#: Media types that are never JSON: refused before parsing.
_NOT_JSON_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/csv",
                   "application/octet-stream", "application/pdf", "application/zip")
_NOT_JSON_PREFIXES = ("image/", "audio/", "video/", "font/", "multipart/")


def _is_not_json_type(ctype: str) -> bool:
    if ctype.endswith("+json") or "json" in ctype:
        return False
    return ctype.startswith(_NOT_JSON_TYPES) or ctype.startswith(_NOT_JSON_PREFIXES) \
        or ctype.endswith("+xml")


def parse_json_body(response: Response, location: str, redact: Callable[[str], str]) -> Any:
    """The parsed JSON body of a successful response.

    A JSON body is accepted whatever the content type says when it parses (many APIs send
    ``text/plain``); media types that are never JSON (HTML, XML, CSV, binary) are refused.

    Raises:
        ResponseError: An HTML page (e.g. a login or maintenance page with status 200), a
            non-JSON media type, an empty body, or invalid JSON (also a truncated body).
    """
    excerpt = redact(response.text_excerpt(200))
    ctype = response.content_type
    head = response.body.lstrip()[:1]
    if "html" in ctype or (head == b"<" and not ctype.endswith("json")):
        raise ResponseError(f"expected JSON, got {ctype or 'HTML'} (status "
                            f"{response.status}): {excerpt}", location=location,
                            hint="an HTML page with a success status is usually a login, "
                                 "maintenance or proxy error page")
    if _is_not_json_type(ctype):
        raise ResponseError(f"expected JSON, got content type {ctype} (status "
                            f"{response.status}): {excerpt}", location=location)
    if not response.body.strip():
        raise ResponseError(f"empty body with status {response.status}", location=location)
    try:
        return response.json()
    except ValueError:
        kind = f"content type {ctype}" if ctype else "no content type"
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > len(response.body):
            raise ResponseError(f"truncated body: {len(response.body)} of {declared} bytes "
                                f"({kind})", location=location) from None
        raise ResponseError(f"body is not valid JSON ({kind}): {excerpt}",
                            location=location) from None


def status_error(response: Response, location: str, redact: Callable[[str], str],
                 why: str = "") -> HTTPStatusError:
    """The typed error of a status the policy does not retry (or gave up on)."""
    excerpt = redact(response.text_excerpt(200))
    message = f"{status_reason(response.status)}"
    if why:
        message += f" ({why})"
    if excerpt:
        message += f": {excerpt}"
    hint = None
    if response.status in (401, 403):
        hint = "check the credentials and their permissions"
    elif response.status == 404:
        hint = "check the path and its placeholder values"
    elif response.status == 400:
        hint = "check the query parameters and body the spec sends"
    return HTTPStatusError(message, status=response.status, location=location, hint=hint)


class HookResponse:
    """What a ``response_actions`` callable receives: the response in the shape of
    ``requests.Response`` that dlt hooks expect (``status_code``, ``headers``, ``url``,
    ``text``, ``content``, ``json()``); setting ``content`` (or dlt's ``_content``) replaces
    the body the records are read from."""

    def __init__(self, response: Response) -> None:
        self._response = response
        self._content = response.body
        self.status_code = response.status
        self.headers = dict(response.headers.items())
        self.url = response.url
        self.encoding = "utf-8"

    @property
    def content(self) -> bytes:
        return self._content

    @content.setter
    def content(self, value: bytes) -> None:
        self._content = value

    @property
    def text(self) -> str:
        return self._content.decode(self.encoding or "utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    def json(self) -> Any:
        return orjson.loads(self._content)

    def result(self) -> Response:
        """The response with the body a hook may have replaced."""
        if self._content is self._response.body:
            return self._response
        return Response(status=self._response.status, headers=self._response.headers,
                        url=self._response.url, body=bytes(self._content))


def run_response_hooks(actions: list[ResponseAction], response: Response,
                       location: Callable[[], str]) -> Response | None:
    """Call the callables of the matching ``response_actions`` entries, in order (an entry
    without status_code/content matches every response). ``None``: a hook raised dlt's
    ``IgnoreResponseException`` (skip the response, as dlt does).

    Raises:
        ResponseError: A hook raised anything else.
    """
    for action in actions:
        if not isinstance(action.action, list):
            continue
        always = action.status_code is None and action.content is None
        if not always and not _matches(action, response):
            continue
        shaped = HookResponse(response)
        for hook in action.action:
            try:
                hook(shaped)
            except Exception as exc:
                if type(exc).__name__ == "IgnoreResponseException":
                    return None
                raise ResponseError(f"response action {hook.name} raised "
                                    f"{type(exc).__name__}: {exc}", location=location()) from exc
        response = shaped.result()
    return response


def action_matches(action: ResponseAction, response: Response) -> bool:
    """Whether a ``response_actions`` entry with an ``ignore``/``retry``/``fail`` action applies
    to ``response`` (status and/or content)."""
    if isinstance(action.action, list):
        return False
    return _matches(action, response)


def _matches(action: ResponseAction, response: Response) -> bool:
    if action.status_code is None and action.content is None:
        return False
    if action.status_code is not None and action.status_code != response.status:
        return False
    if action.content is not None:
        return action.content in response.body.decode("utf-8", errors="replace")
    return True
