"""Each auth type lands on the wire where the API expects it."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from http_fakes import ClientFactory, FakeAPI, Seen

from restsync.config import ApiKeyAuth, BearerAuth, HttpBasicAuth
from restsync.http import RequestSpec, build_auth

KEY = "k3y-Sup3r/Secret+value"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# (auth config, where to look on the server, name, expected value)
WIRE_CASES: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "api-key-header",
        {"type": "api_key", "name": "X-API-KEY", "api_key": KEY, "location": "header"},
        "headers",
        "x-api-key",
        KEY,
    ),
    (
        "api-key-default-header",
        {"type": "api_key", "api_key": KEY},
        "headers",
        "authorization",
        KEY,
    ),
    (
        "api-key-query",
        {"type": "api_key", "name": "api_key", "api_key": KEY, "location": "query"},
        "query",
        "api_key",
        KEY,
    ),
    (
        "api-key-cookie",
        {"type": "api_key", "name": "session", "api_key": KEY, "location": "cookie"},
        "cookies",
        "session",
        KEY,
    ),
    ("bearer", {"type": "bearer", "token": KEY}, "headers", "authorization", f"Bearer {KEY}"),
    (
        "http-basic",
        {"type": "http_basic", "username": "ann", "password": KEY},
        "headers",
        "authorization",
        _basic("ann", KEY),
    ),
]


def _on_wire(seen: Seen, where: str, name: str) -> str | None:
    return {"headers": seen.headers, "query": seen.query, "cookies": seen.cookies}[where].get(name)


@pytest.mark.parametrize(
    ("auth", "wire"),
    [(case[1], case[2:]) for case in WIRE_CASES],
    ids=[case[0] for case in WIRE_CASES],
)
async def test_client_auth_on_the_wire(
    api: FakeAPI, make_client: ClientFactory, auth: dict[str, Any], wire: tuple[str, str, str]
) -> None:
    where, name, expected = wire
    async with make_client(auth=auth) as http:
        response = await http.send(
            RequestSpec("GET", "/campaigns", params={"page": 2}), resource="campaigns"
        )
    assert response.status_code == 200
    (seen,) = api.seen
    assert seen.path == "/v1/campaigns"
    assert _on_wire(seen, where, name) == expected
    assert seen.query.get("page") == "2"


async def test_endpoint_auth_replaces_client_auth(api: FakeAPI, make_client: ClientFactory) -> None:
    endpoint_auth = ApiKeyAuth.model_validate(
        {"name": "token", "api_key": "endpoint-key", "location": "query"}
    )
    async with make_client(auth={"type": "bearer", "token": "client-token"}) as http:
        await http.send(RequestSpec("GET", "a"), resource="a")
        await http.send(RequestSpec("GET", "b"), resource="b", auth=endpoint_auth)
    first, second = api.seen
    assert first.headers["authorization"] == "Bearer client-token"
    assert second.query["token"] == "endpoint-key"
    assert "authorization" not in second.headers


async def test_cookie_auth_keeps_other_cookies(api: FakeAPI, make_client: ClientFactory) -> None:
    auth = {"type": "api_key", "name": "sid", "api_key": KEY, "location": "cookie"}
    async with make_client(auth=auth) as http:
        await http.send(RequestSpec("GET", "x", headers={"Cookie": "theme=dark"}), resource="x")
    assert api.seen[0].cookies == {"theme": "dark", "sid": KEY}


async def test_config_headers_and_user_agent(api: FakeAPI, make_client: ClientFactory) -> None:
    async with make_client(headers={"Accept": "application/json", "X-Tenant": "t1"}) as http:
        await http.send(RequestSpec("GET", "x", headers={"X-Request": "r"}), resource="x")
    headers = api.seen[0].headers
    assert headers["x-tenant"] == "t1"
    assert headers["x-request"] == "r"
    assert headers["user-agent"].startswith("restsync/")


@pytest.mark.parametrize(
    "auth",
    [
        ApiKeyAuth.model_validate({"api_key": KEY}),
        BearerAuth.model_validate({"token": KEY}),
        HttpBasicAuth.model_validate({"username": "ann", "password": KEY}),
    ],
    ids=["api_key", "bearer", "http_basic"],
)
def test_auth_repr_hides_the_secret(auth: Any) -> None:
    flow = build_auth(auth)
    assert flow is not None
    assert KEY not in repr(flow)
    assert "***" in repr(flow)


def test_no_auth() -> None:
    assert build_auth(None) is None
