"""Retries, backoff, Retry-After and the errors HttpClient gives up with."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest
from http_fakes import ClientFactory, FakeAPI, Reply

from restsync import FatalAPIError, RetriableAPIError
from restsync.http import HttpEvent, RequestSpec, rate_limit_reset, retry_after

GET_X = RequestSpec("GET", "x")


def _kinds(events: list[HttpEvent]) -> list[tuple[str, int | None]]:
    return [(e.kind, e.status) for e in events]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_burst_of_failures_then_success(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent], status: int
) -> None:
    api.on("/v1/x", Reply(status), Reply(status), Reply(200, {"ok": 1}))
    async with make_client() as http:
        response = await http.send(GET_X, resource="things")
        assert response.json() == {"ok": 1}
        assert http.stats.requests == 3
        assert http.stats.retries == 2
    assert api.count() == 3
    assert {e.resource for e in events} == {"things"}
    retries = [e for e in events if e.kind == "retry"]
    assert [e.status for e in retries] == [status, status]
    assert _kinds(events)[-1] == ("request", 200)


async def test_backoff_grows_and_is_capped(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    api.on("/v1/x", Reply(500), Reply(500), Reply(500), Reply(500), Reply(200))
    retry = {"initial_backoff": 0.01, "backoff_factor": 3, "max_backoff": 0.05, "max_retries": 5}
    async with make_client(retry=retry) as http:
        await http.send(GET_X, resource="x")
    waits = [e.wait for e in events if e.kind == "retry"]
    assert len(waits) == 4
    for wait, base in zip(waits, [0.01, 0.03, 0.05, 0.05], strict=True):
        assert base <= wait <= min(base * 1.1, 0.05) + 1e-9


async def test_gives_up_after_max_retries_with_exact_error(
    api: FakeAPI, make_client: ClientFactory
) -> None:
    api.on("/v1/x", Reply(503, "upstream   overloaded\n" + "z" * 300))
    async with make_client() as http:
        with pytest.raises(RetriableAPIError) as info:
            await http.send(RequestSpec("GET", "x", params={"page": 4}), resource="campaigns")
        assert http.stats.requests == 4
        assert http.stats.retries == 3
    assert api.count() == 4
    error = info.value
    assert error.status == 503
    assert error.resource == "campaigns"
    assert error.url == "http://api.test/v1/x?page=4"
    excerpt = ("upstream overloaded " + "z" * 300)[:197] + "..."
    assert str(error) == (
        "resource 'campaigns': gave up after 3 retries: last answer 503 Service Unavailable, "
        f"body: {excerpt} (HTTP 503)\n"
        "  url: http://api.test/v1/x?page=4\n"
        "  what to do: the API is overloaded or down; try again later, or raise "
        "client.retry.max_retries / lower client.limits"
    )


async def test_zero_retries_fails_on_first_answer(api: FakeAPI, make_client: ClientFactory) -> None:
    api.on("/v1/x", Reply(502))
    async with make_client(retry={"max_retries": 0}) as http:
        with pytest.raises(RetriableAPIError, match="gave up after 0 retries"):
            await http.send(GET_X, resource="x")
    assert api.count() == 1


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "client.auth is an api_key sent in the header 'X-API-KEY'"),
        (403, "client.auth.api_key (secrets file or environment)"),
        (404, "check client.base_url and the endpoint path"),
        (400, "check the endpoint's params, json body and headers"),
        (422, "check the endpoint's params, json body and headers"),
        (501, "add this status to client.retry.statuses"),
    ],
    ids=["401", "403", "404", "400", "422", "501-not-in-retry-statuses"],
)
async def test_fatal_answers_fail_at_once(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent], status: int, hint: str
) -> None:
    api.on("/v1/x", Reply(status, {"error": "nope"}))
    auth = {"type": "api_key", "name": "X-API-KEY", "api_key": "secret-key-1"}
    async with make_client(auth=auth) as http:
        with pytest.raises(FatalAPIError) as info:
            await http.send(GET_X, resource="x")
    assert api.count() == 1
    assert not [e for e in events if e.kind == "retry"]
    error = info.value
    assert error.status == status
    assert hint in error.hint
    assert '{"error":"nope"}' in str(error)
    assert "secret-key-1" not in str(error)


@pytest.mark.parametrize(
    ("auth", "fragment"),
    [
        (None, "the config sends no credentials; add client.auth"),
        ({"type": "bearer", "token": "t0k"}, "client.auth is a bearer token"),
        ({"type": "http_basic", "username": "ann", "password": "pw"}, "http_basic for user 'ann'"),
        ({"type": "api_key", "name": "k", "api_key": "v", "location": "query"}, "query 'k'"),
    ],
    ids=["no-auth", "bearer", "basic", "api-key-query"],
)
async def test_401_hint_names_the_auth(
    api: FakeAPI, make_client: ClientFactory, auth: dict[str, str] | None, fragment: str
) -> None:
    api.on("/v1/x", Reply(401))
    async with make_client(auth=auth) as http:
        with pytest.raises(FatalAPIError) as info:
            await http.send(GET_X, resource="x")
    assert fragment in info.value.hint


async def test_retry_after_seconds_is_honoured(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    api.on("/v1/x", Reply(429, headers={"Retry-After": "1"}), Reply(200))
    async with make_client() as http:
        await http.send(GET_X, resource="x")
        assert http.stats.throttled == 1
    first, second = (s.at for s in api.seen)
    assert second - first >= 0.95
    assert ("throttle", 429) in _kinds(events)
    assert [e.wait for e in events if e.kind == "retry"] == [1.0]


async def test_retry_after_http_date_is_honoured(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    target = int(time.time()) + 2  # HTTP-dates have whole seconds
    api.on(
        "/v1/x", Reply(503, headers={"Retry-After": formatdate(target, usegmt=True)}), Reply(200)
    )
    async with make_client() as http:
        await http.send(GET_X, resource="x")
    first, second = api.seen
    (retry,) = [e for e in events if e.kind == "retry"]
    assert 0.9 < retry.wait <= 2.0
    assert second.at - first.at >= retry.wait - 0.05
    assert time.time() >= target - 0.05


async def test_rate_limit_headers_on_429_give_the_wait(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.3"}
    api.on("/v1/x", Reply(429, headers=headers), Reply(200))
    async with make_client() as http:
        await http.send(GET_X, resource="x")
    first, second = (s.at for s in api.seen)
    assert second - first >= 0.28
    assert [e.wait for e in events if e.kind == "retry"] == [0.3]


async def test_retry_after_longer_than_max_backoff_gives_up(
    api: FakeAPI, make_client: ClientFactory, events: list[HttpEvent]
) -> None:
    api.on("/v1/x", Reply(429, headers={"Retry-After": "3600"}))
    async with make_client(retry={"max_backoff": 30}) as http:
        with pytest.raises(RetriableAPIError) as info:
            await http.send(GET_X, resource="x")
    # given up at once: the host paused for later requests, but no retry announced (a retry
    # is announced before its wait), none sent
    assert [e.kind for e in events] == ["request", "throttle"]
    assert api.count() == 1
    assert "asked to wait 3600 s" in str(info.value)
    assert "client.retry.max_backoff (30 s)" in str(info.value)


async def test_statuses_outside_retry_list_are_not_retried(
    api: FakeAPI, make_client: ClientFactory
) -> None:
    api.on("/v1/x", Reply(503))
    async with make_client(retry={"statuses": [500]}) as http:
        with pytest.raises(FatalAPIError):
            await http.send(GET_X, resource="x")
    assert api.count() == 1


async def test_configured_4xx_is_retried(api: FakeAPI, make_client: ClientFactory) -> None:
    api.on("/v1/x", Reply(408), Reply(200))
    async with make_client(retry={"statuses": [408, 503]}) as http:
        response = await http.send(GET_X, resource="x")
    assert response.status_code == 200
    assert api.count() == 2


async def test_post_json_body_is_resent_on_retry(api: FakeAPI, make_client: ClientFactory) -> None:
    api.on("/v1/search", Reply(500), Reply(200))
    auth = {"type": "api_key", "name": "sid", "api_key": "c00kie", "location": "cookie"}
    async with make_client(auth=auth) as http:
        await http.send(RequestSpec("POST", "search", json={"q": "a"}), resource="s")
    first, second = api.seen
    assert first.method == second.method == "POST"
    assert second.headers["content-length"] == first.headers["content-length"]
    # a fresh request per attempt: the auth cookie is not appended twice
    assert second.headers["cookie"] == "sid=c00kie"


async def test_send_needs_the_context_manager(make_client: ClientFactory) -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await make_client().send(GET_X, resource="x")


def _response(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(429, headers=headers)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": " 0 "}, 0.0),
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),
    ],
    ids=["absent", "seconds", "zero", "negative", "garbage", "nan", "inf", "date-in-the-past"],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after(_response(headers)) == expected


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, 12, 12),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "EPOCH+30"}, 29, 30),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "EPOCHMS+30"}, 29, 30),
    ],
    ids=["delta", "epoch-seconds", "epoch-millis"],
)
def test_rate_limit_reset_parsing(headers: dict[str, str], low: float, high: float) -> None:
    now = time.time()
    values = {
        k: v.replace("EPOCHMS+30", str(int((now + 30) * 1000))).replace("EPOCH+30", str(now + 30))
        for k, v in headers.items()
    }
    reset = rate_limit_reset(_response(values))
    assert reset is not None
    assert low <= reset <= high


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"RateLimit-Remaining": "3", "RateLimit-Reset": "12"},
        {"RateLimit-Remaining": "0"},
        {"RateLimit-Remaining": "zero", "RateLimit-Reset": "12"},
    ],
    ids=["absent", "budget-left", "no-reset", "garbage"],
)
def test_rate_limit_reset_absent(headers: dict[str, str]) -> None:
    assert rate_limit_reset(_response(headers)) is None
