"""Secrets in cassettes: every known secret value becomes a named placeholder.

Known secrets are the spec's secret values (named by their config path), the basic-auth forms
of its credentials, and tokens a run obtains (added as they arrive). See
:mod:`restsync.extract.cassette` for the file and where placeholders are used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from pydantic import BaseModel, SecretStr

from restsync.extract.http import Request, encode_form
from restsync.extract.redact import basic_auth_forms, is_secret_param, secret_pattern
from restsync.spec.model import SourceConfig

MIN_SECRET_LENGTH = 4
REDACTED = "<redacted>"
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_PLACEHOLDER = re.compile(r"<(?:secret|token):[^<>]*>|<redacted>")


def _secret_values(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(path, value)`` of every secret in a spec model (pydantic models, dicts, lists)."""
    if isinstance(value, SecretStr):
        yield path, value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_values(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _secret_values(item, f"{path}[{i}]")


def secret_names(source: SourceConfig) -> list[tuple[str, str]]:
    """``(name, value)`` of every secret a source sends: its secret values by config path,
    and the base64 forms of its basic credentials."""
    out = list(_secret_values(source.client, "client"))
    auths: list[tuple[str, Any]] = [("client.auth", source.client.auth)]
    for r in source.resources:
        out += _secret_values(r.endpoint, f"resources[{r.name}].endpoint")
        auths.append((f"resources[{r.name}].endpoint.auth", r.endpoint.auth))
    for where, auth in auths:
        out += [(f"{where}:basic", form) for form in basic_auth_forms(auth)]
    return out


class Placeholders:
    """Known secret values and the placeholder each one is written as.

    Args:
        named: ``(name, value)`` pairs: ``value`` is written ``<secret:name>``.
    """

    def __init__(self, named: Iterable[tuple[str, str]] = ()) -> None:
        self._by_value: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._groups: list[str] = []
        self._tokens = 0
        for name, value in named:
            self.add(value, f"<secret:{name}>")

    def add(self, value: str, placeholder: str) -> None:
        """Write ``value`` as ``placeholder`` from now on (a value already known keeps its
        first placeholder)."""
        if len(value) < MIN_SECRET_LENGTH or value in self._by_value or _PLACEHOLDER.fullmatch(value):
            return
        self._by_value[value] = placeholder
        self._pattern = None

    def learn_token(self, field: str, value: str) -> None:
        """A token obtained during the run: written ``<token:<field>:<n>>``."""
        if value not in self._by_value:
            self._tokens += 1
            self.add(value, f"<token:{field}:{self._tokens}>")

    def known(self, value: str) -> bool:
        """Whether ``value`` is a known secret."""
        return value in self._by_value

    def apply(self, text: str) -> str:
        """``text`` with every known secret replaced by its placeholder, in any form."""
        if not self._by_value:
            return text
        if self._pattern is None:
            values = sorted(self._by_value, key=len, reverse=True)
            self._pattern = re.compile("|".join(f"({secret_pattern(v)})" for v in values))
            self._groups = values
        pattern = self._pattern
        return pattern.sub(lambda m: self._by_value[self._groups[m.lastindex - 1]]
                           if m.lastindex else REDACTED, text)

    # -- one exchange ---------------------------------------------------------------------

    def url(self, url: str) -> str:
        """A URL with secrets, userinfo and secret-named query values replaced."""
        url = self.apply(url)
        url = re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@]*@", rf"\1{REDACTED}@", url)
        head, sep, query = url.partition("?")
        if not sep:
            return url
        query, hash_sep, fragment = query.partition("#")
        pairs = [p.split("=", 1) if "=" in p else [p] for p in query.split("&")]
        masked = []
        for pair in pairs:
            if len(pair) == 2 and secret_field(pair[0]) and not _PLACEHOLDER.search(pair[1]):
                pair = [pair[0], REDACTED]
            masked.append("=".join(pair))
        return f"{head}?{'&'.join(masked)}{hash_sep}{fragment}"

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Headers with secrets replaced; credential headers without a placeholder replaced whole."""
        out = []
        for name, value in headers:
            value = self.apply(value)
            lowered = name.lower()
            credential = lowered in _CREDENTIAL_HEADERS or secret_field(lowered)
            if credential and not _PLACEHOLDER.search(value):
                scheme, space, _ = value.partition(" ")
                value = f"{scheme} {REDACTED}" if space and lowered.endswith("authorization") \
                    else REDACTED
            out.append((name, value))
        return out

    def request_body(self, request: Request) -> str | None:
        """The request's body as text (JSON or form), secrets replaced."""
        if request.json is not None:
            return self.apply(orjson.dumps(_masked_json(request.json, self)).decode())
        if request.data is None:
            return None
        data = request.data
        if isinstance(data, Mapping):
            data = {k: (REDACTED if secret_field(str(k)) and isinstance(v, str)
                        and not self.known(v) and len(v) >= MIN_SECRET_LENGTH else v)
                    for k, v in data.items()}
        body, _ = encode_form(data)
        return self.apply(body.decode("utf-8", errors="replace"))


def secret_field(name: str) -> bool:
    """True for a field name that holds a secret (``client_secret``, ``api-key``)."""
    return is_secret_param(name.replace("-", "_"))


def _masked_json(value: Any, known: Placeholders) -> Any:
    """A JSON body with unknown string values of secret-named keys replaced."""
    if isinstance(value, Mapping):
        return {k: (REDACTED if secret_field(str(k)) and isinstance(v, str)
                    and not known.known(v) and len(v) >= MIN_SECRET_LENGTH
                    else _masked_json(v, known)) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v, known) for v in value]
    return value
