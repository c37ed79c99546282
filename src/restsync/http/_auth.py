"""Auth flows: the config's auth models turned into ``httpx.Auth`` objects.

``build_auth`` is the one place that reads a ``SecretStr`` value for sending; the flow objects
keep it private and never show it in ``repr``. To add an auth type: add its model to
``restsync.config``, a flow class here, a branch in ``build_auth`` and a line in
``describe_auth`` (used in 401/403 hints).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, Literal

import httpx
import orjson
import requests

from restsync._exceptions import APIError, FatalAPIError, RetriableAPIError
from restsync.config import (
    ApiKeyAuth,
    AuthConfig,
    BearerAuth,
    CustomAuth,
    HttpBasicAuth,
    OAuth2ClientCredentials,
)

__all__ = [
    "ApiKeyFlow",
    "BasicFlow",
    "BearerFlow",
    "OAuth2ClientCredentialsFlow",
    "RequestsAuthFlow",
    "TokenRequestFailed",
    "build_auth",
    "describe_auth",
]


class ApiKeyFlow(httpx.Auth):
    """Sends an API key in a header, a query parameter or a cookie."""

    def __init__(self, name: str, key: str, location: Literal["header", "query", "cookie"]):
        self._name = name
        self._key = key
        self._location = location

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._location == "header":
            request.headers[self._name] = self._key
        elif self._location == "query":
            request.url = request.url.copy_merge_params({self._name: self._key})
        else:
            cookie = f"{self._name}={self._key}"
            existing = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{existing}; {cookie}" if existing else cookie
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyFlow(name={self._name!r}, location={self._location!r}, key='***')"


class BearerFlow(httpx.Auth):
    """Sends ``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerFlow(token='***')"


class BasicFlow(httpx.BasicAuth):
    """httpx's basic auth with a ``repr`` that shows the user name only."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self._username = username

    def __repr__(self) -> str:
        return f"BasicFlow(username={self._username!r}, password='***')"


class TokenRequestFailed(Exception):
    """The OAuth2 token endpoint did not hand out a token. ``status`` is its answer's HTTP
    status (``None``: it answered 2xx without a usable ``access_token``)."""

    def __init__(self, message: str, *, url: str, status: int | None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class OAuth2ClientCredentialsFlow(httpx.Auth):
    """OAuth2 client credentials (dlt's ``OAuth2ClientCredentials``): one token for every
    request that uses this flow, fetched before the first of them and again once it expired
    (``expires_in`` seconds after it was handed out, else ``default_token_expiration``).
    Concurrent requests that find no valid token wait for ONE token request, made on the same
    HTTP client as the requests themselves."""

    def __init__(
        self, config: OAuth2ClientCredentials, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._url = config.access_token_url
        self._form = {
            "client_id": config.client_id.get_secret_value(),
            "client_secret": config.client_secret.get_secret_value(),
            "grant_type": "client_credentials",
            **form_fields(config.access_token_request_data),
        }
        self._default_expiration = config.default_token_expiration
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock: asyncio.Lock | None = None
        #: how many tokens were fetched, for tests and progress
        self.tokens_fetched = 0

    def _valid(self) -> bool:
        return self._token is not None and self._clock() < self._expires_at

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("OAuth2ClientCredentialsFlow runs on restsync's async client only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self._valid():
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if not self._valid():  # another request may have fetched one meanwhile
                    answer = yield httpx.Request(
                        "POST",
                        self._url,
                        data=self._form,
                        headers={"Accept": "application/json"},
                    )
                    await answer.aread()
                    self._accept(answer)
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def _accept(self, answer: httpx.Response) -> None:
        if not answer.is_success:
            raise TokenRequestFailed(
                f"the OAuth2 token endpoint answered HTTP {answer.status_code}",
                url=self._url,
                status=answer.status_code,
            )
        try:
            body = orjson.loads(answer.content)
        except orjson.JSONDecodeError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TokenRequestFailed(
                "the OAuth2 token endpoint's answer holds no 'access_token'",
                url=self._url,
                status=None,
            )
        expires_in = body.get("expires_in", self._default_expiration)
        try:
            seconds = float(expires_in)
        except (TypeError, ValueError):
            seconds = float(self._default_expiration)
        self._token = token
        self._expires_at = self._clock() + seconds
        self.tokens_fetched += 1

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsFlow(access_token_url={self._url!r}, secrets='***')"


def token_refused(
    exc: TokenRequestFailed, retries: int, resource: str, url: str, hint: str
) -> APIError:
    """The error for a token request that failed (``url`` redacted): retriable for 429 and
    5xx, which are retried as any request is, else fatal with ``hint`` on the credentials."""
    if exc.status is not None and (exc.status == 429 or exc.status >= 500):
        return RetriableAPIError(
            f"gave up after {retries} retries: {exc}",
            resource=resource,
            url=url,
            status=exc.status,
            hint="the token endpoint is overloaded or down; try again later",
        )
    return FatalAPIError(str(exc), resource=resource, url=url, status=exc.status, hint=hint)


def form_fields(data: dict[str, Any]) -> dict[str, str | list[str]]:
    """A mapping as requests form-encodes it: ``str()`` of each value (``True`` is ``True``),
    a list as repeated fields, ``None`` left out."""
    fields: dict[str, str | list[str]] = {}
    for key, value in data.items():
        if isinstance(value, list | tuple):
            fields[key] = [str(item) for item in value if item is not None]
        elif value is not None:
            fields[key] = str(value)
    return fields


class RequestsAuthFlow(httpx.Auth):
    """A requests auth object (a user's ``AuthConfigBase`` subclass) run as requests runs
    it: called on a ``PreparedRequest`` copy of each request; the URL and headers it sets are
    what is sent."""

    def __init__(self, auth: Callable[[requests.PreparedRequest], Any]) -> None:
        self._auth = auth

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers),
            data=request.content or None,
        )
        before = dict(prepared.headers)
        result = self._auth(prepared) or prepared
        request.url = httpx.URL(str(result.url))
        for name, value in result.headers.items():
            if before.get(name) != value:
                request.headers[name] = value if isinstance(value, str) else value.decode()
        yield request

    def __repr__(self) -> str:
        return f"RequestsAuthFlow({type(self._auth).__name__})"


def build_auth(auth: AuthConfig | None) -> httpx.Auth | None:
    """The ``httpx.Auth`` for an auth config, or ``None`` for no auth."""
    if auth is None:
        return None
    if isinstance(auth, ApiKeyAuth):
        return ApiKeyFlow(auth.name, auth.api_key.get_secret_value(), auth.location)
    if isinstance(auth, BearerAuth):
        return BearerFlow(auth.token.get_secret_value())
    if isinstance(auth, HttpBasicAuth):
        return BasicFlow(auth.username, auth.password.get_secret_value())
    if isinstance(auth, OAuth2ClientCredentials):
        return OAuth2ClientCredentialsFlow(auth)
    if isinstance(auth, CustomAuth):
        return RequestsAuthFlow(auth.instance)
    raise TypeError(f"unsupported auth config {type(auth).__name__}")  # pragma: no cover


def describe_auth(auth: AuthConfig | None, *, where: str = "client.auth") -> str:
    """What an auth config sends and where its secret is configured, never the secret itself;
    ``where`` is the config location of the auth block."""
    if auth is None:
        return f"the config sends no credentials; add {where} if the API needs them"
    if isinstance(auth, ApiKeyAuth):
        return (
            f"{where} is an api_key sent in the {auth.location} '{auth.name}'; check that the "
            f"secret configured as {where}.api_key (secrets file or environment) is current "
            "and allowed to read this resource"
        )
    if isinstance(auth, BearerAuth):
        return (
            f"{where} is a bearer token; check that the secret configured as {where}.token "
            "(secrets file or environment) is current, not expired, and has the needed scopes"
        )
    if isinstance(auth, OAuth2ClientCredentials):
        return (
            f"{where} is oauth2_client_credentials: the token from {auth.access_token_url} was "
            f"refused; check that the client configured as {where}.client_id / "
            f"{where}.client_secret may read this resource (scopes in "
            f"{where}.access_token_request_data)"
        )
    if isinstance(auth, CustomAuth):
        return (
            f"{where} is a {type(auth.instance).__name__} object; check the credentials it was "
            "given and what it adds to each request"
        )
    assert isinstance(auth, HttpBasicAuth)
    return (
        f"{where} is http_basic for user '{auth.username}'; check that user and the secret "
        f"configured as {where}.password (secrets file or environment)"
    )
