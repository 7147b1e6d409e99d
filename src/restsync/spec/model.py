"""The canonical spec model: what every dialect is normalized into.

This module imports no I/O. It describes a source (client + resources) after dialect
normalization (see :mod:`restsync.spec.normalize`) and after secret/config references were
resolved. Secret values are :class:`pydantic.SecretStr`, so they never show in reprs.

Field names follow dlt's ``rest_api`` vocabulary where dlt has one, so dlt users recognise
them; restsync additions are marked "restsync:" in their docstrings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from restsync.spec.durations import parse_duration, valid_datetime_format
from restsync.spec.limits import LimitsConfig
from restsync.spec.row_order import infer_row_order


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


# --------------------------------------------------------------------------- auth


class BearerAuth(_Model):
    """``Authorization: Bearer <token>``."""

    type: Literal["bearer"] = "bearer"
    token: SecretStr


class HttpBasicAuth(_Model):
    """HTTP basic auth. ``basic`` is accepted as an alias of ``http_basic``."""

    type: Literal["http_basic"] = "http_basic"
    username: str
    password: SecretStr


class ApiKeyAuth(_Model):
    """An API key in a header (default ``Authorization``) or a query parameter."""

    type: Literal["api_key"] = "api_key"
    name: str = "Authorization"
    api_key: SecretStr
    location: Literal["header", "query"] = "header"


class OAuth2RefreshTokenAuth(_Model):
    """restsync: OAuth2 refresh-token grant (the seeds' ``type: oauth2``).

    Form POST ``grant_type=refresh_token`` with ``refresh_token``, ``client_id`` and
    ``client_secret`` to ``token_url``; the access token is sent as a bearer token.
    """

    type: Literal["oauth2"] = "oauth2"
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr
    token_url: str
    scopes: list[str] | None = None
    client_auth: Literal["body", "basic"] = "body"
    default_token_expiration: int | None = None  # seconds; None = until a 401


class OAuth2ClientCredentialsAuth(_Model):
    """OAuth2 client-credentials grant (dlt's ``oauth2_client_credentials``)."""

    type: Literal["oauth2_client_credentials"] = "oauth2_client_credentials"
    access_token_url: str
    client_id: SecretStr
    client_secret: SecretStr
    scopes: list[str] | None = None
    access_token_request_data: dict[str, Any] = Field(default_factory=dict)
    client_auth: Literal["body", "basic"] = "basic"
    default_token_expiration: int = 3600


AuthConfig = Annotated[
    BearerAuth | HttpBasicAuth | ApiKeyAuth | OAuth2RefreshTokenAuth | OAuth2ClientCredentialsAuth,
    Field(discriminator="type"),
]

AUTH_TYPES: tuple[str, ...] = (
    "bearer", "http_basic", "api_key", "oauth2", "oauth2_client_credentials",
)


# --------------------------------------------------------------------------- paginators


class _PaginatorBase(_Model):
    stop_condition: str | None = None
    """restsync: boolean expression evaluated after every page; true stops paging."""


class SinglePagePaginator(_PaginatorBase):
    type: Literal["single_page"] = "single_page"


class CursorPaginator(_PaginatorBase):
    """Cursor paging.

    Where the next cursor comes from (exactly one source is used):
      * ``cursor_path``: a dotted/JSONPath path in the body (``paging.next``), or
        ``headers.<Name>`` for a response header, or ``headers.link.<rel>.url`` for the
        RFC 8288 ``Link`` header;
      * ``cursor_value``: restsync: ``last_record.<field>``, the field of the page's last
        record (``id_greater_than`` style paging).

    How it is sent: as query parameter ``cursor_param``; when the cursor value is an
    absolute http(s) URL it is followed as the next page's URL instead (and
    ``cursor_param`` is not used for that request).
    """

    type: Literal["cursor"] = "cursor"
    cursor_path: str | None = None
    cursor_param: str | None = None
    cursor_value: str | None = None
    cursor_body_path: str | None = None  # send the cursor in the JSON body (POST) instead
    limit: int | None = Field(default=None, gt=0)
    limit_param: str = "limit"  # restsync: name of the page-size query parameter


class JsonLinkPaginator(_PaginatorBase):
    """Next page URL found in the body at ``next_url_path``."""

    type: Literal["json_link"] = "json_link"
    next_url_path: str


class HeaderLinkPaginator(_PaginatorBase):
    """Next page URL from the RFC 8288 ``Link`` header (``rel=links_next_key``)."""

    type: Literal["header_link"] = "header_link"
    links_next_key: str = "next"


class HeaderCursorPaginator(_PaginatorBase):
    """Cursor read from response header ``cursor_key`` and sent as ``cursor_param``."""

    type: Literal["header_cursor"] = "header_cursor"
    cursor_key: str = "next"
    cursor_param: str = "cursor"


class OffsetPaginator(_PaginatorBase):
    """Offset/limit paging. Without ``total_path`` it stops on a short or empty page."""

    type: Literal["offset"] = "offset"
    limit: int = Field(gt=0)
    offset: int = Field(default=0, ge=0)
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_path: str | None = None
    maximum_offset: int | None = None
    stop_after_empty_page: bool = True


class PageNumberPaginator(_PaginatorBase):
    """Page-number paging. Without ``total_path`` it stops on an empty page."""

    type: Literal["page_number"] = "page_number"
    base_page: int = 0
    page: int | None = None
    page_param: str = "page"
    total_path: str | None = None
    maximum_page: int | None = None
    stop_after_empty_page: bool = True
    page_size: int | None = Field(default=None, gt=0)
    page_size_param: str = "per_page"


PaginatorConfig = Annotated[
    SinglePagePaginator | CursorPaginator | JsonLinkPaginator | HeaderLinkPaginator
    | HeaderCursorPaginator | OffsetPaginator | PageNumberPaginator,
    Field(discriminator="type"),
]

PAGINATOR_TYPES: tuple[str, ...] = (
    "single_page", "cursor", "json_link", "header_link", "header_cursor", "offset", "page_number",
)


# --------------------------------------------------------------------------- retries


class RetryRule(_Model):
    """restsync: one retry rule; the first rule whose ``statuses`` match a failure applies.

    ``statuses`` may hold ints and the word ``"transport"`` (resets, timeouts, DNS).
    Wait before retry n (1-based): ``constant`` if set, else ``backoff_factor * 2 ** (n-1)``
    (``backoff_base`` replaces 2), capped by ``max_wait``; a ``Retry-After`` header wins
    when ``respect_retry_after``.
    """

    statuses: list[int | Literal["transport"]]
    max_retries: int = Field(default=3, ge=0)
    backoff_factor: float = Field(default=2.0, ge=0)
    backoff_base: float = Field(default=2.0, ge=1)
    constant: float | None = Field(default=None, ge=0)
    max_wait: float | None = Field(default=None, ge=0)
    jitter: float = Field(default=0.0, ge=0, le=1)
    respect_retry_after: bool = True


def default_retry_rules() -> list[RetryRule]:
    """The seeds' prose: retry 429/500/502/503/504 and transport errors, 3 retries, factor 2."""
    return [RetryRule(statuses=[429, 500, 502, 503, 504, "transport"])]


class RetryConfig(_Model):
    """restsync: retry policy of a client."""

    rules: list[RetryRule] = Field(default_factory=default_retry_rules)
    max_total_seconds: float | None = Field(default=None, gt=0)


# --------------------------------------------------------------------------- endpoint


class ResolveParam(_Model):
    """A parameter bound to a field of each record of another resource (dlt ``resolve``)."""

    type: Literal["resolve"] = "resolve"
    resource: str
    field: str


class IncrementalConfig(_Model):
    """Incremental loading on a cursor field of the records.

    Records whose cursor is below the start (the stored value, else ``initial_value``) are
    dropped; the highest cursor seen is stored after the resource's data is committed.
    ISO-8601 strings and epoch numbers are compared as instants.
    """

    cursor_path: str
    initial_value: Any = None
    end_value: Any = None
    start_param: str | None = None  # send the start value as this query parameter
    end_param: str | None = None
    on_cursor_value_missing: Literal["raise", "include", "exclude"] = "raise"
    row_order: Literal["asc", "desc"] | None = None
    lookback_window: float | None = Field(default=None, ge=0)
    """restsync: seconds (or an ISO-8601 duration such as ``PT1H``) subtracted from the stored
    cursor before the next run starts from it (late-arriving updates)."""
    datetime_format: str | None = None
    """restsync: how cursor values are written: a ``strftime`` pattern, ``%s`` (epoch seconds)
    or ``%ms`` (epoch milliseconds); also the format of the pushed-down start/end params."""

    @field_validator("lookback_window", mode="before")
    @classmethod
    def _lookback_seconds(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("datetime_format")
    @classmethod
    def _check_datetime_format(cls, value: str | None) -> str | None:
        problem = None if value is None else valid_datetime_format(value)
        if problem:
            raise ValueError(problem)
        return value


class ResponseAction(_Model):
    """What to do with a matching response (dlt ``response_actions``)."""

    status_code: int | None = None
    content: str | None = None
    action: Literal["ignore", "retry", "fail"]


class EndpointConfig(_Model):
    path: str
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, ResolveParam | str | int | float | bool | list[Any] | None] = Field(
        default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    headers: dict[str, str | SecretStr] = Field(default_factory=dict)
    data_selector: str | None = None  # None/"$"/"[]" = the whole body
    paginator: PaginatorConfig | None = None
    response_actions: list[ResponseAction] = Field(default_factory=list)
    incremental: IncrementalConfig | None = None

    @model_validator(mode="after")
    def _row_order_from_sort_params(self) -> EndpointConfig:
        """restsync: ``sort=updated_at&direction=desc`` on the cursor field sets ``row_order``."""
        inc = self.incremental
        if inc is not None and inc.row_order is None:
            found = infer_row_order(self.params, inc.cursor_path)
            if found is not None:
                inc.row_order = found[0]  # type: ignore[assignment]
        return self


class ProcessingStep(_Model):
    """restsync: a data-only processing step.

    ``filter``: boolean expression over ``record``; records where it is false are dropped.
    ``map``: ``{column: expression}``; each expression's value is assigned to the column.
    """

    filter: str | None = None
    map: dict[str, str] | None = None


ContractMode = Literal["evolve", "freeze", "discard_value", "discard_row"]
ColumnDataType = Literal["text", "bigint", "double", "bool", "timestamp", "date", "decimal",
                         "json"]


class SchemaContractConfig(_Model):
    """What a load may change in the stored schema (dlt's ``schema_contract``).

    ``tables``: a table the destination does not have yet; ``columns``: a new column of an
    existing (or declared) table; ``data_type``: a value that does not fit its column's type.
    A string in a spec (``schema_contract: freeze``) sets all three.
    """

    tables: ContractMode = "evolve"
    columns: ContractMode = "evolve"
    data_type: ContractMode = "evolve"


class ColumnConfig(_Model):
    """A declared column (dlt's column hints). ``data_type`` None = a known column whose type
    is inferred (e.g. read from a document's Schema section, with its description)."""

    data_type: ColumnDataType | None = None
    nullable: bool = True
    description: str | None = None
    primary_key: bool = False
    precision: int | None = Field(default=None, gt=0, le=38)
    scale: int | None = Field(default=None, ge=0, le=38)


class ResourceConfig(_Model):
    name: str
    endpoint: EndpointConfig
    table_name: str | None = None
    primary_key: str | list[str] | None = None
    write_disposition: Literal["append", "replace", "merge"] = "append"
    selected: bool = True
    include_from_parent: list[str] = Field(default_factory=list)
    processing_steps: list[ProcessingStep] = Field(default_factory=list)
    max_table_nesting: int | None = Field(default=None, ge=0)
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    """Declared columns by JSON key (``a.b`` for a nested field); declared types win."""
    schema_contract: SchemaContractConfig | None = None
    """The resource's contract (the source's ``schema_contract`` merged under it)."""
    json_columns: list[str] = Field(default_factory=list)
    """restsync: fields (JSON paths) kept as JSON columns instead of child tables/columns."""
    limits: LimitsConfig | None = None
    """restsync: this resource's own limits (see :mod:`restsync.spec.limits`)."""


# --------------------------------------------------------------------------- client / source


class RateLimitConfig(_Model):
    """restsync: proactive request rate per host (a token bucket shared by all requests).

    Give exactly one of ``requests_per_second``, ``requests_per_minute``, or ``requests`` with
    ``per_seconds``. ``burst`` (default 1) is how many requests may go at once after a pause.
    """

    requests_per_second: float | None = Field(default=None, gt=0)
    requests_per_minute: float | None = Field(default=None, gt=0)
    requests: int | None = Field(default=None, gt=0)
    per_seconds: float | None = Field(default=None, gt=0)
    burst: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _one_form(self) -> RateLimitConfig:
        forms = [self.requests_per_second is not None, self.requests_per_minute is not None,
                 self.requests is not None]
        if sum(forms) != 1:
            raise ValueError("give exactly one of requests_per_second, requests_per_minute, "
                             "or requests with per_seconds")
        if (self.per_seconds is not None) != (self.requests is not None):
            raise ValueError("requests and per_seconds go together "
                             "(e.g. {requests: 100, per_seconds: 60})")
        return self

    @property
    def rate(self) -> float:
        """Requests per second."""
        if self.requests_per_second is not None:
            return self.requests_per_second
        if self.requests_per_minute is not None:
            return self.requests_per_minute / 60.0
        assert self.requests is not None and self.per_seconds is not None
        return self.requests / self.per_seconds


class ClientConfig(_Model):
    base_url: str
    headers: dict[str, str | SecretStr] = Field(default_factory=dict)
    auth: AuthConfig | None = None
    paginator: PaginatorConfig | None = None
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeout: float = Field(default=60.0, gt=0)
    verify_tls: bool = True
    max_concurrency: int = Field(default=16, ge=1)
    """restsync: most requests in flight per host."""
    foreign_host_credentials: Literal["strip", "refuse"] = "strip"
    """restsync: what to do when a next-page URL points to another host."""
    rate_limit: RateLimitConfig | None = None
    """restsync: proactive request rate per host; ``None`` = no limit."""
    adaptive_concurrency: bool = True
    """restsync: halve a host's in-flight limit on 429, regain it slowly (AIMD)."""
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    """restsync: bounds on every resource (see :mod:`restsync.spec.limits`)."""


class Inference(_Model):
    """Something restsync decided that the spec did not say; shown by ``check``.

    Attributes:
        path: Config path it concerns (``resources[drafts].endpoint.paginator.cursor_path``).
        message: What was inferred and why, e.g. "next cursor read from `nextPageToken`
            (named in stop_condition)".
    """

    path: str
    message: str


class SourceConfig(_Model):
    """A whole source after normalization: what the plan stage consumes."""

    name: str
    client: ClientConfig
    resources: list[ResourceConfig]
    params: dict[str, list[Any]] = Field(default_factory=dict)
    """restsync: free path parameters (``--param provider=google,microsoft``)."""
    inferences: list[Inference] = Field(default_factory=list)
    schema_contract: SchemaContractConfig | None = None
    """The source-wide contract (already merged into every resource's)."""

    def resource(self, name: str) -> ResourceConfig:
        """Return the resource called ``name``.

        Raises:
            KeyError: No such resource.
        """
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)
