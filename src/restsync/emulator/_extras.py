"""Server sides of the less common request shapes a config may describe: an OAuth2 client
credentials token endpoint, session cookies the API requires, form bodies it checks, and
children it does not have (404, for ``response_actions`` to ignore).

Written from the API's point of view, like the rest of the emulator: nothing here reads the
client's code.
"""

from __future__ import annotations

import hmac
import itertools
import time
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response

from restsync.config import OAuth2ClientCredentials, SourceConfig

_JSON = "application/json"
_GRACE = 1.0


class TokenServer:
    """The token endpoint of every ``oauth2_client_credentials`` auth in a config: a POST of
    the right client id and secret (form-encoded, ``grant_type=client_credentials``) gets a
    fresh token valid for ``lifetime`` seconds; the data endpoints accept only such tokens
    while they are valid. ``issued`` counts the tokens handed out."""

    def __init__(self, config: SourceConfig, lifetime: float) -> None:
        auths = [config.client.auth, *(r.endpoint.auth for r in config.resources)]
        self.clients = {
            _path(auth.access_token_url): auth
            for auth in auths
            if isinstance(auth, OAuth2ClientCredentials)
        }
        self.lifetime = lifetime
        self.issued = 0
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._numbers = itertools.count(1)

    def serves(self, path: str) -> bool:
        return path in self.clients

    def issue(self, path: str, form: Mapping[str, str]) -> Response:
        auth = self.clients[path]
        if form.get("grant_type") != "client_credentials":
            return _error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        given = (form.get("client_id", ""), form.get("client_secret", ""))
        wanted = (auth.client_id.get_secret_value(), auth.client_secret.get_secret_value())
        if not all(
            hmac.compare_digest(g.encode(), w.encode()) for g, w in zip(given, wanted, strict=True)
        ):
            return _error(401, "invalid_client", "unknown client_id or wrong client_secret")
        extra = {k: str(v) for k, v in auth.access_token_request_data.items()}
        for key, value in extra.items():
            if form.get(key) != value:
                return _error(400, "invalid_request", f"form field '{key}' must be {value!r}")
        token = f"emulated-token-{next(self._numbers)}"
        self._tokens[token] = time.monotonic() + self.lifetime
        self.issued += 1
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.lifetime}
        return Response(orjson.dumps(body), 200, media_type=_JSON)

    def accepts(self, request: Request) -> bool:
        # a client counts a token's lifetime from when the answer reached it, a little after
        # the server did: a second of grace keeps that gap from failing requests
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        return expiry is not None and time.monotonic() < expiry + _GRACE


def missing_cookie(config: SourceConfig, request: Request) -> str | None:
    """The name of a cookie the config's ``Cookie`` header (a session's cookies) holds that
    the request lacks or changed, else ``None``."""
    header = next((v for k, v in config.client.headers.items() if k.lower() == "cookie"), None)
    if header is None:
        return None
    wanted = SimpleCookie()
    wanted.load(header)
    for name, morsel in wanted.items():
        if request.cookies.get(name) != morsel.value:
            return name
    return None


def form_mismatch(expected: Mapping[str, Any] | str | None, body: bytes, kind: str) -> str | None:
    """What is wrong with a request body against the endpoint's ``data``: a form must hold
    each configured field (as requests encodes it), a raw body must be the configured text."""
    if expected is None:
        return None
    if isinstance(expected, str):
        return None if body.decode("utf-8", "replace") == expected else "the raw body differs"
    if "application/x-www-form-urlencoded" not in kind:
        return f"the body must be form-encoded, got content-type {kind or 'none'!r}"
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    for key, value in expected.items():
        values = value if isinstance(value, list) else [value]
        wanted = [str(v) for v in values if v is not None]
        if form.get(key, []) != wanted:
            return f"form field '{key}' must be {wanted}, got {form.get(key, [])}"
    return None


def parsed_form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def parsed_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def missing_parent(value: str, every: int) -> bool:
    """Whether the child of parent ``value`` is absent (404): every ``every``-th integer id."""
    return every > 0 and value.lstrip("-").isdigit() and int(value) % every == 0


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/") or "/"


def _error(status: int, code: str, message: str) -> Response:
    body = orjson.dumps({"error": code, "message": message, "status": status})
    return Response(body, status, media_type=_JSON)
