"""The canonical, validated config model: what every other part of restsync reads.

A user's dict (dlt's ``rest_api_source`` format or the seeds' looser dialect) is first rewritten
by ``_normalize`` into this shape and then validated here. Models are frozen pydantic models with
``extra="forbid"`` so a misspelt key is an error, never silently ignored. Nothing here is a live
object (no clients, no sessions): the engine builds those from these values.

To add a paginator or auth type: add a model with a ``type`` literal to the union below, then
teach ``restsync.paginate`` (or ``restsync.http``) and the emulator to build it.
"""

from __future__ import annotations

from collections.abc import Iterable
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

from ._incremental import IncrementalConfig, IncrementalParam, IncrementalSpec, incremental_spec

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


AuthConfig = Annotated[ApiKeyAuth | BearerAuth | HttpBasicAuth, Field(discriminator="type")]
AUTH_TYPES = ("api_key", "bearer", "http_basic")


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
    """The next request carries a cursor read from the last response body."""

    type: Literal["cursor"] = "cursor"
    cursor_path: str = "cursors.next"
    cursor_param: str = "cursor"


class JsonLinkPaginator(Model):
    """The last response body holds the URL of the next page."""

    type: Literal["json_link"] = "json_link"
    next_url_path: str = "next"


class HeaderLinkPaginator(Model):
    """The ``Link`` header (RFC 8288) holds the URL of the next page."""

    type: Literal["header_link"] = "header_link"
    links_next_key: str = "next"


class AutoPaginator(Model):
    """No paginator given: the engine looks at the first response (``Link`` header, a next-URL
    in the body) and says which one it chose; if it finds none, the endpoint is one page."""

    type: Literal["auto"] = "auto"


PaginatorConfig = Annotated[
    SinglePagePaginator
    | PageNumberPaginator
    | OffsetPaginator
    | CursorPaginator
    | JsonLinkPaginator
    | HeaderLinkPaginator
    | AutoPaginator,
    Field(discriminator="type"),
]
PAGINATOR_TYPES = (
    "single_page",
    "page_number",
    "offset",
    "cursor",
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
    one resource fetched at once when the paginator allows it."""

    max_in_flight: int = Field(default=16, ge=1, le=256)
    max_in_flight_per_host: int = Field(default=16, ge=1, le=256)
    requests_per_second: float | None = Field(default=None, gt=0)
    page_window: int = Field(default=8, ge=1, le=256)


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
        return value


# --- endpoints and resources ------------------------------------------------------------------


class ResolveParam(Model):
    """A parameter taken from each record of a parent resource: the child resource makes one
    request sequence per parent record. ``{name}`` in the path is filled the same way."""

    type: Literal["resolve"] = "resolve"
    resource: str
    field: str


#: a query parameter whose value comes from elsewhere: a parent's records or the incremental
BoundParam = Annotated[ResolveParam | IncrementalParam, Field(discriminator="type")]


class EndpointConfig(Model):
    path: str = ""
    method: HTTPMethod = "GET"
    params: dict[str, BoundParam | str | int | float | bool | list[Any] | None] = Field(
        default_factory=dict
    )
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    data_selector: str | tuple[str, ...] | None = None
    paginator: PaginatorConfig | None = None
    auth: AuthConfig | None = None
    incremental: IncrementalConfig | None = None

    @model_validator(mode="after")
    def _one_incremental(self) -> EndpointConfig:
        incremental_spec(self.incremental, self.params)
        return self

    def resolved_params(self) -> dict[str, ResolveParam]:
        return {k: v for k, v in self.params.items() if isinstance(v, ResolveParam)}

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


class ResourceConfig(Model):
    name: str = Field(min_length=1)
    endpoint: EndpointConfig
    primary_key: str | tuple[str, ...] | None = None
    merge_key: str | tuple[str, ...] | None = None
    write_disposition: WriteDisposition | dict[str, Any] = "append"
    table_name: str | None = None
    columns: dict[str, ColumnHint] | None = None
    include_from_parent: tuple[str, ...] = ()
    selected: bool = True
    max_table_nesting: int | None = Field(default=None, ge=0)

    @property
    def table(self) -> str:
        return self.table_name or self.name

    @property
    def parent(self) -> str | None:
        resolved = self.endpoint.resolved_params()
        return next(iter(resolved.values())).resource if resolved else None


class SourceConfig(Model):
    """A whole source: one client and its resources, after ``resource_defaults`` were merged in."""

    name: str = "rest_api"
    client: ClientConfig
    resources: tuple[ResourceConfig, ...] = Field(min_length=1)
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
        for index, resource in enumerate(self.resources):
            for key, param in resource.endpoint.resolved_params().items():
                if param.resource not in seen:
                    raise ValueError(
                        f"resources[{index}].endpoint.params.{key}.resource: no resource named "
                        f"'{param.resource}'; known resources: {', '.join(names)}"
                    )
        return self

    def resource(self, name: str) -> ResourceConfig:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)
