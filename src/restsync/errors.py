"""The one exception tree of restsync.

Exceptions are grouped by what the caller does about them::

    RestsyncError
    ├── ConfigError                  fix the spec / secrets / CLI options, nothing was sent
    │   ├── SpecError                one or more located problems in a spec (``issues``)
    │   └── MissingValuesError       secrets / config values not found anywhere
    ├── FatalError                   stop this resource; other resources go on
    │   ├── HTTPStatusError          a status the policy says is fatal (400, 403, ...)
    │   ├── AuthError                token endpoint refused us, or 401 after one refresh
    │   ├── ResponseError            body is not what the spec says (bad JSON, selector miss)
    │   ├── PaginationError          paginator loop (same cursor/URL twice), bad cursor
    │   ├── CredentialLeakError      a URL would send credentials to a foreign host
    │   ├── TransportError           resets/timeouts/DNS failures outlasted the retry policy
    │   ├── LimitExceededError       a bound of ``limits`` was reached (``setting`` names it)
    │   ├── StoppedEarlyError        stop cleanly: commit what was fetched, resume later
    │   │   ├── WaitTooLongError     a retry wait exceeds --max-wait / ``limits.max_retry_wait``
    │   │   └── PageLimitError       a page sequence reached ``limits.max_pages``
    │   ├── DestinationError         the destination refused a load
    │   ├── CassetteMissError        --replay: the cassette has no answer to a request
    │   └── SchemaContractError      a record breaks a ``freeze`` schema contract
    ├── RetriableError               transient: 429, 5xx, resets, timeouts (``retry_after``)
    └── SkippableError               skip one parent item (e.g. child 404), count it, go on

Every error carries a ``location``: a human-readable place (config path, resource, page,
redacted URL) so messages are actionable. Messages never contain secret values: callers pass
URLs through :func:`restsync.extract.redact.redact_url` (or equivalent) before building them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class RestsyncError(Exception):
    """Base of every error restsync raises on purpose.

    Args:
        message: What went wrong, in one sentence.
        location: Where: a config path (``resources[2].endpoint.paginator``), or
            ``resource 'drafts', page 3, GET https://host/v1/drafts?pageToken=...``.
        hint: What the user can do about it (optional).
    """

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by state, not by constructor arguments (subclasses take keyword-only ones),
        so an error raised on a Ray worker reaches the driver as itself."""
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


def _rebuild_error(cls: type[RestsyncError], args: tuple[Any, ...],
                   state: dict[str, Any]) -> RestsyncError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigError(RestsyncError):
    """The spec, a secret or an option is wrong; fix it and run again. Nothing was sent."""


@dataclass(frozen=True)
class SpecIssue:
    """One located problem in a spec.

    Attributes:
        path: Config path in the user's own terms, e.g. ``resources[drafts].endpoint.paginator.type``.
        message: What is wrong there.
        source_line: Line in the source document/file when known (1-based).
    """

    path: str
    message: str
    source_line: int | None = None

    def __str__(self) -> str:
        where = self.path or "<spec>"
        if self.source_line is not None:
            where += f" (line {self.source_line})"
        return f"{where}: {self.message}"


class SpecError(ConfigError):
    """A spec has one or more located problems.

    Args:
        issues: Every problem found (validation reports all at once, not the first only).
        source: The spec's file name, when loaded from a file.
    """

    def __init__(self, issues: list[SpecIssue], *, source: str | None = None):
        self.issues = list(issues)
        self.source = source
        lines = "\n".join(f"  - {i}" for i in self.issues)
        head = f"invalid spec{f' {source}' if source else ''}: {len(self.issues)} problem(s)"
        super().__init__(f"{head}\n{lines}")

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class MissingValue:
    """A secret or config value that no provider had.

    Attributes:
        kind: ``"secret"`` or ``"config"``.
        name: The name asked for (``client_id``).
        path: Where the spec asks for it (``client.auth.client_id``).
    """

    kind: str
    name: str
    path: str


class MissingValuesError(ConfigError):
    """Secrets / config values that were not found; lists each and where it may be put."""

    def __init__(self, missing: list[MissingValue], *, searched: list[str]):
        self.missing = list(missing)
        self.searched = list(searched)
        lines = "\n".join(
            f"  - {m.kind} '{m.name}' (asked for at {m.path}): set env "
            f"{m.name.upper().replace('.', '__')}"
            for m in self.missing
        )
        where = "; ".join(self.searched)
        super().__init__(
            f"{len(self.missing)} value(s) missing before any request was sent:\n{lines}\n"
            f"  looked in: {where}"
        )

    def __str__(self) -> str:
        return self.message


class FatalError(RestsyncError):
    """This resource cannot go on; its staged data is discarded, other resources continue."""


class HTTPStatusError(FatalError):
    """The API answered with a status the policy treats as fatal.

    Args:
        status: The HTTP status code.
    """

    def __init__(self, message: str, *, status: int, location: str | None = None,
                 hint: str | None = None):
        self.status = status
        super().__init__(message, location=location, hint=hint)


class AuthError(FatalError):
    """Authentication failed: the token endpoint refused, or a 401 survived one refresh."""


class ResponseError(FatalError):
    """A response body is not what the spec describes (invalid JSON, selector finds nothing...)."""


class PaginationError(FatalError):
    """A paginator cannot go on safely (same cursor twice, unusable cursor value)."""


class CredentialLeakError(FatalError):
    """Following a URL would send credentials to a host other than the API's own."""


class TransportError(FatalError):
    """The connection kept failing (reset, timeout, DNS, truncated body) after every retry."""


class LimitExceededError(FatalError):
    """A bound of the ``limits`` block was reached (response size, nesting, columns).

    Args:
        setting: The setting and its value, e.g. ``client.limits.max_response_bytes=268435456``.
    """

    def __init__(self, message: str, *, setting: str, location: str | None = None,
                 hint: str | None = None):
        self.setting = setting
        super().__init__(message, location=location, hint=hint)


class StoppedEarlyError(FatalError):
    """The resource should stop cleanly: commit what was fetched, resume there next run.

    Args:
        resource: The resource that stops.
        resume_state: JSON-able state that restarts the page sequence where it stopped
            (pass it to ``ApiClient.pages(resume_from=...)``); ``None`` when there is none
            (token requests): the resource then fails instead.
        setting: The option or setting that asked for the stop (``--max-wait=60``,
            ``client.limits.max_pages=100000``).
    """

    def __init__(self, message: str, *, resource: str,
                 resume_state: dict[str, object] | None = None, setting: str = "",
                 location: str | None = None, hint: str | None = None):
        self.resource = resource
        self.resume_state = resume_state
        self.setting = setting
        super().__init__(message, location=location, hint=hint)

    def summary(self) -> str:
        """Why the resource stopped, in a few words (for the run summary)."""
        return f"stopped: {self.message}"


class WaitTooLongError(StoppedEarlyError):
    """A retry would wait longer than allowed (``--max-wait`` / ``limits.max_retry_wait``).

    Args:
        wait_seconds: The wait the retry policy (or ``Retry-After``) asked for.
        max_wait: The limit.
        url: The redacted URL of the request that would have been retried.
    """

    def __init__(self, message: str, *, resource: str, wait_seconds: float, max_wait: float,
                 url: str, resume_state: dict[str, object] | None = None, setting: str = "",
                 location: str | None = None, hint: str | None = None):
        self.wait_seconds = wait_seconds
        self.max_wait = max_wait
        self.url = url
        super().__init__(message, resource=resource, resume_state=resume_state,
                         setting=setting, location=location, hint=hint)

    def summary(self) -> str:
        """``stopped instead of waiting 7200s (more than max wait 60s, --max-wait=60)``."""
        via = f", {self.setting}" if self.setting else ""
        return (f"stopped instead of waiting {self.wait_seconds:.0f}s (more than max wait "
                f"{self.max_wait:.0f}s{via})")


class PageLimitError(StoppedEarlyError):
    """A page sequence reached ``limits.max_pages`` and has more pages.

    Args:
        pages: The pages fetched (the limit).
    """

    def __init__(self, message: str, *, resource: str, pages: int,
                 resume_state: dict[str, object] | None = None, setting: str = "",
                 location: str | None = None, hint: str | None = None):
        self.pages = pages
        super().__init__(message, resource=resource, resume_state=resume_state,
                         setting=setting, location=location, hint=hint)

    def summary(self) -> str:
        """``stopped after 100000 pages (client.limits.max_pages=100000)``."""
        return f"stopped after {self.pages} pages ({self.setting})"


class DestinationError(FatalError):
    """The destination refused the data or the state update."""


class CassetteMissError(FatalError):
    """``--replay``: the cassette has no answer to a request (the message names it)."""


class SchemaContractError(FatalError):
    """A record breaks a ``freeze`` schema contract; nothing of the batch was loaded.

    Args:
        table: Table the record would change.
        column: Column concerned (None for a new table).
        json_path: Where the value sits in the record (``[3].delivery-status.code``).
        value: The offending value, truncated and redacted (never a secret).
    """

    def __init__(self, message: str, *, table: str, column: str | None, json_path: str,
                 value: str, location: str | None = None, hint: str | None = None):
        self.table = table
        self.column = column
        self.json_path = json_path
        self.value = value
        super().__init__(message, location=location, hint=hint)


class RetriableError(RestsyncError):
    """A transient failure; the retry policy decides whether and when to try again.

    Args:
        retry_after: Seconds the server asked us to wait (``Retry-After``), if any.
        status: HTTP status, or ``None`` for a transport failure (reset, timeout, DNS).
    """

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: float | None = None, location: str | None = None):
        self.status = status
        self.retry_after = retry_after
        super().__init__(message, location=location)


class SkippableError(RestsyncError):
    """One parent item's child request failed in a way that is expected for some items
    (e.g. 404 for a dock tool without entries); the item is skipped and counted."""

    def __init__(self, message: str, *, status: int | None = None, location: str | None = None):
        self.status = status
        super().__init__(message, location=location)
