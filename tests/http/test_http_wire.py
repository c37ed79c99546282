"""HttpClient over real sockets on 127.0.0.1: uvicorn, a closed port, bare TCP faults."""

from __future__ import annotations

import asyncio
import base64
import contextlib

import pytest
from http_fakes import (
    OK_RESPONSE,
    FakeAPI,
    Reply,
    free_port,
    raw_server,
    read_request_head,
    uvicorn_server,
    wire_config,
)

from restsync import FatalAPIError, RetriableAPIError
from restsync.http import HttpClient, HttpEvent, RequestSpec


async def test_real_uvicorn_server() -> None:
    api = FakeAPI(delay=0.02)
    api.on("/api/v1/flaky", Reply(503), Reply(200, {"data": [1, 2]}))
    api.on("/api/v1/missing", Reply(404, {"error": "no such thing"}))
    async with uvicorn_server(api.app) as base:
        config = wire_config(
            f"{base}/api/v1/",
            auth={"type": "http_basic", "username": "ann", "password": "pw"},
            limits={"max_in_flight": 3},
        )
        async with HttpClient(config) as http:
            response = await http.send(RequestSpec("GET", "/flaky"), resource="flaky")
            assert response.json() == {"data": [1, 2]}
            await asyncio.gather(
                *(http.send(RequestSpec("GET", f"p/{i}"), resource="p") for i in range(20))
            )
            with pytest.raises(FatalAPIError) as info:
                await http.send(RequestSpec("GET", "missing"), resource="m")
    assert info.value.status == 404
    assert info.value.url == f"{base}/api/v1/missing"
    assert api.count("/api/v1/flaky") == 2
    assert api.count("/api/v1/missing") == 1
    assert api.max_in_flight == 3
    expected = "Basic " + base64.b64encode(b"ann:pw").decode()
    assert {s.headers["authorization"] for s in api.seen} == {expected}


async def test_connect_error_is_retried_then_reported() -> None:
    events: list[HttpEvent] = []
    config = wire_config(f"http://127.0.0.1:{free_port()}/", retry={"max_retries": 2})
    async with HttpClient(config, on_event=events.append) as http:
        with pytest.raises(RetriableAPIError) as info:
            await http.send(RequestSpec("GET", "x"), resource="r")
        assert http.stats.requests == 3
        assert http.stats.retries == 2
    assert "gave up after 2 retries: last error: connection failed (ConnectError)" in str(
        info.value
    )
    assert info.value.status is None
    assert "reachable" in info.value.hint
    assert [(e.kind, e.status) for e in events] == [
        ("request", None),
        ("retry", None),
        ("request", None),
        ("retry", None),
        ("request", None),
    ]


async def test_dropped_connections_are_retried() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request_head(reader)
        if n >= 2:  # the first two connections are dropped without an answer
            writer.write(OK_RESPONSE)
            await writer.drain()

    async with raw_server(handler) as base, HttpClient(wire_config(base + "/")) as http:
        response = await http.send(RequestSpec("GET", "x"), resource="r")
        assert http.stats.retries == 2
    assert response.json() == {"ok": True}


async def test_read_timeout_is_retried_then_reported() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request_head(reader)
        await asyncio.sleep(1.0)

    async with raw_server(handler) as base:
        config = wire_config(base + "/", timeout=0.1, retry={"max_retries": 1})
        async with HttpClient(config) as http:
            with pytest.raises(RetriableAPIError) as info:
                await http.send(RequestSpec("GET", "x"), resource="r")
            assert http.stats.requests == 2
    assert "last error: read timeout (ReadTimeout)" in str(info.value)


async def test_a_trickling_body_fails_at_the_request_deadline() -> None:
    """Each byte comes well within the read timeout, the whole body would take 8 s: the
    request as a whole must give up after client.timeout, and be retried like a timeout."""
    sent: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        writer.write(b"content-length: 40\r\n\r\n")
        sent.append(0)
        with contextlib.suppress(ConnectionError):
            for _ in range(40):
                writer.write(b" ")
                await writer.drain()
                sent[n] += 1
                await asyncio.sleep(0.2)

    events: list[HttpEvent] = []
    async with raw_server(handler) as base:
        config = wire_config(base + "/", timeout=1.0, retry={"max_retries": 1})
        async with HttpClient(config, on_event=events.append) as http:
            with pytest.raises(RetriableAPIError) as info:
                await http.send(RequestSpec("GET", "x"), resource="r")
    assert "last error: request deadline exceeded (DeadlineExceeded)" in str(info.value)
    assert "longer than client.timeout (1 s) plus 1 s" in str(info.value)
    assert [(e.kind, e.status) for e in events] == [
        ("request", None),
        ("retry", None),
        ("request", None),
    ]
    assert len(sent) == 2  # two connections: the attempt and its retry
    assert all(0 < n < 40 for n in sent)  # both cut off with the body unfinished


async def _serving(api: FakeAPI, count: int) -> None:
    while api.in_flight < count:
        await asyncio.sleep(0.005)


@pytest.mark.parametrize(
    "limits",
    [{"max_in_flight": 1}, {"max_in_flight": 4, "max_in_flight_per_host": 1}],
    ids=["global_cap", "per_host_cap"],
)
async def test_a_cancelled_request_keeps_its_slot_until_the_server_answered(
    limits: dict[str, int],
) -> None:
    api = FakeAPI(delay=0.3)
    async with (
        uvicorn_server(api.app) as base,
        HttpClient(wire_config(f"{base}/", limits=limits)) as http,
    ):
        first = asyncio.create_task(http.send(RequestSpec("GET", "first"), resource="r"))
        await _serving(api, 1)
        first.cancel()
        await http.send(RequestSpec("GET", "second"), resource="r")
        with pytest.raises(asyncio.CancelledError):
            await first
        assert http.stats.in_flight == 0
    assert api.max_in_flight == 1
    answered_first = next(at for path, _, at in api.answered if path == "/first")
    second = next(s for s in api.seen if s.path == "/second")
    assert second.at >= answered_first


async def test_a_request_cancelled_twice_is_abandoned_at_once() -> None:
    api = FakeAPI(delay=1.0)
    config = {"limits": {"max_in_flight": 1}}
    async with (
        uvicorn_server(api.app) as base,
        HttpClient(wire_config(f"{base}/", **config)) as http,
    ):
        task = asyncio.create_task(http.send(RequestSpec("GET", "slow"), resource="r"))
        await _serving(api, 1)
        task.cancel()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # abandoned before the server answered (it answers after 1 s)
        assert not [path for path, _, _ in api.answered if path == "/slow"]
        assert http.stats.in_flight == 0
        # the slot is free again
        api.delay = 0.0
        response = await http.send(RequestSpec("GET", "next"), resource="r")
        assert response.status_code == 200


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-5", "1e999", "soon"])
@pytest.mark.parametrize("status", [429, 503])
async def test_an_unusable_retry_after_is_no_wait_at_all(value: str, status: int) -> None:
    api = FakeAPI()
    api.on("/x", Reply(status, headers={"Retry-After": value}), Reply(200, {"ok": 1}))
    events: list[HttpEvent] = []
    async with uvicorn_server(api.app) as base:
        config = wire_config(base + "/", retry={"initial_backoff": 0.01, "max_backoff": 30.0})
        async with HttpClient(config, on_event=events.append) as http:
            response = await http.send(RequestSpec("GET", "x"), resource="r")
    assert response.json() == {"ok": 1}
    assert api.count("/x") == 2
    # the computed backoff (10 ms + jitter), not a wait the header was taken to ask for
    assert [e.wait for e in events if e.kind == "retry"] == [pytest.approx(0.0105, abs=0.0006)]


async def test_a_base_url_with_user_and_password_is_basic_auth() -> None:
    api = FakeAPI()
    api.on("/v1/private", Reply(401, {"error": "bad credentials", "echo": "p@ss w0rd"}))
    async with uvicorn_server(api.app) as base:
        config = wire_config(base.replace("http://", "http://ann:p%40ss%20w0rd@") + "/v1/")
        async with HttpClient(config) as http:
            response = await http.send(RequestSpec("GET", "items"), resource="items")
            with pytest.raises(FatalAPIError) as info:
                await http.send(RequestSpec("GET", "private"), resource="private")
    assert response.json() == {"path": "/v1/items"}
    expected = "Basic " + base64.b64encode(b"ann:p@ss w0rd").decode()
    assert [s.headers["authorization"] for s in api.seen] == [expected, expected]
    assert "p@ss" not in str(info.value)
    assert "p%40ss" not in str(info.value)
    assert '"echo":"***"' in str(info.value)
