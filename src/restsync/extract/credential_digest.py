"""The credential half of a request's pacing key: a keyed digest, never the credential.

With ``client.token_limits``, requests are paced per ``(host, credential)`` as well as per
host. The credential of a request is what the run put on it to say who is asking:

* the auth flow that signs it: its :meth:`~restsync.extract.auth.AuthFlow.pacing_identity`
  (its configured secret; an OAuth flow keeps it across token renewals);
* the request's own credential headers, before the flow signs it: the secret headers
  (client and endpoint) and headers named like credentials (:data:`CREDENTIAL_HEADERS`,
  plus ``token_limits.credential_headers``), e.g. ``Authorization: Bearer {token}`` rendered
  from a fan-out value or a manifest's ``request_headers`` from ``stream_partition``.

A request with none of these has no credential key: only its host's limits apply.

The key is ``HMAC-SHA256(run key, material)``, 32 hex digits, with a random run key: the
driver of a scaled-out run makes one and hands it to its workers, so every worker keys a
credential alike, and nothing that holds a digest (the permit service, a worker's pacer)
can match it to a secret without the run key, which is never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

from restsync.extract.auth import AuthFlow

__all__ = ["CREDENTIAL_HEADERS", "CredentialDigest", "new_run_key"]

CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key",
                                "api-key", "apikey", "x-auth-token", "x-access-token"})
"""Header names (lower case) whose values are taken as the request's credential."""

DIGEST_HEX = 32
"""Hex digits of a digest (128 bits)."""


def new_run_key() -> bytes:
    """A fresh random key for one run's digests."""
    return secrets.token_bytes(32)


class CredentialDigest:
    """Keyed digests of the credentials requests carry (one per client, one key per run).

    Args:
        key: The run's key (default: a new random one).
        headers: More header names (any case) that carry credentials.
        secret_headers: Names of the client's secret headers.
    """

    def __init__(self, key: bytes | None = None, *, headers: Iterable[str] = (),
                 secret_headers: Iterable[str] = ()) -> None:
        self._key = key if key is not None else new_run_key()
        self._names = CREDENTIAL_HEADERS | {h.lower() for h in (*headers, *secret_headers)}

    def __repr__(self) -> str:  # the key stays out of reprs
        return "CredentialDigest(...)"

    def digest(self, parts: Iterable[str]) -> str | None:
        """The digest of ``parts`` (in order), ``None`` when they are all empty."""
        kept = [p for p in parts if p]
        if not kept:
            return None
        material = "\x00".join(kept).encode()
        return hmac.new(self._key, material, hashlib.sha256).hexdigest()[:DIGEST_HEX]

    def of_request(self, headers: Mapping[str, str], secret_headers: Mapping[str, str],
                   flow: AuthFlow | None) -> str | None:
        """The credential key of a request about to be signed by ``flow`` (``None``: sent
        without auth), from its headers (``secret_headers``: the endpoint's secret ones)."""
        parts = [flow.pacing_identity()] if flow is not None else []
        parts.extend(f"{name.lower()}:{value}" for name, value in sorted(headers.items())
                     if name.lower() in self._names or name in secret_headers)
        return self.digest(parts)
