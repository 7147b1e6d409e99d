"""Credentials go to the API's own host only: the headers of one request hop.

A hop to the API host (the client's ``base_url`` host) carries the client's secret headers
and the request's own; a hop anywhere else (a redirect, a next-page URL on another host)
carries none. When credentials would have been needed there and
``client.foreign_host_credentials`` is ``refuse`` (the default), the hop is refused instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from restsync.errors import CredentialLeakError
from restsync.extract.http import Request, host_key

__all__ = ["scoped_request"]


def scoped_request(request: Request, *, api_host: str, plain_headers: Mapping[str, str],
                   secret_headers: Mapping[str, str], has_auth: bool,
                   foreign_host_credentials: str,
                   where: Callable[[str], str]) -> tuple[Request, bool]:
    """A copy of ``request`` with the headers its host may receive, and whether that host is
    the API's.

    Args:
        request: The hop to send.
        api_host: The API's host key (:func:`~restsync.extract.http.host_key`).
        plain_headers: The client's headers that hold no secret.
        secret_headers: The client's headers that hold secrets.
        has_auth: Whether an auth flow would sign this request.
        foreign_host_credentials: ``refuse`` or ``strip`` (the client setting).
        where: Builds the error's location from the hop's full URL (redacted by the caller).

    Raises:
        CredentialLeakError: The hop goes to another host, would need credentials, and the
            setting is ``refuse``.
    """
    prepared = request.copy()
    same_host = host_key(prepared.url) == api_host
    if same_host:
        prepared.headers = {**plain_headers, **secret_headers, **request.headers,
                            **request.secret_headers}
        return prepared, True
    prepared.headers = {**plain_headers, **request.headers}
    has_credentials = has_auth or bool(secret_headers) or bool(request.secret_headers)
    if has_credentials and foreign_host_credentials == "refuse":
        raise CredentialLeakError(
            f"next request goes to {host_key(prepared.url)}, not the API host {api_host}; "
            "credentials are not sent there",
            location=where(prepared.full_url()),
            hint="set client.foreign_host_credentials to 'strip' to send it without credentials")
    return prepared, False
