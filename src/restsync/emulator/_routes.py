"""From a ``SourceConfig`` to the emulator's routing table.

Each distinct endpoint path becomes one ``Route``: its URL path (base_url's path joined with
the endpoint path the way dlt joins them), the auth it demands, the paginator it serves, where
its records sit in the body, and the factory that makes them. Resources that share a path share
a route and therefore the data (the first resource with that path decides its shape).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from restsync._exceptions import ConfigError
from restsync.config import (
    ApiKeyAuth,
    AuthConfig,
    BearerAuth,
    CursorPaginator,
    EndpointConfig,
    HttpBasicAuth,
    JsonLinkPaginator,
    OAuth2ClientCredentials,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorConfig,
    Reference,
    ResourceConfig,
    SourceConfig,
)

from ._filters import CursorFilter, cursor_filter
from ._options import EmulatorOptions
from ._paths import PathSyntaxError, RecordPlacement, key_path, parse_path, put
from ._records import RecordFactory

AuthCheck = Callable[[Request], bool]
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class ParentRef:
    """A ``resolve`` param: where its value arrives and which parent field it comes from."""

    param: str
    in_path: bool
    resource: str
    field: tuple[str, ...]


@dataclass(frozen=True)
class BodyFields:
    """Paths of the paginator's values in the response body (None: not sent)."""

    total: tuple[str, ...] | None = None
    has_more: tuple[str, ...] | None = None
    cursor: tuple[str, ...] | None = None
    next_url: tuple[str, ...] | None = None

    def any(self) -> bool:
        return any((self.total, self.has_more, self.cursor, self.next_url))


@dataclass(frozen=True)
class Route:
    """Everything the emulator needs to answer requests for one endpoint path."""

    path: str
    pattern: re.Pattern[str] | None
    placeholders: tuple[str, ...]
    resource: ResourceConfig
    names: tuple[str, ...]
    paginator: PaginatorConfig | None
    auth: AuthConfig | None
    auth_check: AuthCheck | None
    placement: RecordPlacement
    fields: BodyFields
    status_fields: bool
    parents: tuple[ParentRef, ...]
    factory: RecordFactory
    index: int
    cursor: CursorFilter | None = None

    def match(self, path: str) -> dict[str, str] | None:
        if self.pattern is None:
            return {} if path == self.path else None
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return dict(zip(self.placeholders, found.groups(), strict=True))


def normalise_path(path: str) -> str:
    """Paths compare without a trailing slash, so ``/items`` and ``/items/`` are one route."""
    return path.rstrip("/") or "/"


def join_path(base_url: str, endpoint_path: str) -> str:
    """The URL path a client requests: dlt appends the endpoint path to the base URL's path
    (a leading slash does not make it absolute); an absolute URL as path is used as is."""
    if endpoint_path.startswith(("http://", "https://")):
        return normalise_path(urlsplit(endpoint_path).path)
    base = urlsplit(base_url).path
    if not base.endswith("/"):
        base += "/"
    relative = endpoint_path.split("?", 1)[0].lstrip("/")
    return normalise_path(base + relative)


def build_routes(config: SourceConfig, options: EmulatorOptions) -> list[Route]:
    """One route per distinct endpoint path, in config order."""
    by_path: dict[str, list[tuple[int, ResourceConfig]]] = {}
    for index, resource in enumerate(config.resources):
        path = join_path(config.client.base_url, resource.endpoint.path)
        by_path.setdefault(path, []).append((index, resource))
    return [_route(config, options, path, members) for path, members in by_path.items()]


def _route(
    config: SourceConfig,
    options: EmulatorOptions,
    path: str,
    members: list[tuple[int, ResourceConfig]],
) -> Route:
    index, resource = members[0]
    where = f"resources[{index}].endpoint"
    endpoint = resource.endpoint
    paginator = endpoint.paginator or config.client.paginator
    auth = endpoint.auth or config.client.auth
    placeholders = tuple(_PLACEHOLDER.findall(path))
    pattern = None
    if placeholders:
        parts = _PLACEHOLDER.split(path)
        regex = "".join(re.escape(p) if i % 2 == 0 else "([^/]+)" for i, p in enumerate(parts))
        pattern = re.compile(regex)
    names = tuple(r.name for _, r in members)

    parents = tuple(
        _parent_ref(endpoint, placeholder, ref, placeholders, where)
        for placeholder, ref in endpoint.references().items()
    )

    fields = _body_fields(paginator, options, where)
    placement, status_fields = _placement(resource, names, options, where, fields)
    _check_body(placement, fields, where)
    return Route(
        path=path,
        pattern=pattern,
        placeholders=placeholders,
        resource=resource,
        names=names,
        paginator=paginator,
        auth=auth,
        auth_check=auth_checker(auth),
        placement=placement,
        fields=fields,
        status_fields=status_fields,
        parents=parents,
        factory=RecordFactory(
            resource.name,
            resource.columns,
            resource.primary_key,
            seed=options.seed,
            shape=options.shape,
            huge_integers=options.huge_integers,
        ),
        index=index,
        cursor=cursor_filter(resource, where),
    )


def _parent_ref(
    endpoint: EndpointConfig,
    placeholder: str,
    ref: Reference,
    in_path: tuple[str, ...],
    where: str,
) -> ParentRef:
    """Where a request carries the parent's value: a path segment, or a query parameter whose
    whole value is the placeholder (the forms the emulator can read back)."""
    field = key_path(ref.field, location=f"{where}.path")
    if placeholder in in_path:
        return ParentRef(param=placeholder, in_path=True, resource=ref.resource, field=field)
    for name, value in endpoint.params.items():
        if value == "{" + placeholder + "}":
            return ParentRef(param=name, in_path=False, resource=ref.resource, field=field)
    raise ConfigError(
        f"the emulator reads {{{placeholder}}} only as a whole path segment or query parameter "
        "value",
        location=where,
    )


def _body_fields(
    paginator: PaginatorConfig | None, options: EmulatorOptions, where: str
) -> BodyFields:
    loc = f"{where}.paginator"
    if isinstance(paginator, PageNumberPaginator | OffsetPaginator):
        maximum = (
            paginator.maximum_page
            if isinstance(paginator, PageNumberPaginator)
            else paginator.maximum_offset
        )
        # without a total the client could never stop: the config promises the API sends one
        needs_total = (
            not paginator.stop_after_empty_page
            and paginator.has_more_path is None
            and maximum is None
        )
        total = None
        if paginator.total_path and (options.include_total or needs_total):
            total = key_path(paginator.total_path, location=f"{loc}.total_path")
        has_more = None
        if paginator.has_more_path:
            has_more = key_path(paginator.has_more_path, location=f"{loc}.has_more_path")
        return BodyFields(total=total, has_more=has_more)
    if isinstance(paginator, CursorPaginator):
        cursor = key_path(paginator.cursor_path, location=f"{loc}.cursor_path")
        has_more = None
        if paginator.has_more_path:
            has_more = key_path(paginator.has_more_path, location=f"{loc}.has_more_path")
        return BodyFields(cursor=cursor, has_more=has_more)
    if isinstance(paginator, JsonLinkPaginator):
        return BodyFields(
            next_url=key_path(paginator.next_url_path, location=f"{loc}.next_url_path")
        )
    return BodyFields()


def _placement(
    resource: ResourceConfig,
    names: tuple[str, ...],
    options: EmulatorOptions,
    where: str,
    fields: BodyFields,
) -> tuple[RecordPlacement, bool]:
    selector = resource.endpoint.data_selector
    auto = selector is None or len(selector) == 0
    envelope = next((options.envelopes[n] for n in names if n in options.envelopes), None)
    source: str | tuple[str, ...]
    if auto and envelope is not None:
        source, location = envelope, f"emulator.envelopes.{resource.name}"
    elif auto:
        # auto-detection finds a bare list; a body that must also carry paginator values
        # puts the list under "data", as most APIs do
        return RecordPlacement(("data",) if fields.any() else (), ()), False
    else:
        assert selector is not None
        source, location = selector, f"{where}.data_selector"
    try:
        placement = RecordPlacement.from_steps(parse_path(source))
    except PathSyntaxError as exc:
        raise ConfigError(
            f"the emulator cannot build a body for selector {source!r}: {exc}", location=location
        ) from exc
    return placement, auto


def _check_body(placement: RecordPlacement, fields: BodyFields, where: str) -> None:
    paths = [p for p in (fields.total, fields.has_more, fields.cursor, fields.next_url) if p]
    if paths and not placement.list_keys:
        raise ConfigError(
            "the data selector makes the whole body a list, but the paginator reads "
            f"'{'.'.join(paths[0])}' from the body; select the list by its key instead",
            location=f"{where}.data_selector",
        )
    body: dict[str, object] = {}
    try:
        if placement.list_keys:
            put(body, placement.list_keys, [])
        for keys in paths:
            put(body, keys, 0)
    except PathSyntaxError as exc:
        raise ConfigError(
            f"the records and the paginator's values collide in the body: {exc}",
            location=f"{where}.paginator",
        ) from exc


def auth_checker(auth: AuthConfig | None) -> AuthCheck | None:
    """A predicate that accepts exactly the credentials the config holds."""
    if auth is None:
        return None
    if isinstance(auth, ApiKeyAuth):
        name, expected = auth.name, auth.api_key.get_secret_value().encode()
        if auth.location == "query":
            return lambda r: _same(r.query_params.get(name), expected)
        if auth.location == "cookie":
            return lambda r: _same(r.cookies.get(name), expected)
        return lambda r: _same(r.headers.get(name), expected)
    if isinstance(auth, BearerAuth):
        token = auth.token.get_secret_value().encode()
        return lambda r: _same(_credentials(r, "bearer"), token)
    if isinstance(auth, HttpBasicAuth):
        pair = f"{auth.username}:{auth.password.get_secret_value()}".encode()

        def check_basic(request: Request) -> bool:
            encoded = _credentials(request, "basic")
            if encoded is None:
                return False
            try:
                decoded = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                return False
            return hmac.compare_digest(decoded, pair)

        return check_basic
    if isinstance(auth, OAuth2ClientCredentials):
        return None  # the token server checks its own tokens (see _extras.TokenServer)
    raise AssertionError(f"unhandled auth type {type(auth).__name__}")


def challenge(auth: AuthConfig | None) -> Mapping[str, str]:
    """The ``WWW-Authenticate`` header a 401 carries for this kind of auth."""
    if isinstance(auth, BearerAuth | OAuth2ClientCredentials):
        return {"WWW-Authenticate": 'Bearer realm="restsync-emulator"'}
    if isinstance(auth, HttpBasicAuth):
        return {"WWW-Authenticate": 'Basic realm="restsync-emulator"'}
    return {}


def auth_hint(auth: AuthConfig | None) -> str:
    """What the client should send, without the secret itself."""
    if isinstance(auth, ApiKeyAuth):
        where = {"header": "header", "query": "query parameter", "cookie": "cookie"}
        return f"send the API key in the '{auth.name}' {where[auth.location]}"
    if isinstance(auth, BearerAuth):
        return "send 'Authorization: Bearer <token>'"
    if isinstance(auth, OAuth2ClientCredentials):
        return f"send 'Authorization: Bearer <token>' with a token from {auth.access_token_url}"
    return "send HTTP basic credentials"


def _credentials(request: Request, scheme: str) -> str | None:
    value = request.headers.get("authorization")
    if value is None:
        return None
    given, _, credentials = value.partition(" ")
    return credentials.strip() if given.lower() == scheme else None


def _same(given: str | None, expected: bytes) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected)
