"""Record a run's HTTP exchanges into a cassette and replay them offline.

``restsync run SPEC --record DIR`` saves every exchange (token requests included) as it
happens; ``restsync run SPEC --replay DIR`` answers every request from the cassette and never
opens a connection. A committed cassette is a connector's regression test: CI replays it
without the API and without its secrets.

Both sit at the transport seam (:class:`~restsync.extract.http.Transport`):
:class:`RecordingTransport` is a :class:`~restsync.extract.tap.TapTransport` that writes
what it sees, :class:`ReplayTransport` answers from the file.

The file, ``DIR/<source>.cassette.jsonl`` (JSON Lines, one object per line):

* line 1: ``{"restsync_cassette": 1, "source": ..., "recorded_at": ...}``;
* then one line per exchange, in the order they ended::

    {"request": {"method": "GET", "url": "...", "headers": {...}, "body": "..." | null},
     "response": {"status": 200, "headers": [["Content-Type", "application/json"], ...],
                  "body": "...", "encoding": "utf-8" | "latin-1"} | null,
     "error": null | {"kind": "transport" | "too_large", "message": "..."},
     "seconds": 0.012}

**Secrets never reach the file.** Before a line is written, every known secret value is
replaced by a named placeholder, in every form it may take (as is, JSON-escaped, URL-encoded,
HTML character references, base64 of basic credentials: :func:`~restsync.extract.redact.
secret_pattern`): ``<secret:client.auth.client_secret>``. Known secrets are the spec's
secret values (named by their config path), the basic-auth forms of its credentials, and the
tokens the run obtains: every secret-named field (``access_token``, ``refresh_token``...) of
a token endpoint's JSON answer becomes ``<token:access_token:1>`` from the moment it arrives.
Besides, a credential header (``Authorization``, ``Cookie``, a secret-named header such as
``X-Api-Key``) or a secret-named query/form/JSON field whose value holds no placeholder is
replaced whole (``<redacted>``). Values shorter than 4 characters are not replaced (as in
error messages).

**Matching.** A request is answered by a recorded exchange with the same method, URL and body
after the same placeholder substitution, so a replay without the real secrets (the CLI fills
missing secrets with stand-ins) matches a recording made with them. Headers are not compared.
Equal requests are answered in recorded order; once their answers are used up, the last one
is repeated. A request the cassette has no answer for raises
:class:`~restsync.errors.CassetteMissError` naming it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from restsync.errors import CassetteMissError, ConfigError, RetriableError
from restsync.extract.cassette_secrets import Placeholders, secret_field, secret_names
from restsync.extract.http import Request, Response, Transport, body_too_large
from restsync.extract.http import make_headers as _make_headers
from restsync.extract.tap import Exchange, TapTransport
from restsync.spec.model import SourceConfig

__all__ = ["CASSETTE_VERSION", "RecordingTransport", "ReplayTransport", "cassette_path"]

CASSETTE_VERSION = 1
_NOT_SECRET_TOKEN_FIELDS = frozenset({"token_type"})
"""Secret-looking fields of a token answer that are not secrets (``"token_type": "Bearer"``)."""


def cassette_path(folder: str | Path, source: str) -> Path:
    """The cassette file of ``source`` in ``folder``."""
    return Path(folder) / f"{source}.cassette.jsonl"


def _token_urls(source: SourceConfig) -> set[str]:
    auths = [source.client.auth, *(r.endpoint.auth for r in source.resources)]
    return {str(u) for a in auths for u in (getattr(a, "token_url", None),
                                            getattr(a, "access_token_url", None)) if u}


def _body_text(body: bytes | bytearray) -> tuple[str, str]:
    try:
        return bytes(body).decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return bytes(body).decode("latin-1"), "latin-1"


# ---------------------------------------------------------------------------- recording


class RecordingTransport(TapTransport):
    """Sends through ``inner`` and appends every exchange to the cassette of ``source``.

    Args:
        inner: The transport that really sends.
        folder: Where the cassette goes (created; an older cassette of the source is replaced).
        source: The source (its name names the file; its secrets become placeholders).
        live_secrets: Secret values known to the client at a given moment (its auth flows'
            tokens), replaced too (as ``<token:auth:n>``) should a token come from elsewhere
            than a token endpoint's JSON answer.
    """

    def __init__(self, inner: Transport, folder: str | Path, source: SourceConfig, *,
                 live_secrets: Callable[[], Iterable[str]] | None = None) -> None:
        super().__init__(inner, self._record)
        self.path = cassette_path(folder, source.name)
        self.placeholders = Placeholders(secret_names(source))
        self.live_secrets = live_secrets
        self._token_urls = _token_urls(source)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[bytes] | None = self.path.open("wb")
        except OSError as exc:
            raise ConfigError(f"cannot write the cassette: {exc.strerror or exc}",
                              location=str(self.path),
                              hint="--record takes a folder (created if missing)") from None
        self._write({"restsync_cassette": CASSETTE_VERSION, "source": source.name,
                     "recorded_at": datetime.now(UTC).isoformat()})
        self.exchanges = 0

    def _write(self, line: Mapping[str, Any]) -> None:
        assert self._file is not None
        self._file.write(orjson.dumps(line) + b"\n")
        self._file.flush()

    def _record(self, x: Exchange) -> None:
        if self._file is None:
            return
        p = self.placeholders
        for value in self.live_secrets() if self.live_secrets is not None else ():
            p.learn_token("auth", value)
        url = x.request.full_url()
        response = x.response
        if response is not None and url.split("?")[0] in self._token_urls:
            self._learn_tokens(response)
        line: dict[str, Any] = {
            "request": {"method": x.request.method, "url": p.url(url),
                        "headers": dict(p.headers(x.request.headers.items())),
                        "body": p.request_body(x.request)},
            "response": None, "error": None, "seconds": round(x.seconds, 4)}
        if response is not None:
            text, encoding = _body_text(response.body)
            line["response"] = {"status": response.status,
                                "headers": p.headers(response.headers.items()),
                                "body": p.apply(text), "encoding": encoding}
        else:
            kind = "too_large" if "bytes allowed" in (x.error or "") else "transport"
            line["error"] = {"kind": kind, "message": p.apply(x.error or "")}
        self._write(line)
        self.exchanges += 1

    def _learn_tokens(self, response: Response) -> None:
        try:
            body = response.json()
        except ValueError:
            return
        if isinstance(body, Mapping):
            for key, value in body.items():
                if isinstance(value, str) and secret_field(str(key)) \
                        and str(key).lower() not in _NOT_SECRET_TOKEN_FIELDS:
                    self.placeholders.learn_token(str(key), value)

    async def finish(self, *, close_inner: bool = True) -> None:
        """Close the cassette file (and the inner transport with ``close_inner``)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if close_inner:
            await super().close()

    async def close(self) -> None:
        """Close the cassette file and the inner transport."""
        await self.finish()


# ---------------------------------------------------------------------------- replaying


class ReplayTransport:
    """Answers every request from the cassette of ``source`` in ``folder``; sends nothing.

    Args:
        folder: The cassette folder.
        source: The source (its name finds the file; its secrets, real or stand-ins, are
            replaced by the same placeholders as when recording, so requests match).

    Raises:
        ConfigError: No cassette of the source, or an unreadable one.
    """

    def __init__(self, folder: str | Path, source: SourceConfig) -> None:
        self.path = cassette_path(folder, source.name)
        self.placeholders = Placeholders(secret_names(source))
        self._token_urls = _token_urls(source)
        self._answers: dict[tuple[str, str, str | None], deque[dict[str, Any]]] = {}
        self._last: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        self.replayed = 0
        self._load()

    def _load(self) -> None:
        try:
            lines = self.path.read_bytes().splitlines()
        except OSError as exc:
            raise ConfigError(f"no cassette to replay: {exc.strerror or exc}",
                              location=str(self.path),
                              hint="record one first with --record") from None
        try:
            header = orjson.loads(lines[0]) if lines else {}
        except orjson.JSONDecodeError:
            header = {}
        if not isinstance(header, dict) or header.get("restsync_cassette") != CASSETTE_VERSION:
            raise ConfigError(f"not a restsync cassette (version {CASSETTE_VERSION})",
                              location=str(self.path))
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            try:
                exchange = orjson.loads(line)
                request = exchange["request"]
                key = (request["method"], request["url"], request.get("body"))
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"unreadable exchange: {exc}",
                                  location=f"{self.path}, line {number}") from None
            self._answers.setdefault(key, deque()).append(exchange)

    def _key(self, request: Request) -> tuple[str, str, str | None]:
        p = self.placeholders
        return request.method, p.url(request.full_url()), p.request_body(request)

    async def send(self, request: Request, *, max_bytes: int | None = None) -> Response:
        """The recorded answer to ``request``.

        Raises:
            CassetteMissError: The cassette has no answer to this request.
            RetriableError: The recorded exchange was a transport failure.
            LimitExceededError: The recorded body is longer than ``max_bytes``.
        """
        key = self._key(request)
        queue = self._answers.get(key)
        if queue:
            exchange = queue.popleft()
            self._last[key] = exchange
        elif key in self._last:
            exchange = self._last[key]
        else:
            raise CassetteMissError(
                f"the cassette has no answer to {key[0]} {key[1]}"
                + (f" with body {key[2][:200]}" if key[2] else ""),
                location=str(self.path),
                hint="the spec, its parameters or the stored state changed since it was "
                     "recorded: record again (--record), or replay into a fresh destination")
        self.replayed += 1
        error = exchange.get("error")
        if error:
            if error.get("kind") == "too_large" and max_bytes is not None:
                raise body_too_large(max_bytes)
            raise RetriableError(str(error.get("message", "transport error")), status=None)
        recorded = exchange["response"]
        body = str(recorded["body"]).encode(recorded.get("encoding", "utf-8"))
        if max_bytes is not None and len(body) > max_bytes:
            raise body_too_large(max_bytes)
        return Response(status=int(recorded["status"]),
                        headers=_make_headers([tuple(h) for h in recorded["headers"]]),
                        url=request.full_url(), body=body)

    async def close(self) -> None:
        """Nothing to close."""

