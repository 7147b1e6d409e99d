"""Finding secrets in anything a run writes (cassettes, run records, reports), in every
encoding a leak could take."""

from __future__ import annotations

import base64
import re
from typing import Any

from restsync.extract.redact import basic_credential_forms, secret_pattern


def used_secrets(server: Any) -> set[str]:
    """Every secret the run handled: the sandbox's secrets, the tokens it issued (seen in the
    requests it received) and the basic credentials."""
    found = {v for v in server.secrets.values() if v}
    for request in server.requests:
        for name, value in request.headers.items():
            if name.lower() == "authorization":
                scheme, _, credential = value.partition(" ")
                found.add(credential)
                if scheme.lower() == "basic":
                    found.add(base64.b64decode(credential).decode().partition(":")[2])
        for value in (request.form or {}).values():
            if value in server.secrets.values():
                found.add(value)
    for username in ("api",):
        for secret in list(found):
            found.update(basic_credential_forms(username, secret))
    return {s for s in found if len(s) >= 4}


def secret_found(text: str, secret: str) -> bool:
    """The secret in the text in any form: as is, JSON-escaped, URL-encoded, HTML references,
    base64 (standard and URL-safe, with and without padding)."""
    forms = [secret, base64.b64encode(secret.encode()).decode(),
             base64.urlsafe_b64encode(secret.encode()).decode()]
    return any(re.search(secret_pattern(f.rstrip("=")), text) for f in forms)
