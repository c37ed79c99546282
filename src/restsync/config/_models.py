"""The canonical, validated config model: what every other part of restsync reads.

A user's dict (dlt's ``rest_api_source`` format or the seeds' looser dialect) is first rewritten
by ``_normalize`` into this shape and then validated here. Models are frozen pydantic models with
``extra="forbid"`` so a misspelt key is an error, never silently ignored. Nothing here is a live
object (no clients, no sessions): the engine builds those from these values.

To add a paginator or auth type: add a model with a ``type`` literal to the union below, then
teach ``restsync.paginate`` (or ``restsync.http``) and the emulator to build it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from restsync._urls import url_problem

from ._graph import check_parents
from ._incremental import IncrementalConfig, IncrementalParam, IncrementalSpec, incremental_spec
from ._paths import suggest
from ._placeholders import Reference, check_templates, references

HTTPMethod = Literal["GET", "POST"]
WriteDisposition = Literal["append", "replace", "merge"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- auth -------------------------------------------------------------------------------------


class ApiKeyAuth(Model):
    """An API key sent in a header (default ``Authorization``), a query parameter or a cookie."""

    type: Literal["api_key"] = "api_key"
    name: str = "Authorization"
    api_key: SecretStr
    location: Literal["header", "query", "cookie"] = "header"


class BearerAuth(Model):
    """``Authorization: Bearer <token>``."""

    type: Literal["bearer"] = "bearer"
    token: SecretStr


class HttpBasicAuth(Model):
    """HTTP basic authentication."""

    type: Literal["http_basic"] = "http_basic"
    username: str
    password: SecretStr


class OAuth2ClientCredentials(Model):
    """OAuth 2.0 client credentials, as dlt's ``OAuth2ClientCredentials``: the client id and
    secret are posted (form-encoded, ``grant_type=client_credentials`` plus
    ``access_token_request_data``) to ``access_token_url``; the ``access_token`` answered is sent
    as a bearer token until ``expires_in`` (else ``default_token_expiration``) seconds pass."""

    type: Literal["oauth2_client_credentials"] = "oauth2_client_credentials"
    access_token_url: str
    client_id: SecretStr
    client_secret: SecretStr
    access_token_request_data: dict[str, Any] = Field(default_factory=dict)
    default_token_expiration: int = Field(default=3600, ge=0)
    #: accepted as dlt does; dlt fetches a token before the first request all the same
    access_token: SecretStr | None = None
    #: dlt posts the token request with this session; restsync with its own client
    session: None = None

    @field_validator("access_token_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            # the value is not shown: the key's name makes it look like a credential
            raise ValueError(
                "access_token_url must be an absolute http(s) URL, such as "
                "https://auth.example.com/oauth/token"
            )
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(f"access_token_url cannot be requested: {problem}")
        return value


class CustomAuth(Model):
    """A live auth object from a Python config that is not one of dlt's own classes (a
    user's ``AuthConfigBase`` subclass, any ``requests`` auth): called, as requests calls it,
    on a requests-shaped copy of each request (see ``restsync.http.RequestsAuthFlow``)."""

    type: Literal["custom"] = "custom"
    instance: Any

    @field_validator("instance")
    @classmethod
    def _callable(cls, value: Any) -> Any:
        if not callable(value):
            raise ValueError("must be a requests auth object (called with each request)")
        return value


AuthConfig = Annotated[
    ApiKeyAuth | BearerAuth | HttpBasicAuth | OAuth2ClientCredentials | CustomAuth,
    Field(discriminator="type"),
]
AUTH_TYPES = ("api_key", "bearer", "http_basic", "oauth2_client_credentials")


# --- paginators -------------------------------------------------------------------------------


class SinglePagePaginator(Model):
    """One request, no pagination."""

    type: Literal["single_page"] = "single_page"


class _RangePaginator(Model):
    """Shared stop conditions of the numeric paginators. Pagination ends at the first of: a page
    with no records (``stop_after_empty_page``), a page shorter than ``limit`` when a limit is
    known, the total from ``total_path`` when the response has one, ``has_more_path`` false, or
    the maximum. A missing ``total`` is not an error: the other conditions still end paging."""

    total_path: str | None = "total"
    has_more_path: str | None = None
    stop_after_empty_page: bool = True
    limit_param: str | None = None
    limit: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _needs_a_stop(self) -> _RangePaginator:
        if not (
            self.total_path
            or self.has_more_path
            or self.stop_after_empty_page
            or self._maximum() is not None
        ):
            raise ValueError(
                "pagination could never stop: set total_path, has_more_path, a maximum, "
                "or leave stop_after_empty_page true"
            )
        return self

    def _maximum(self) -> int | None:
        return None


class PageNumberPaginator(_RangePaginator):
    """``?page=N``. ``base_page`` is the number of the first page; ``None`` means the config did
    not say (as in the CRM seed) and the engine finds out from the API, see ``restsync.engine``.
    ``total_path`` points at the total number of *pages*, as in dlt."""

    type: Literal["page_number"] = "page_number"
    page_param: str = "page"
    base_page: int | None = Field(default=None, ge=0)
    page: int | None = Field(default=None, ge=0)
    maximum_page: int | None = Field(default=None, ge=0)

    def _maximum(self) -> int | None:
        return self.maximum_page


class OffsetPaginator(_RangePaginator):
    """``?offset=N&limit=L``. ``total_path`` points at the total number of *items*, as in dlt."""

    type: Literal["offset"] = "offset"
    limit: int = Field(gt=0)
    limit_param: str = "limit"
    offset: int = Field(default=0, ge=0)
    offset_param: str = "offset"
    maximum_offset: int | None = Field(default=None, ge=0)

    def _maximum(self) -> int | None:
        return self.maximum_offset


class CursorPaginator(Model):
    """The next request carries a cursor read from the last response body: as the query
    parameter ``cursor_param`` (``cursor`` when neither is given), or at ``cursor_body_path``
    (dotted) in the JSON body. As in dlt, an absent or empty cursor ends the sequence, and so do
    an empty page when ``stop_after_empty_page`` and ``has_more_path`` false."""

    type: Literal["cursor"] = "cursor"
    cursor_path: str = "cursors.next"
    cursor_param: str | None = None
    cursor_body_path: str | None = None
    stop_after_empty_page: bool = False
    has_more_path: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> CursorPaginator:
        if self.cursor_param is not None and self.cursor_body_path is not None:
            raise ValueError(
                "cursor_body_path: give either cursor_param (the cursor goes in the query) or "
                "cursor_body_path (it goes in the JSON body), not both"
            )
        return self

    @property
    def query_param(self) -> str | None:
        """The query parameter the cursor is sent as, ``None`` when it goes in the body."""
        if self.cursor_body_path is not None:
            return None
        return self.cursor_param or "cursor"


class HeaderCursorPaginator(Model):
    """The next request carries a cursor read from the response header ``cursor_key``, sent
    as the query parameter ``cursor_param`` (dlt's ``HeaderCursorPaginator``)."""

    type: Literal["header_cursor"] = "header_cursor"
    cursor_key: str = "next"
    cursor_param: str = "cursor"


class JsonLinkPaginator(Model):
    """The last response body holds the URL of the next page."""

    type: Literal["json_link"] = "json_link"
    next_url_path: str = "next"


class HeaderLinkPaginator(Model):
    """The ``Link`` header (RFC 8288) holds the URL of the next page."""

    type: Literal["header_link"] = "header_link"
    links_next_key: str = "next"


class CustomPaginator(Model):
    """A live paginator object handed over in a Python config: a user's subclass of dlt's
    ``BasePaginator`` (or an instance of one of dlt's classes). It is run through its own
    ``init_request`` / ``update_state`` / ``update_request``, one page after another, on a copy
    per request sequence (see ``restsync.paginate.LivePaginator``)."""

    type: Literal["custom"] = "custom"
    instance: Any

    @property
    def class_name(self) -> str:
        return type(self.instance).__name__


class AutoPaginator(Model):
    """No paginator given: the engine looks at the first response (``Link`` header, a next-URL
    in the body) and says which one it chose; if it finds none, the endpoint is one page."""

    type: Literal["auto"] = "auto"


PaginatorConfig = Annotated[
    SinglePagePaginator
    | PageNumberPaginator
    | OffsetPaginator
    | CursorPaginator
    | HeaderCursorPaginator
    | JsonLinkPaginator
    | HeaderLinkPaginator
    | CustomPaginator
    | AutoPaginator,
    Field(discriminator="type"),
]
PAGINATOR_TYPES = (
    "single_page",
    "page_number",
    "offset",
    "cursor",
    "header_cursor",
    "json_link",
    "header_link",
    "auto",
)


# --- client: retries and limits ---------------------------------------------------------------


class RetryConfig(Model):
    """Which failures are retried and how long to wait. The wait before retry ``n`` (1-based) is
    ``initial_backoff * backoff_factor ** (n - 1)`` seconds, capped at ``max_backoff``, unless
    the response says ``Retry-After``. The seeds ask for factor 2 and 3 retries."""

    max_retries: int = Field(default=3, ge=0, le=20)
    backoff_factor: float = Field(default=2.0, ge=1.0, le=10.0)
    initial_backoff: float = Field(default=1.0, ge=0.0, le=600.0)
    max_backoff: float = Field(default=60.0, ge=0.0, le=3600.0)
    statuses: tuple[int, ...] = (429, 500, 502, 503, 504)

    @field_validator("statuses")
    @classmethod
    def _statuses_are_errors(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [s for s in value if not 400 <= s <= 599]
        if bad:
            raise ValueError(f"retry statuses must be HTTP error codes 400-599, got {bad}")
        return value


class LimitsConfig(Model):
    """How hard restsync may push the API. ``max_in_flight`` caps requests in flight for the
    whole source, ``max_in_flight_per_host`` for each host; ``requests_per_second`` is an
    optional rate limit per host shared by all resources; ``page_window`` is the most pages of
    one resource fetched at once when the paginator allows it. ``shared_budget`` (a Redis URL)
    makes ``requests_per_second`` and ``max_in_flight_per_host`` hold for every process that
    names the same store, together (``restsync.http._budget``)."""

    max_in_flight: int = Field(default=16, ge=1, le=256)
    max_in_flight_per_host: int = Field(default=16, ge=1, le=256)
    requests_per_second: float | None = Field(default=None, gt=0)
    page_window: int = Field(default=8, ge=1, le=256)
    shared_budget: str | None = None

    @field_validator("shared_budget")
    @classmethod
    def _store_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("redis://", "rediss://")):
            scheme = value.partition("://")[0] if "://" in value else "none"
            raise ValueError(  # the URL itself may hold a password: only its scheme is shown
                "a shared budget is kept in Redis: write redis://host:6379/0 (rediss:// for "
                f"TLS); got a URL with scheme {scheme!r}"
            )
        return value


class ClientConfig(Model):
    """The HTTP client. Credentials (``auth``) go only to the origin of ``base_url`` and the
    origins ``auth_origins`` lists; a next-page link or a redirect to any other origin is
    followed without them, or refused when ``foreign_origins`` is ``refuse``. ``timeout``
    bounds each wait for the network and, with one second of grace, each request as a whole.
    A ``base_url`` with ``user:password@`` is read as ``http_basic`` auth."""

    base_url: str
    headers: dict[str, str] = Field(default_factory=dict)
    auth: AuthConfig | None = None
    auth_origins: tuple[str, ...] = ()
    foreign_origins: Literal["without_auth", "refuse"] = "without_auth"
    paginator: PaginatorConfig | None = None
    retry: RetryConfig = Field(default_factory=RetryConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    timeout: float = Field(default=30.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _userinfo_is_basic_auth(cls, data: Any) -> Any:
        # as dlt (through requests) reads it; aiohttp would refuse the URL
        if not isinstance(data, dict) or not isinstance(data.get("base_url"), str):
            return data
        parts = urlsplit(data["base_url"])
        if "@" not in parts.netloc:
            return data
        userinfo, _, hostport = parts.netloc.rpartition("@")
        if data.get("auth") is not None:
            raise ValueError(
                "base_url holds user:password@ and client.auth is set too; keep one "
                "(client.auth with type http_basic keeps the password out of the URL)"
            )
        username, _, password = userinfo.partition(":")
        return {
            **data,
            "base_url": urlunsplit(parts._replace(netloc=hostport)),
            "auth": {"type": "http_basic", "username": unquote(username),
                     "password": unquote(password)},
        }  # fmt: skip

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {value!r}")
        # what would make the first request fail (httpx refuses such a URL only as it is built)
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(f"base_url {value!r} cannot be requested: {problem}")
        return value

    @field_validator("auth_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path not in ("", "/")
                or parts.query
                or "@" in parts.netloc
            ):
                raise ValueError(
                    f"an auth origin is scheme://host[:port], e.g. https://uploads.example.com, "
                    f"got {origin!r}"
                )
            problem = url_problem(origin)
            if problem is not None:
                # the engine would fail on it before its first request
                raise ValueError(f"auth origin {origin!r} is not a usable origin: {problem}")
        return value


# --- endpoints and resources ------------------------------------------------------------------


class ResponseAction(Model):
    """One of dlt's ``response_actions``: when a response matches ``status_code`` and/or
    contains ``content``, either ignore it (``"ignore"``: the request sequence ends there and the
    response yields nothing) or call ``action`` (one callable or a list) with it; the callables
    may change the response. With neither condition, the callables apply to every response."""

    status_code: int | None = Field(default=None, ge=100, le=599)
    content: str | None = None
    action: Literal["ignore"] | Callable[..., Any] | tuple[Callable[..., Any], ...]

    @field_validator("action", mode="before")
    @classmethod
    def _known_action(cls, value: Any) -> Any:
        if isinstance(value, list):
            value = tuple(value)
        fine = (
            value == "ignore"
            or callable(value)
            or (isinstance(value, tuple) and value and all(callable(item) for item in value))
        )
        if not fine:
            shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
            hint = suggest(value, ("ignore",)) if isinstance(value, str) else ""
            raise ValueError(
                f"{shown} is not an action{hint}; allowed: 'ignore', a callable, or a list of "
                "callables"
            )
        return value

    @field_validator("status_code", mode="before")
    @classmethod
    def _status_as_int(cls, value: Any) -> Any:
        # dlt types it int | str but compares it to the int status, so "404" would never
        # match there; restsync reads the digits as the status the user meant
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value

    @model_validator(mode="after")
    def _applies_somewhere(self) -> ResponseAction:
        if self.status_code is None and self.content is None and self.action == "ignore":
            raise ValueError(
                "action: 'ignore' needs a status_code or content to match, or every response "
                "would be ignored"
            )
        return self


#: a response action as a dict, or a bare callable applied to every response
ResponseActionConfig = ResponseAction | Callable[..., Any]


class ProcessingStep(Model):
    """One of dlt's ``processing_steps``: ``filter`` keeps the records it returns true for,
    ``map`` replaces each record by what it returns, ``yield_map`` by what it yields. Steps run
    in order (within one step: filter, map, yield_map) on each page's records, after
    ``include_from_parent``; a child resource reads its parent's processed records."""

    filter: Callable[..., Any] | None = None
    map: Callable[..., Any] | None = None
    yield_map: Callable[..., Any] | None = None


class EndpointConfig(Model):
    """One request sequence's template. Strings in ``path``, ``params``, ``json`` and
    ``headers`` may hold placeholders (see ``_placeholders``): ``{resources.<parent>.<field>}``
    makes the resource a child of ``parent``, filled from each of its records."""

    path: str = ""
    method: HTTPMethod = "GET"
    params: dict[str, IncrementalParam | str | int | float | bool | list[Any] | None] = Field(
        default_factory=dict
    )
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    #: a form-encoded (mapping) or raw (string) request body, as requests' ``data``
    data: dict[str, Any] | str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    data_selector: str | tuple[str, ...] | None = None
    paginator: PaginatorConfig | None = None
    auth: AuthConfig | None = None
    response_actions: tuple[ResponseActionConfig, ...] = ()
    incremental: IncrementalConfig | None = None

    @model_validator(mode="after")
    def _consistent(self) -> EndpointConfig:
        if self.json_body is not None and self.data is not None:
            raise ValueError(
                "data: give either json (a JSON body) or data (a form or raw body), not both"
            )
        incremental_spec(self.incremental, self.params)  # one incremental parameter at most
        return self

    @model_validator(mode="after")
    def _templates_valid(self) -> EndpointConfig:
        check_templates(self.templates(), self.contexts())
        return self

    def contexts(self) -> tuple[str, ...]:
        """The placeholder contexts this endpoint may use (see ``_placeholders``):
        ``incremental`` when ``endpoint.incremental`` is configured, as in dlt."""
        return ("resources", "incremental") if self.incremental is not None else ("resources",)

    def templates(self) -> dict[str, Any]:
        """The parts of a request that may hold placeholders, by their config key."""
        return {
            "path": self.path,
            "params": self.params,
            "json": self.json_body,
            "headers": self.headers,
        }

    def references(self) -> dict[str, Reference]:
        """The ``{resources.<parent>.<field>}`` placeholders, by placeholder name."""
        return references(self.templates())

    def incremental_spec(self) -> IncrementalSpec | None:
        """The endpoint's incremental (``endpoint.incremental`` or a ``type: incremental``
        parameter), see ``restsync.config._incremental``."""
        return incremental_spec(self.incremental, self.params)


class ColumnHint(Model):
    """A dlt column hint (the subset restsync validates; see dlt's ``TColumnSchema``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    data_type: (
        Literal[
            "text",
            "double",
            "bool",
            "timestamp",
            "bigint",
            "binary",
            "json",
            "decimal",
            "wei",
            "date",
            "time",
        ]
        | None
    ) = None
    nullable: bool | None = None
    primary_key: bool | None = None


SchemaEvolution = Literal["evolve", "discard_value", "freeze", "discard_row"]
TableFormat = Literal["iceberg", "delta", "hive", "native"]
FileFormat = Literal[
    "preferred", "jsonl", "typed-jsonl", "insert_values", "parquet", "csv", "reference", "model"
]


SchemaContract = (
    SchemaEvolution | dict[Literal["tables", "columns", "data_type"], SchemaEvolution] | None
)


class NestedHints(Model):
    """dlt's hints for one nested table (``TResourceNestedHints``), handed to dlt as dlt's
    ``make_nested_hints`` makes them (``as_dlt``). ``columns`` is keyed by column name, as a
    resource's ``columns``: a hint's ``name`` may be left out (the key names the column;
    dlt's rest_api fails with ``KeyError: 'name'`` there) or given, and dlt's list of
    ``{"name": ..., ...}`` is read as that mapping."""

    parent_table_name: str | None = None
    write_disposition: WriteDisposition | dict[str, Any] | None = None
    primary_key: str | tuple[str, ...] | None = None
    merge_key: str | tuple[str, ...] | None = None
    columns: dict[str, ColumnHint] | None = None
    schema_contract: SchemaContract = None
    table_format: TableFormat | None = None
    file_format: FileFormat | None = None
    references: tuple[dict[str, Any], ...] | None = None
    #: what ``make_nested_hints(columns=...)`` sets beside ``columns`` (the columns as given);
    #: dlt's rest_api refuses it, restsync reads ``columns``
    original_columns: Any = Field(default=None, exclude=True)

    def as_dlt(self) -> dict[str, Any]:
        """The hints as dlt's ``make_nested_hints`` gives them: each column named."""
        hints: dict[str, Any] = {}
        for key in type(self).model_fields:
            value = getattr(self, key)
            if value is None or key == "original_columns":
                continue
            hints[key] = list(value) if isinstance(value, tuple) else value
        if self.columns is not None:
            hints["columns"] = {
                name: {**hint.model_dump(exclude_none=True), "name": name}
                for name, hint in self.columns.items()
            }
        return hints


class ResourceDefaults(Model):
    """``resource_defaults``: every resource key but ``name``, each optional. Validated on its
    own, as dlt validates it, so a bad default is refused even where every resource overrides
    it. The keys after ``processing_steps`` are dlt resource hints restsync hands to dlt as
    they are (``parallelized`` is accepted and needs nothing: restsync always fetches
    concurrently)."""

    endpoint: EndpointConfig | None = None
    primary_key: str | tuple[str, ...] | None = None
    merge_key: str | tuple[str, ...] | None = None
    write_disposition: WriteDisposition | dict[str, Any] = "append"
    #: a name, or (as dlt's hint) a function giving each record's table name
    table_name: str | Callable[[Any], str] | None = None
    columns: dict[str, ColumnHint] | None = None
    include_from_parent: tuple[str, ...] = ()
    selected: bool = True
    max_table_nesting: int | None = Field(default=None, ge=0)
    processing_steps: tuple[ProcessingStep, ...] = ()
    parallelized: bool | None = None
    schema_contract: SchemaContract = None
    table_format: TableFormat | None = None
    file_format: FileFormat | None = None
    #: by the nested table's name below the resource's table (``"tags"``)
    nested_hints: dict[str, NestedHints] | None = None
    references: tuple[dict[str, Any], ...] | None = None


class ResourceConfig(ResourceDefaults):
    name: str = Field(min_length=1)
    endpoint: EndpointConfig

    @property
    def table(self) -> str:
        """The table the records land in (the resource's name when ``table_name`` is a
        function: the tables it names are known only per record)."""
        return self.table_name if isinstance(self.table_name, str) else self.name

    @property
    def dynamic_table(self) -> bool:
        """Whether a function names each record's table."""
        return callable(self.table_name)

    @property
    def parent(self) -> str | None:
        """The resource whose records fill this one's placeholders, if any."""
        found = self.endpoint.references()
        return next(iter(found.values())).resource if found else None


class SourceConfig(Model):
    """A whole source: one client and its resources, after ``resource_defaults`` were merged in."""

    name: str = "rest_api"
    client: ClientConfig
    resources: tuple[ResourceConfig, ...] = Field(min_length=1)
    resource_defaults: ResourceDefaults | None = None
    #: the names of the dlt resources the caller listed in ``resources`` beside the config's:
    #: a config resource may take its parent's records from one of them
    passed_resources: tuple[str, ...] = ()
    # values the user's config took from secret references or wrote under secret-looking
    # keys, wherever they ended up (an endpoint param, a header): masked in every message
    _secrets: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @property
    def secrets(self) -> frozenset[str]:
        """Every value of the user's config known to be a credential (see ``with_secrets``)."""
        return self._secrets

    def with_secrets(self, values: Iterable[str]) -> SourceConfig:
        """This config, knowing ``values`` as credentials besides its ``SecretStr`` fields."""
        copy = self.model_copy()
        copy._secrets = self._secrets | frozenset(values)
        return copy

    @model_validator(mode="after")
    def _resources_consistent(self) -> SourceConfig:
        names = [r.name for r in self.resources]
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                raise ValueError(f"resources[{index}].name: resource '{name}' is defined twice")
            seen.add(name)
        check_parents(self.resources, self.passed_resources)
        return self

    def resource(self, name: str) -> ResourceConfig:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)
