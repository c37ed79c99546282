"""Credentials go only to base_url's origin and client.auth_origins: two real loopback servers
on different ports (different origins); what the foreign one receives is checked whole."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from http_fakes import FakeAPI, Reply, Seen, uvicorn_server, wire_config

from restsync import FatalAPIError
from restsync.http import HttpClient, RequestSpec

SECRET = "s3cret-Credential-42"
BASIC = base64.b64encode(f"ann:{SECRET}".encode()).decode()

AUTHS: dict[str, dict[str, Any]] = {
    "api_key_header": {"auth": {"type": "api_key", "name": "X-Api-Key", "api_key": SECRET}},
    "bearer": {"auth": {"type": "bearer", "token": SECRET}},
    "basic": {"auth": {"type": "http_basic", "username": "ann", "password": SECRET}},
    "api_key_query": {
        "auth": {"type": "api_key", "name": "key", "api_key": SECRET, "location": "query"}
    },
    "api_key_cookie": {
        "auth": {"type": "api_key", "name": "sid", "api_key": SECRET, "location": "cookie"}
    },
    "client_header": {"headers": {"X-Service-Token": SECRET, "Accept": "application/json"}},
}


def _holds_secret(seen: Seen) -> bool:
    text = repr(seen)
    return SECRET in text or BASIC in text


@contextlib.asynccontextmanager
async def _two_origins() -> AsyncIterator[tuple[FakeAPI, str, FakeAPI, str]]:
    home, foreign = FakeAPI(), FakeAPI()
    async with uvicorn_server(home.app) as home_url, uvicorn_server(foreign.app) as foreign_url:
        yield home, home_url, foreign, foreign_url


@pytest.mark.parametrize("kind", list(AUTHS), ids=list(AUTHS))
async def test_a_next_link_on_another_origin_gets_no_credentials(kind: str) -> None:
    async with _two_origins() as (home, home_url, foreign, foreign_url):
        foreign.on("/page2", Reply(200, {"data": [2]}))
        async with HttpClient(wire_config(home_url + "/v1/", **AUTHS[kind])) as http:
            first = await http.send(RequestSpec("GET", "items"), resource="items")
            second = await http.send(
                RequestSpec("GET", f"{foreign_url}/page2?cursor=2"), resource="items"
            )
    assert first.status_code == second.status_code == 200
    assert second.json() == {"data": [2]}
    assert [_holds_secret(s) for s in home.seen] == [True]
    assert [s.query for s in foreign.seen] == [{"cursor": "2"}]
    assert not _holds_secret(foreign.seen[0])


@pytest.mark.parametrize("kind", list(AUTHS), ids=list(AUTHS))
async def test_a_redirect_to_another_origin_gets_no_credentials(kind: str) -> None:
    async with _two_origins() as (home, home_url, foreign, foreign_url):
        home.on("/v1/items", Reply(302, "", {"Location": f"{foreign_url}/moved?page=1"}))
        foreign.on("/moved", Reply(200, {"data": [1]}))
        async with HttpClient(wire_config(home_url + "/v1/", **AUTHS[kind])) as http:
            response = await http.send(RequestSpec("GET", "items"), resource="items")
    assert response.json() == {"data": [1]}
    assert [_holds_secret(s) for s in home.seen] == [True]
    assert [s.path for s in foreign.seen] == ["/moved"]
    assert not _holds_secret(foreign.seen[0])


@pytest.mark.parametrize("kind", list(AUTHS), ids=list(AUTHS))
async def test_a_redirect_within_the_origin_keeps_the_credentials(kind: str) -> None:
    async with _two_origins() as (home, home_url, _, _):
        home.on("/v1/items", Reply(301, "", {"Location": "/v1/items2"}))
        async with HttpClient(wire_config(home_url + "/v1/", **AUTHS[kind])) as http:
            response = await http.send(RequestSpec("GET", "items"), resource="items")
    assert response.json() == {"path": "/v1/items2"}
    assert [s.path for s in home.seen] == ["/v1/items", "/v1/items2"]
    assert all(_holds_secret(s) for s in home.seen)
    # the credentials are applied afresh, not doubled: one cookie, one key in the query
    assert [s.cookies.get("sid") for s in home.seen] == (
        [SECRET, SECRET] if kind == "api_key_cookie" else [None, None]
    )


@pytest.mark.parametrize("kind", list(AUTHS), ids=list(AUTHS))
async def test_origins_named_in_auth_origins_get_the_credentials(kind: str) -> None:
    async with _two_origins() as (_, home_url, foreign, foreign_url):
        config = wire_config(home_url + "/v1/", auth_origins=[foreign_url], **AUTHS[kind])
        async with HttpClient(config) as http:
            await http.send(RequestSpec("GET", f"{foreign_url}/page2"), resource="items")
    assert _holds_secret(foreign.seen[0])


async def test_foreign_origins_refuse_fails_before_sending() -> None:
    async with _two_origins() as (home, home_url, foreign, foreign_url):
        home.on("/v1/items", Reply(302, "", {"Location": f"{foreign_url}/moved"}))
        config = wire_config(home_url + "/v1/", foreign_origins="refuse", **AUTHS["bearer"])
        async with HttpClient(config) as http:
            with pytest.raises(FatalAPIError) as info:
                await http.send(RequestSpec("GET", "items"), resource="items")
    assert foreign.seen == []
    message = str(info.value)
    assert f"the API points at {foreign_url}, outside the origins credentials go to" in message
    assert "client.foreign_origins is 'refuse'" in message
    assert "client.auth_origins" in info.value.hint


async def test_a_401_from_a_foreign_origin_says_no_credentials_were_sent() -> None:
    async with _two_origins() as (_, home_url, foreign, foreign_url):
        foreign.on("/page2", Reply(401, {"error": "who are you"}))
        async with HttpClient(wire_config(home_url + "/", **AUTHS["bearer"])) as http:
            with pytest.raises(FatalAPIError) as info:
                await http.send(RequestSpec("GET", f"{foreign_url}/page2"), resource="items")
    assert "restsync sent none" in str(info.value)
    assert "add its origin to client.auth_origins" in info.value.hint


async def test_no_credentials_after_a_downgrade_to_http() -> None:
    """Even to an origin the config allows: once a redirect went from https to http, nothing
    after it carries credentials (in-process, as the loopback servers speak plain http)."""
    api = FakeAPI()
    api.on("/v1/items", Reply(302, "", {"Location": "http://api.test/v1/plain"}))
    api.on("/v1/plain", Reply(302, "", {"Location": "https://api.test/v1/final"}))
    config = wire_config(
        "https://api.test/v1/", auth_origins=["http://api.test"], **AUTHS["api_key_header"]
    )
    async with HttpClient(config, transport=httpx.ASGITransport(app=api.app)) as http:
        response = await http.send(RequestSpec("GET", "items"), resource="items")
    assert response.json() == {"path": "/v1/final"}
    assert [(s.path, _holds_secret(s)) for s in api.seen] == [
        ("/v1/items", True),
        ("/v1/plain", False),
        ("/v1/final", False),
    ]


async def test_a_foreign_url_that_echoes_the_key_loses_it() -> None:
    async with _two_origins() as (_, home_url, foreign, foreign_url):
        config = wire_config(home_url + "/", **AUTHS["api_key_query"])
        async with HttpClient(config) as http:
            await http.send(
                RequestSpec("GET", f"{foreign_url}/p?key={SECRET}&page=2"), resource="items"
            )
    assert foreign.seen[0].query == {"page": "2"}
