"""Auth flows: the config's auth models turned into ``httpx.Auth`` objects.

``build_auth`` is the one place that reads a ``SecretStr`` value for sending; the flow objects
keep it private and never show it in ``repr``. To add an auth type: add its model to
``restsync.config``, a flow class here, a branch in ``build_auth`` and a line in
``describe_auth`` (used in 401/403 hints).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal

import httpx

from restsync.config import ApiKeyAuth, AuthConfig, BearerAuth, HttpBasicAuth

__all__ = ["ApiKeyFlow", "BasicFlow", "BearerFlow", "build_auth", "describe_auth"]


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
    return (
        f"{where} is http_basic for user '{auth.username}'; check that user and the secret "
        f"configured as {where}.password (secrets file or environment)"
    )
