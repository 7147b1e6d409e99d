"""Keep secrets out of URLs and text that end up in events, errors and logs.

Every URL placed in an event or an error message goes through :func:`redact_url` (query
values of credential-like parameters masked, userinfo removed) and then
:func:`redact_text` (known secret values masked wherever they appear).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "is_secret_param", "redact_text", "redact_url"]

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


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in ``text`` (also URL-encoded forms) by ``***``.

    Values shorter than 4 characters are ignored (masking them would garble messages and they
    are not credentials anyway).
    """
    for form in _forms(tuple(secrets)):
        if form in text:
            text = text.replace(form, MASK)
    return text


@lru_cache(maxsize=64)
def _forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Every form of every secret worth masking, longest secrets first."""
    values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    forms: list[str] = []
    for value in values:
        forms.extend(dict.fromkeys((value, quote(value, safe=""), quote_plus(value))))
    return tuple(forms)
