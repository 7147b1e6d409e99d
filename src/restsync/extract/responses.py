"""Judging responses: JSON bodies, fatal statuses, ``response_actions`` matching.

Every error raised here is typed (see :mod:`restsync.errors`) and carries the caller's
location (resource, page number, redacted URL); body excerpts are redacted by the caller's
``redact`` function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from restsync.errors import HTTPStatusError, LimitExceededError, ResponseError
from restsync.extract.http import Response
from restsync.extract.retry import RetryAgain, status_reason
from restsync.spec.limits import PARSER_MAX_DEPTH, Limits
from restsync.spec.model import ResponseAction

__all__ = ["HookResponse", "action_matches", "judge_response", "located_limit_error",
           "parse_json_body", "run_response_hooks", "status_error", "too_deep_to_parse"]

#: Media types that are never JSON: refused before parsing.
_NOT_JSON_TYPES = ("text/html", "application/xhtml", "text/xml", "application/xml", "text/csv",
                   "application/octet-stream", "application/pdf", "application/zip")
_NOT_JSON_PREFIXES = ("image/", "audio/", "video/", "font/", "multipart/")
_NON_SPACE = re.compile(rb"\S")


def _is_not_json_type(ctype: str) -> bool:
    if ctype.endswith("+json") or "json" in ctype:
        return False
    return ctype.startswith(_NOT_JSON_TYPES) or ctype.startswith(_NOT_JSON_PREFIXES) \
        or ctype.endswith("+xml")


def parse_json_body(response: Response, location: str, redact: Callable[[str], str],
                    nesting_setting: str = "") -> Any:
    """The parsed JSON body of a successful response.

    A JSON body is accepted whatever the content type says when it parses (many APIs send
    ``text/plain``); media types that are never JSON (HTML, XML, CSV, binary) are refused.

    Args:
        response: The response.
        location: Where it came from (resource, page, URL), for errors.
        redact: Masks secrets in body excerpts.
        nesting_setting: The ``max_nesting_depth`` setting in force, named when a body nests
            deeper than the parser reads.

    Raises:
        ResponseError: An HTML page (e.g. a login or maintenance page with status 200), a
            non-JSON media type, an empty body, or invalid JSON (also a truncated body).
        LimitExceededError: The body nests deeper than the parser reads
            (:data:`~restsync.spec.limits.PARSER_MAX_DEPTH` levels).
    """
    def excerpt() -> str:  # for errors only: redacting every body costs time
        return redact(response.text_excerpt(200))
    ctype = response.content_type
    first = _NON_SPACE.search(response.body)  # no stripped copy of a large body
    head = first.group(0) if first is not None else b""
    if "html" in ctype or (head == b"<" and not ctype.endswith("json")):
        raise ResponseError(f"expected JSON, got {ctype or 'HTML'} (status "
                            f"{response.status}): {excerpt()}", location=location,
                            hint="an HTML page with a success status is usually a login, "
                                 "maintenance or proxy error page")
    if _is_not_json_type(ctype):
        raise ResponseError(f"expected JSON, got content type {ctype} (status "
                            f"{response.status}): {excerpt()}", location=location)
    if first is None:
        raise ResponseError(f"empty body with status {response.status}", location=location)
    try:
        return response.json()
    except ValueError as exc:
        if "depth limit" in str(exc):  # orjson reads at most PARSER_MAX_DEPTH levels
            raise too_deep_to_parse(location, nesting_setting) from None
        kind = f"content type {ctype}" if ctype else "no content type"
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > len(response.body):
            raise ResponseError(f"truncated body: {len(response.body)} of {declared} bytes "
                                f"({kind})", location=location) from None
        raise ResponseError(f"body is not valid JSON ({kind}): {excerpt()}",
                            location=location) from None


def too_deep_to_parse(location: str, nesting_setting: str) -> LimitExceededError:
    """The error of a body nested deeper than the JSON parser reads."""
    also = (f"; {nesting_setting} decides where shallower bodies are cut into JSON columns"
            if nesting_setting else "")
    return LimitExceededError(
        f"body nests objects/lists more than {PARSER_MAX_DEPTH:,} levels deep: deeper than "
        f"restsync's JSON parser reads (a fixed limit{also}); not a syntax error, but it "
        "cannot be loaded", setting=f"parser depth={PARSER_MAX_DEPTH}", location=location,
        hint="ask the API for a shallower form of this data, or leave the resource out")


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
        self._content: bytes | bytearray = response.body
        self.status_code = response.status
        self.headers = dict(response.headers.items())
        self.url = response.url
        self.encoding = "utf-8"

    @property
    def content(self) -> bytes | bytearray:
        return self._content

    @content.setter
    def content(self, value: bytes | bytearray) -> None:
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
        return action.content.encode() in response.body  # no decoded copy of a large body
    return True


def judge_response(response: Response, actions: list[ResponseAction], *,
                   where: Callable[[], str], redact: Callable[[str], str],
                   retriable: Callable[[int], bool]
                   ) -> Response | RetryAgain[Response | None] | None:
    """What one answer of a page request means: the response to use, ``None`` (a response
    action says "ignore"), or a :class:`~restsync.extract.retry.RetryAgain` for the retry
    loop (a retriable status, or a response action saying "retry").

    Args:
        response: The answer.
        actions: The endpoint's ``response_actions`` (the first matching one applies).
        where: The request's location, for errors (built only when needed).
        redact: Masks secrets in body excerpts.
        retriable: Whether the retry policy has a rule for a status.

    Raises:
        HTTPStatusError: A status nothing retries, or a response action saying "fail".
    """
    if actions:
        hooked = run_response_hooks(actions, response, where)
        if hooked is None:  # a hook said: ignore this response
            return None
        response = hooked
    action = next((a.action for a in actions if action_matches(a, response)), None)
    if action == "ignore":
        return None
    if action == "fail":
        raise status_error(response, where(), redact, "a response action says fail")
    if action != "retry":
        if 200 <= response.status < 300:
            return response
        if not retriable(response.status):
            raise status_error(response, where(), redact)

    def give_up(why: str) -> Response | None:
        raise status_error(response, where(), redact, why)
    return RetryAgain(response.status, status_reason(response.status), give_up,
                      retry_after=response.headers.get("Retry-After"), forced=action == "retry")


def located_limit_error(exc: LimitExceededError, limits: Limits, location: str
                        ) -> LimitExceededError:
    """``exc`` (from the transport) with its location and its full setting
    (``client.limits.max_response_bytes=268435456``)."""
    setting = limits.setting(exc.setting) if exc.setting in dict(limits.paths) else exc.setting
    return LimitExceededError(f"{exc.message} ({setting})", setting=setting, location=location,
                              hint=exc.hint or f"raise {setting.split('=')[0]} if such "
                                               "responses are expected")
