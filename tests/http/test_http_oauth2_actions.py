"""OAuth2 client credentials, response actions and request bodies, on the wire of a fake API
that shares no code with the client."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import requests
from http_fakes import ClientFactory, FakeAPI, Reply
from starlette.requests import Request
from starlette.responses import Response

from restsync import FatalAPIError, RetriableAPIError
from restsync.config import ClientConfig, OAuth2ClientCredentials, ResponseAction
from restsync.http import (
    HttpClient,
    OAuth2ClientCredentialsFlow,
    RequestSpec,
    ResponseIgnored,
    response_reactor,
)

SECRET = "Zq7-oauth-client-secret-4471"
TOKEN_URL = "http://api.test/oauth/token"


def _oauth(**extra: Any) -> dict[str, Any]:
    return {
        "type": "oauth2_client_credentials",
        "access_token_url": TOKEN_URL,
        "client_id": "the-client",
        "client_secret": SECRET,
        **extra,
    }


def _token(value: str = "tok-1", **extra: Any) -> Reply:
    return Reply(200, {"access_token": value, "token_type": "bearer", **extra})


async def test_one_token_serves_concurrent_requests(
    make_client: ClientFactory, api: FakeAPI
) -> None:
    api.on("/oauth/token", _token())
    api.delay = 0.01
    auth = _oauth(access_token_request_data={"audience": "items", "scope": ["a", "b"]})
    async with make_client(auth=auth) as http:
        await asyncio.gather(
            *(http.send(RequestSpec("GET", f"items/{n}"), resource="items") for n in range(12))
        )
    tokens = [s for s in api.seen if s.path == "/oauth/token"]
    assert len(tokens) == 1
    assert tokens[0].method == "POST"
    data = [s for s in api.seen if s.path.startswith("/v1/items")]
    assert len(data) == 12
    assert {s.headers["authorization"] for s in data} == {"Bearer tok-1"}


class BodyAPI:
    """Answers every request with 200 and keeps its method, path, content-type and body; the
    token endpoint hands out a token, ``/v1/latin`` answers in windows-1252."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, str, str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        body = await request.body()
        path = request.url.path
        self.bodies.append((request.method, path, request.headers.get("content-type", ""), body))
        if path == "/oauth/token":
            answer = Response(b'{"access_token": "tok"}', media_type="application/json")
        elif path == "/v1/latin":
            answer = Response('{"name": "caf\u00e9"}'.encode("cp1252"), media_type="text/plain")
        else:
            answer = Response(b'{"ok": true}', media_type="application/json")
        await answer(scope, receive, send)


def _client(app: Any, **config: Any) -> HttpClient:
    settings = {"base_url": "http://api.test/v1/", **config}
    return HttpClient(ClientConfig.model_validate(settings), transport=httpx.ASGITransport(app=app))


async def test_token_form_is_what_dlt_posts() -> None:
    app = BodyAPI()
    extra = {"audience": "items", "flag": True, "scopes": ["a", "b"], "unset": None}
    async with _client(app, auth=_oauth(access_token_request_data=extra)) as http:
        await http.send(RequestSpec("GET", "items"), resource="items")
    (method, path, kind, body), _ = app.bodies
    assert (method, path, kind) == ("POST", "/oauth/token", "application/x-www-form-urlencoded")
    # dlt posts its form through requests: the same fields, encoded the same way
    prepared = requests.Request(
        "POST",
        TOKEN_URL,
        data={
            "client_id": "the-client",
            "client_secret": SECRET,
            "grant_type": "client_credentials",
            **extra,
        },
    ).prepare()
    assert parse_qs(body.decode()) == parse_qs(str(prepared.body))


async def test_token_fetched_again_after_it_expired() -> None:
    now = [100.0]
    config = OAuth2ClientCredentials.model_validate(_oauth(default_token_expiration=60))
    flow = OAuth2ClientCredentialsFlow(config, clock=lambda: now[0])

    answers = iter(["tok-1", "tok-2"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": next(answers)})
        return httpx.Response(200, json={"auth": request.headers["authorization"]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        first = await client.get("http://api.test/a", auth=flow)
        now[0] += 59.0
        second = await client.get("http://api.test/b", auth=flow)
        now[0] += 1.0  # default_token_expiration: the token has expired
        third = await client.get("http://api.test/c", auth=flow)
    assert [r.json()["auth"] for r in (first, second, third)] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert flow.tokens_fetched == 2


async def test_refused_client_credentials_fail_naming_the_token_url(
    make_client: ClientFactory, api: FakeAPI
) -> None:
    api.on("/oauth/token", Reply(401, {"error": "invalid_client", "echo": SECRET}))
    async with make_client(auth=_oauth()) as http:
        with pytest.raises(FatalAPIError) as caught:
            await http.send(RequestSpec("GET", "items"), resource="items")
    error = caught.value
    assert error.status == 401
    assert error.url == TOKEN_URL
    assert "token endpoint answered HTTP 401" in str(error)
    assert "client_secret" in error.hint
    assert SECRET not in str(error)
    assert api.count("/v1/items") == 0


async def test_token_endpoint_overload_is_retried(make_client: ClientFactory, api: FakeAPI) -> None:
    api.on("/oauth/token", Reply(503), Reply(503), _token("tok-9"))
    async with make_client(auth=_oauth()) as http:
        response = await http.send(RequestSpec("GET", "items"), resource="items")
    assert response.status_code == 200
    assert api.count("/oauth/token") == 3
    assert api.seen[-1].headers["authorization"] == "Bearer tok-9"


async def test_token_overload_outliving_retries_is_retriable(
    make_client: ClientFactory, api: FakeAPI
) -> None:
    api.on("/oauth/token", Reply(503))
    async with make_client(auth=_oauth(), retry={"max_retries": 1}) as http:
        with pytest.raises(RetriableAPIError) as caught:
            await http.send(RequestSpec("GET", "items"), resource="items")
    assert caught.value.status == 503
    assert api.count("/oauth/token") == 2


async def test_token_answer_without_access_token(make_client: ClientFactory, api: FakeAPI) -> None:
    api.on("/oauth/token", Reply(200, {"token_type": "bearer"}))
    async with make_client(auth=_oauth()) as http:
        with pytest.raises(FatalAPIError, match="holds no 'access_token'"):
            await http.send(RequestSpec("GET", "items"), resource="items")
    assert api.count("/oauth/token") == 1


def _actions(*actions: Any) -> tuple[Any, ...]:
    return tuple(ResponseAction.model_validate(a) if isinstance(a, dict) else a for a in actions)


async def test_ignore_by_status_and_content(make_client: ClientFactory, api: FakeAPI) -> None:
    api.on("/v1/gone", Reply(404, {"error": "no such thing"}))
    api.on("/v1/empty", Reply(200, {"error": "nothing for this account"}))
    react = response_reactor(
        _actions(
            {"status_code": 404, "action": "ignore"},
            {"content": "nothing for this", "action": "ignore"},
        )
    )
    async with make_client() as http:
        for path in ("gone", "empty"):
            with pytest.raises(ResponseIgnored):
                await http.send(RequestSpec("GET", path), resource="r", react=react)
        ok = await http.send(RequestSpec("GET", "fine"), resource="r", react=react)
    assert ok.status_code == 200
    # a 404 ignored is not retried
    assert api.count("/v1/gone") == 1


async def test_callables_change_the_response_before_it_is_judged(
    make_client: ClientFactory, api: FakeAPI
) -> None:
    api.on("/v1/odd", Reply(418, {"items": [{"email": "a@b.c"}]}))
    calls: list[int] = []

    def accept_teapot(response: requests.Response) -> None:
        calls.append(response.status_code)
        response.status_code = 200

    def scrub(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        response._content = response.content.replace(b"@", b" at ")

    react = response_reactor(_actions({"status_code": 418, "action": [accept_teapot]}, scrub))
    async with make_client() as http:
        response = await http.send(RequestSpec("GET", "odd"), resource="r", react=react)
    assert calls == [418]
    assert response.status_code == 200
    assert response.json() == {"items": [{"email": "a at b.c"}]}


async def test_encoding_set_by_an_action_is_honoured() -> None:
    def cp1252(response: requests.Response) -> None:
        response.encoding = "windows-1252"

    react = response_reactor(_actions(cp1252))
    async with _client(BodyAPI()) as http:
        response = await http.send(RequestSpec("GET", "latin"), resource="r", react=react)
    assert response.json() == {"name": "caf\u00e9"}


@pytest.mark.parametrize(
    "data",
    [{"q": "a b", "n": 3, "flag": True, "none": None}, {"tags": ["x", "y"]}],
    ids=["scalars", "list"],
)
async def test_form_bodies_encode_as_requests_does(data: dict[str, Any]) -> None:
    app = BodyAPI()
    async with _client(app) as http:
        await http.send(RequestSpec("POST", "search", data=data), resource="r")
        await http.send(RequestSpec("POST", "raw", data="a=1&b=2"), resource="r")
    (_, _, kind, body), (_, _, _, raw) = app.bodies
    assert kind == "application/x-www-form-urlencoded"
    expected = parse_qs(str(requests.Request("POST", "http://x", data=data).prepare().body))
    assert parse_qs(body.decode()) == expected
    assert raw == b"a=1&b=2"
