"""The canonical spec model: what every dialect is normalized into.

This module imports no I/O. It describes a source (client + resources) after dialect
normalization (see :mod:`restsync.spec.normalize`) and after secret/config references were
resolved. Secret values are :class:`pydantic.SecretStr`, so they never show in reprs.

Field names follow dlt's ``rest_api`` vocabulary where dlt has one, so dlt users recognise
them; restsync additions are marked "restsync:" in their docstrings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel as BaseModel
from pydantic import Field, SecretStr, field_validator, model_validator

from restsync.spec.auth_models import (  # re-exported: the models' one namespace
    AUTHS as AUTHS,
)
from restsync.spec.auth_models import (
    ApiKeyAuth as ApiKeyAuth,
)
from restsync.spec.auth_models import (
    AuthConfig as AuthConfig,
)
from restsync.spec.auth_models import (
    BearerAuth as BearerAuth,
)
from restsync.spec.auth_models import (
    HttpBasicAuth as HttpBasicAuth,
)
from restsync.spec.auth_models import (
    OAuth2ClientCredentialsAuth as OAuth2ClientCredentialsAuth,
)
from restsync.spec.auth_models import (
    OAuth2RefreshTokenAuth as OAuth2RefreshTokenAuth,
)
from restsync.spec.base import SpecModel
from restsync.spec.code import UserCode
from restsync.spec.durations import parse_duration, valid_datetime_format
from restsync.spec.limits import LimitsConfig
from restsync.spec.paginator_models import (  # re-exported: the models' one namespace
    PAGINATORS as PAGINATORS,
)
from restsync.spec.paginator_models import (
    AutoPaginator as AutoPaginator,
)
from restsync.spec.paginator_models import (
    CursorPaginator as CursorPaginator,
)
from restsync.spec.paginator_models import (
    HeaderCursorPaginator as HeaderCursorPaginator,
)
from restsync.spec.paginator_models import (
    HeaderLinkPaginator as HeaderLinkPaginator,
)
from restsync.spec.paginator_models import (
    JsonLinkPaginator as JsonLinkPaginator,
)
from restsync.spec.paginator_models import (
    OffsetPaginator as OffsetPaginator,
)
from restsync.spec.paginator_models import (
    PageNumberPaginator as PageNumberPaginator,
)
from restsync.spec.paginator_models import (
    PaginatorConfig as PaginatorConfig,
)
from restsync.spec.paginator_models import (
    SinglePagePaginator as SinglePagePaginator,
)
from restsync.spec.policy_models import (  # re-exported: the models' one namespace
    RateLimitConfig as RateLimitConfig,
)
from restsync.spec.policy_models import (
    RetryConfig as RetryConfig,
)
from restsync.spec.policy_models import (
    RetryRule as RetryRule,
)
from restsync.spec.policy_models import (
    TokenLimitsConfig as TokenLimitsConfig,
)
from restsync.spec.policy_models import (
    default_retry_rules as default_retry_rules,
)
from restsync.spec.row_order import infer_row_order
from restsync.spec.steps import parse_step
from restsync.spec.templated import TemplatedEndpoint

# --------------------------------------------------------------------------- endpoint


class ResolveParam(SpecModel):
    """A parameter bound to a field of each record of another resource (dlt ``resolve``)."""

    type: Literal["resolve"] = "resolve"
    resource: str
    field: str


class IncrementalConfig(SpecModel):
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
    lag: int | float | None = Field(default=None, ge=0)
    """dlt's lag: subtracted from the stored cursor at the start of a run, in seconds for
    date-time cursors, days for date cursors, units for numeric cursors."""
    range_start: Literal["open", "closed"] = "closed"
    """``closed``: records at the start value are kept (``>=``); ``open``: dropped (``>``)."""
    range_end: Literal["open", "closed"] = "open"
    """``open``: records at the end value are dropped (``<``); ``closed``: kept (``<=``)."""
    last_value_func: Literal["max"] = "max"
    """Only ``max`` (the cursor grows); dlt's ``min`` and callables are refused."""
    allow_external_schedulers: bool = False
    """dlt's option; only ``false`` is accepted (restsync has no external scheduler)."""
    convert: UserCode | None = None
    """Python API only: applied to the start/end values before they are sent."""
    filter_records: bool = True
    """restsync: drop records outside the window client-side; ``False`` only tracks the
    cursor (Airbyte manifests filter only with ``is_client_side_incremental``)."""
    step: str | float | None = None
    """restsync: split the run into windows of this length (``P1M``, ``P7D``, ``PT6H``, or a
    number: seconds, or units of a numeric cursor), from the start to ``end_value`` (else the
    run's start time); each window is one request sequence with its bounds sent as
    ``start_param``/``end_param`` and the ``{incremental.*}`` values, and one partition of a
    scaled-out run (``docs/scale-out.md``)."""

    @field_validator("step")
    @classmethod
    def _check_step(cls, value: str | float | None) -> str | float | None:
        if value is not None:
            parse_step(value)
        return value

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


class ResponseAction(SpecModel):
    """What to do with a matching response (dlt ``response_actions``).

    ``action`` is ``ignore``/``retry``/``fail``, or (Python API) callables called with the
    response, in order (an entry that is itself a callable matches every response).
    """

    status_code: int | None = None
    content: str | None = None
    action: Literal["ignore", "retry", "fail"] | list[UserCode]


FormData = dict[str, Any] | list[list[Any]] | str
"""A form body: a mapping, a list of ``[name, value]`` pairs, or a raw string."""


class EndpointConfig(SpecModel):
    """One endpoint. Strings in ``path``, ``params``, ``json``, ``data`` and ``headers`` are
    templates (see :mod:`restsync.spec.templates`)."""

    path: str
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, ResolveParam | str | int | float | bool | list[Any] | None] = Field(
        default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    data: FormData | None = None
    """A form body (``application/x-www-form-urlencoded`` for pairs; a string is sent as is)."""
    headers: dict[str, str | SecretStr] = Field(default_factory=dict)
    data_selector: str | None = None
    """Where the records are; ``$`` = the whole body; ``None`` = detected on the first
    response (dlt's rule, reported as a run-time inference)."""
    paginator: PaginatorConfig | None = None
    auth: AuthConfig | Literal["none"] | None = None
    """This endpoint's own auth (replaces ``client.auth``); ``"none"``: the spec's
    ``auth: null`` (no credentials for this endpoint)."""
    response_actions: list[ResponseAction] = Field(default_factory=list)
    incremental: IncrementalConfig | None = None
    templated: TemplatedEndpoint | None = None
    """restsync: requests rebuilt from templates for every page, partition and window (a
    compiled Airbyte manifest stream, :mod:`restsync.spec.templated`); when set, ``path``
    is only shown and the extract stage renders every request from it."""

    @model_validator(mode="after")
    def _row_order_from_sort_params(self) -> EndpointConfig:
        """restsync: ``sort=updated_at&direction=desc`` on the cursor field sets ``row_order``."""
        inc = self.incremental
        if inc is not None and inc.row_order is None:
            found = infer_row_order(self.params, inc.cursor_path)
            if found is not None:
                inc.row_order = found[0]  # type: ignore[assignment]
        return self


class ProcessingStep(SpecModel):
    """A processing step: exactly one of ``filter``, ``map``, ``yield_map``.

    In specs (data only): ``filter`` is a boolean expression over ``record`` (records where it
    is false are dropped); ``map`` is ``{column: expression}`` (each value assigned to the
    column). From the Python API, dlt's callables: ``filter(record) -> bool``,
    ``map(record) -> record``, ``yield_map(record) -> iterable of records``.
    """

    filter: str | UserCode | None = None
    map: dict[str, str] | UserCode | None = None
    yield_map: UserCode | None = None


ContractMode = Literal["evolve", "freeze", "discard_value", "discard_row"]
ColumnDataType = Literal["text", "bigint", "double", "bool", "timestamp", "date", "decimal",
                         "json"]


class SchemaContractConfig(SpecModel):
    """What a load may change in the stored schema (dlt's ``schema_contract``).

    ``tables``: a table the destination does not have yet; ``columns``: a new column of an
    existing (or declared) table; ``data_type``: a value that does not fit its column's type.
    A string in a spec (``schema_contract: freeze``) sets all three.
    """

    tables: ContractMode = "evolve"
    columns: ContractMode = "evolve"
    data_type: ContractMode = "evolve"


class ColumnConfig(SpecModel):
    """A declared column (dlt's column hints). ``data_type`` None = a known column whose type
    is inferred (e.g. read from a document's Schema section, with its description)."""

    data_type: ColumnDataType | None = None
    nullable: bool = True
    description: str | None = None
    primary_key: bool = False
    merge_key: bool = False
    """dlt's column-level merge key hint (the resource's ``merge_key`` replaces it)."""
    precision: int | None = Field(default=None, gt=0, le=38)
    scale: int | None = Field(default=None, ge=0, le=38)


TableFormat = Literal["delta", "iceberg", "hive", "native"]


class ResourceConfig(SpecModel):
    name: str
    endpoint: EndpointConfig
    table_name: str | UserCode | None = None
    """The table the records go to (default: the resource name). Python API: a callable
    ``table_name(record) -> str`` routes each record to its own table (dlt's dynamic hint)."""
    primary_key: str | list[str] | None = None
    merge_key: list[str] | None = None
    """dlt's merge key (JSON keys): with ``merge`` (delete-insert), stored rows sharing it
    with a loaded row are replaced. Left out by the spec stage where it has no effect
    (another disposition, the upsert strategy)."""
    write_disposition: Literal["append", "replace", "merge"] = "append"
    merge_strategy: Literal["delete-insert", "upsert"] = "delete-insert"
    """dlt's ``write_disposition.strategy`` of a merge."""
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
    table_format: TableFormat | None = None
    """dlt's table format; the run refuses it unless the destination supports it."""
    parallelized: bool = False
    """Accepted for dlt compatibility: restsync always requests concurrently."""
    limits: LimitsConfig | None = None
    """restsync: this resource's own limits (see :mod:`restsync.spec.limits`)."""


# --------------------------------------------------------------------------- client / source


class ClientConfig(SpecModel):
    base_url: str
    headers: dict[str, str | SecretStr] = Field(default_factory=dict)
    auth: AuthConfig | None = None
    paginator: PaginatorConfig | None = None
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeout: float = Field(default=60.0, gt=0)
    verify_tls: bool = True
    initial_concurrency: int | None = Field(default=None, ge=1)
    """restsync: requests in flight per host at the start (``None``: 16)."""
    max_concurrency: int | None = Field(default=None, ge=1)
    """restsync: most requests in flight per host, a ceiling for the adaptive limit
    (``None``: 64 when adaptive); with ``adaptive_concurrency: false`` the fixed limit."""
    foreign_host_credentials: Literal["strip", "refuse"] = "strip"
    """restsync: what to do when a next-page URL points to another host."""
    rate_limit: RateLimitConfig | None = None
    """restsync: proactive request rate per host; ``None`` = no limit."""
    token_limits: TokenLimitsConfig | None = None
    """restsync: the same limits per credential (tenant token) on top of the per-host
    ones; ``None`` = per host only."""
    adaptive_concurrency: bool = True
    """restsync: grow a host's in-flight limit while latency is flat, cut it on 429/503
    (AIMD); ``false``: a fixed limit (``max_concurrency``, else ``initial_concurrency``)."""
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    """restsync: bounds on every resource (see :mod:`restsync.spec.limits`)."""
    extra_secrets: list[SecretStr] = Field(default_factory=list)
    """restsync: more values masked everywhere (a manifest config's secret fields)."""

    @model_validator(mode="after")
    def _token_limits_within_the_host(self) -> ClientConfig:
        token = self.token_limits
        if token is None:
            return self
        if (token.max_concurrency is not None and self.max_concurrency is not None
                and token.max_concurrency > self.max_concurrency):
            raise ValueError(f"token_limits.max_concurrency ({token.max_concurrency}) is above "
                             f"max_concurrency ({self.max_concurrency}), the host's: a token "
                             "never has more in flight than its host")
        if (token.rate_limit is not None and self.rate_limit is not None
                and token.rate_limit.rate > self.rate_limit.rate):
            raise ValueError(f"token_limits.rate_limit ({token.rate_limit.rate:g}/s) is above "
                             f"rate_limit ({self.rate_limit.rate:g}/s), the host's: a token "
                             "never goes faster than its host")
        return self


class Inference(SpecModel):
    """Something restsync decided that the spec did not say; shown by ``check``.

    Attributes:
        path: Config path it concerns (``resources[drafts].endpoint.paginator.cursor_path``).
        message: What was inferred and why, e.g. "next cursor read from `nextPageToken`
            (named in stop_condition)".
    """

    path: str
    message: str


class SourceConfig(SpecModel):
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
