"""The emulator accepts exactly the credentials in the config; anything else is a JSON 401."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from emulator_helpers import SECRET, client, resource, source

from restsync.emulator import Emulator, EmulatorOptions


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


AUTH_CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = [
    (
        "api-key-header",
        {"type": "api_key", "name": "X-API-KEY", "api_key": SECRET},
        {"headers": {"X-API-KEY": SECRET}},
        [{}, {"headers": {"X-API-KEY": "wrong"}}, {"headers": {"X-Other": SECRET}}],
    ),
    (
        "api-key-default-authorization-header",
        {"type": "api_key", "api_key": SECRET},
        {"headers": {"Authorization": SECRET}},
        [{}, {"headers": {"Authorization": f"Bearer {SECRET}"}}],
    ),
    (
        "api-key-query",
        {"type": "api_key", "name": "api_key", "api_key": SECRET, "location": "query"},
        {"params": {"api_key": SECRET}},
        [{}, {"params": {"api_key": "nope"}}, {"headers": {"api_key": SECRET}}],
    ),
    (
        "api-key-cookie",
        {"type": "api_key", "name": "session", "api_key": SECRET, "location": "cookie"},
        {"headers": {"Cookie": f"session={SECRET}"}},
        [{}, {"headers": {"Cookie": "session=stale"}}],
    ),
    (
        "bearer",
        {"type": "bearer", "token": SECRET},
        {"headers": {"Authorization": f"Bearer {SECRET}"}},
        [
            {},
            {"headers": {"Authorization": "Bearer wrong"}},
            {"headers": {"Authorization": SECRET}},
            {"headers": {"Authorization": f"Token {SECRET}"}},
        ],
    ),
    (
        "http-basic",
        {"type": "http_basic", "username": "ada", "password": SECRET},
        {"headers": basic("ada", SECRET)},
        [
            {},
            {"headers": basic("ada", "wrong")},
            {"headers": basic("bob", SECRET)},
            {"headers": {"Authorization": "Basic %%%not-base64"}},
        ],
    ),
]


@pytest.mark.parametrize(
    ("auth", "good", "bad"), [c[1:] for c in AUTH_CASES], ids=[c[0] for c in AUTH_CASES]
)
async def test_only_the_configured_credentials_pass(
    auth: dict[str, Any], good: dict[str, Any], bad: list[dict[str, Any]]
) -> None:
    emulator = Emulator(source(resource("items"), auth=auth), EmulatorOptions(records=2))
    async with client(emulator) as http:
        accepted = await http.get("/api/v1/items", **good)
        rejected = [await http.get("/api/v1/items", **kwargs) for kwargs in bad]
    assert accepted.status_code == 200
    assert [r.status_code for r in rejected] == [401] * len(bad)
    for response in rejected:
        assert response.json()["error"] == "unauthorized"
        assert SECRET not in response.text
    assert emulator.stats.responses_by_status == {200: 1, 401: len(bad)}


@pytest.mark.parametrize(
    ("auth", "challenge"),
    [
        ({"type": "bearer", "token": SECRET}, "Bearer"),
        ({"type": "http_basic", "username": "u", "password": SECRET}, "Basic"),
    ],
    ids=["bearer", "basic"],
)
async def test_401_carries_a_challenge(auth: dict[str, Any], challenge: str) -> None:
    emulator = Emulator(source(resource("items"), auth=auth))
    async with client(emulator) as http:
        response = await http.get("/api/v1/items")
    assert response.headers["www-authenticate"].startswith(challenge)


async def test_endpoint_auth_overrides_client_auth() -> None:
    config = source(
        resource("items"),
        resource("admin", auth={"type": "bearer", "token": "admin-token"}),
        auth={"type": "api_key", "name": "X-API-KEY", "api_key": SECRET},
    )
    emulator = Emulator(config)
    async with client(emulator, headers={"X-API-KEY": SECRET}) as http:
        items = await http.get("/api/v1/items")
        admin_with_key = await http.get("/api/v1/admin")
        admin = await http.get("/api/v1/admin", headers={"Authorization": "Bearer admin-token"})
    assert (items.status_code, admin_with_key.status_code, admin.status_code) == (200, 401, 200)


async def test_next_links_never_carry_a_query_api_key() -> None:
    auth = {"type": "api_key", "name": "key", "api_key": SECRET, "location": "query"}
    config = source(resource("items", paginator={"type": "json_link"}), auth=auth)
    emulator = Emulator(config, EmulatorOptions(records=120))
    async with client(emulator) as http:
        body = (await http.get("/api/v1/items", params={"key": SECRET, "q": "x"})).json()
    assert body["next"] is not None
    assert SECRET not in body["next"]
    assert "q=x" in body["next"]
