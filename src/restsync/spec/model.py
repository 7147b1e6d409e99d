"""The canonical spec model: what every dialect is normalized into.

This module imports no I/O. It describes a source (client + resources) after dialect
normalization (see :mod:`restsync.spec.normalize`) and after secret/config references were
resolved. Secret values are :class:`pydantic.SecretStr`, so they never show in reprs.

Field names follow dlt's ``rest_api`` vocabulary where dlt has one, so dlt users recognise
them; restsync additions are marked "restsync:" in their docstrings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


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


class ProcessingStep(_Model):
    """restsync: a data-only processing step.

    ``filter``: boolean expression over ``record``; records where it is false are dropped.
    ``map``: ``{column: expression}``; each expression's value is assigned to the column.
    """

    filter: str | None = None
    map: dict[str, str] | None = None


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


# --------------------------------------------------------------------------- client / source


class ClientConfig(_Model):
    base_url: str
    headers: dict[str, str | SecretStr] = Field(default_factory=dict)
    auth: AuthConfig | None = None
    paginator: PaginatorConfig | None = None
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeout: float = Field(default=60.0, gt=0)
    verify_tls: bool = True
    max_concurrency: int = Field(default=8, ge=1)
    """restsync: most requests in flight per host."""
    foreign_host_credentials: Literal["strip", "refuse"] = "strip"
    """restsync: what to do when a next-page URL points to another host."""


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

    def resource(self, name: str) -> ResourceConfig:
        """Return the resource called ``name``.

        Raises:
            KeyError: No such resource.
        """
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)
