"""Keep secrets out of URLs and text that end up in events, errors and logs.

Every URL placed in an event or an error message goes through :func:`redact_url` (query
values of credential-like parameters masked, userinfo removed) and then
:func:`redact_text` (known secret values masked wherever they appear).
"""

from __future__ import annotations

from collections.abc import Iterable
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
    lowered = name.lower().replace("-", "_")
    if lowered in {e.lower().replace("-", "_") for e in extra}:
        return True
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
        extra = list(secret_params)
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_param(name, extra) for name, _ in pairs):
            masked = [(n, MASK if is_secret_param(n, extra) else v) for n, v in pairs]
            query = urlencode(masked, quote_via=quote, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value in ``text`` (also URL-encoded forms) by ``***``.

    Values shorter than 4 characters are ignored (masking them would garble messages and they
    are not credentials anyway).
    """
    values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    for value in values:
        for form in {value, quote(value, safe=""), quote_plus(value)}:
            if form in text:
                text = text.replace(form, MASK)
    return text
