"""Keep secrets out of URLs and text that end up in events, errors and logs.

Every URL placed in an event or an error message goes through :func:`redact_url` (query
values of credential-like parameters masked, userinfo removed) and then
:func:`redact_text` (known secret values masked wherever they appear, in any of the forms a
server may echo them in: see :func:`secret_pattern`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "Redactor", "basic_auth_forms", "basic_credential_forms", "is_secret_param",
           "redact_text", "redact_url", "secret_pattern"]

MASK = "***"

#: Parameter names whose values are always masked (compared lower-case, ``-`` as ``_``).
SECRET_PARAM_NAMES = frozenset({
    "access_token", "api_key", "apikey", "key", "token", "password", "passwd", "pwd",
    "secret", "client_secret", "signature", "sig", "refresh_token", "id_token", "auth",
    "authorization", "code", "session", "sessionid", "session_id", "private_key",
    "x_amz_signature", "x_amz_credential", "x_amz_security_token", "credential", "hash",
})
#: Name parts that mark a parameter as secret (``my_api_key``, ``authToken``...).
_SECRET_PARTS = ("token", "secret", "password", "signature", "apikey", "api_key", "credential")
#: Names that contain a secret part but are paging cursors, not credentials.
_CURSOR_PARTS = ("page", "next", "cursor", "continuation", "sync", "offset")


def is_secret_param(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether the value of query parameter ``name`` must be masked.

    Args:
        name: Parameter name as sent.
        extra: Further names that are secret for this client (an api_key query param).
    """
    return _is_secret(_canonical(name), {_canonical(e) for e in extra})


def _canonical(name: str) -> str:
    return name.lower().replace("-", "_")


def _is_secret(lowered: str, extra: set[str]) -> bool:
    return lowered in extra or _secret_by_name(lowered)


@lru_cache(maxsize=1024)
def _secret_by_name(lowered: str) -> bool:
    if lowered in SECRET_PARAM_NAMES:
        return True
    if any(part in lowered for part in _CURSOR_PARTS):
        return False
    return any(part in lowered for part in _SECRET_PARTS)


def redact_url(url: str, secret_params: Iterable[str] = ()) -> str:
    """Mask credential-like query values and userinfo in ``url``.

    Args:
        url: Any URL (absolute or not).
        secret_params: Query parameter names that are secret for this client, in addition to
            the built-in list (``access_token``, ``key``, ``password``, ``signature``...).

    Returns:
        The URL with ``user:password@`` replaced by ``***@`` and secret values by ``***``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        extra = {_canonical(e) for e in secret_params}
        pairs = parse_qsl(query, keep_blank_values=True)
        secret = [_is_secret(_canonical(name), extra) for name, _ in pairs]
        if any(secret):
            masked = [(n, MASK if hidden else v)
                      for (n, v), hidden in zip(pairs, secret, strict=True)]
            query = urlencode(masked, quote_via=quote, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")


class Redactor:
    """Redacts text for one client: URLs in it (:func:`redact_url`), then known secret values
    (:func:`redact_text`), remembering recent answers while the secrets stay the same.

    A fan-out redacts the same text several times per request (the URL sent, the URL
    answered, the paginator's decision): the repeats are a dictionary look-up. Text with no
    URL query, no userinfo and no secret to look for is returned as it is.

    Args:
        memory: Most texts remembered (all are forgotten when it is full).
    """

    def __init__(self, memory: int = 1024):
        self._memory = memory
        self._memo: dict[str, str] = {}
        self._key: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    def __call__(self, text: str, secrets: Iterable[str], secret_params: Iterable[str]) -> str:
        """``text`` with secret query values, userinfo and ``secrets`` masked."""
        key = (tuple(secrets), tuple(secret_params))
        if key != self._key:
            self._memo.clear()
            self._key = key
        found = self._memo.get(text)
        if found is not None:
            return found
        if not key[0] and "?" not in text and "@" not in text:
            found = text  # nothing it could hold: no query, no userinfo, no known secret
        else:
            found = redact_text(_URL_IN_TEXT.sub(lambda m: redact_url(m.group(0), key[1]),
                                                 text), key[0])
        if len(self._memo) >= self._memory:
            self._memo.clear()
        self._memo[text] = found
        return found


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in ``text`` by ``***``, in any form it is echoed in.

    Each character of a secret may appear as itself, JSON-escaped (``\\/``, ``\\u002f``,
    also doubly escaped: ``\\\\/``), URL-encoded (``%2F``, ``+`` for a space) or as an HTML
    character reference (``&#47;``, ``&#x2f;``), in any mix. Values shorter than 4 characters
    are ignored (masking them would garble messages and they are not credentials anyway).
    """
    pattern = _pattern(tuple(secrets))
    return text if pattern is None else pattern.sub(MASK, text)


def secret_pattern(secret: str) -> str:
    """A regular expression matching ``secret`` in every form :func:`redact_text` masks."""
    return "".join(_char_pattern(c) for c in secret)


_HTML_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


@lru_cache(maxsize=512)
def _char_pattern(c: str) -> str:
    code = ord(c)
    forms = [re.escape(c)]
    if code < 0x10000:
        forms.append(r"\\+u" + _hex_any_case(f"{code:04x}"))
    else:  # JSON writes a character beyond the BMP as a surrogate pair
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append(r"\\+u" + _hex_any_case(f"{high:04x}") + r"\\+u"
                     + _hex_any_case(f"{low:04x}"))
    if c in '/"\\':
        forms.append(r"\\+" + re.escape(c))  # \/ (PHP), \" and \\ (any JSON)
    encoded = c.encode()
    if quote(c, safe="") != c:
        forms.append("".join("%" + _hex_any_case(f"{b:02x}") for b in encoded))
    if c == " ":
        forms.append(r"\+")
    forms.append(f"&#0*{code};")
    forms.append("&#[xX]0*" + _hex_any_case(f"{code:x}") + ";")
    if c in _HTML_NAMED:
        forms.append(re.escape(_HTML_NAMED[c]))
    return f"(?:{'|'.join(forms)})"


def _hex_any_case(digits: str) -> str:
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


@lru_cache(maxsize=64)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for every secret worth masking, longest secrets first."""
    values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not values:
        return None
    return re.compile("|".join(secret_pattern(v) for v in values))


def basic_credential_forms(username: str, password: str) -> list[str]:
    """The forms ``user:password`` takes in a basic ``Authorization`` header: base64 with and
    without padding, and its URL-safe variant (all secrets once the auth is basic)."""
    raw = f"{username}:{password}".encode()
    forms = [base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")]
    return list(dict.fromkeys([*forms, *(f.rstrip("=") for f in forms)]))


def basic_auth_forms(auth: Any) -> list[str]:
    """The base64 secrets of an auth config that sends basic credentials: the API's basic
    auth (``username``/``password``), or an OAuth client authenticating at the token URL with
    ``client_auth: basic``; none for other auths."""
    if auth is None:
        return []
    password = getattr(auth, "password", None)
    if password is not None and hasattr(password, "get_secret_value"):
        return basic_credential_forms(str(auth.username), password.get_secret_value())
    if getattr(auth, "client_auth", None) == "basic":
        return basic_credential_forms(auth.client_id.get_secret_value(),
                                      auth.client_secret.get_secret_value())
    return []
