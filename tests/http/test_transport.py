"""AiohttpTransport, the wire under HttpClient, against bare TCP servers on 127.0.0.1: what the
server receives, what the client makes of answers httpx would decode, and faults."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import ssl
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import trustme
from http_fakes import free_port, raw_server, wire_config

from restsync import FatalAPIError, RetriableAPIError
from restsync.config import ClientConfig
from restsync.http import HttpClient, RequestSpec


def _config(base_url: str, **extra: Any) -> ClientConfig:
    return wire_config(base_url, retry={"max_retries": 1}, **extra)


async def _read_request(reader: asyncio.StreamReader) -> tuple[list[bytes], bytes]:
    """The request's head lines and its body (``Content-Length`` bytes)."""
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[:-2]
    length = next(
        (int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length")),
        0,
    )
    return lines, await reader.readexactly(length)


def _response(body: bytes, *headers: str, status: str = "200 OK", close: bool = True) -> bytes:
    head = [f"HTTP/1.1 {status}", f"content-length: {len(body)}", *headers]
    if close:
        head.append("connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def test_the_server_gets_the_request_httpx_built_and_httpx_decodes_the_answer() -> None:
    seen: list[tuple[list[bytes], bytes]] = []
    payload = {"items": [{"id": 1, "name": "Zoë"}]}
    long_value = "x" * 20_000  # over aiohttp's default limit of 8190 bytes per header line

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        seen.append(await _read_request(reader))
        writer.write(
            _response(
                gzip.compress(orjson.dumps(payload)),
                "content-type: application/json",
                "content-encoding: gzip",
                'link: <http://a/?page=2>; rel="next"',
                'link: <http://a/?page=9>; rel="last"',
                f"x-long: {long_value}",
                status="201 Made Here",
            )
        )
        await writer.drain()

    params = {"q": "a/b c", "name": "é", "ids": [1, 2]}
    request = RequestSpec("POST", "items", params=params, json={"since": "2024-01-01"})
    async with (
        raw_server(handler) as base,
        HttpClient(_config(f"{base}/v1/", headers={"X-Team": "t1"})) as http,
    ):
        response = await http.send(request, resource="items")
        expected_url = httpx.Request("POST", f"{base}/v1/items", params=params).url

    [(lines, body)] = seen
    assert lines[0] == b"POST " + expected_url.raw_path + b" HTTP/1.1"
    head = {k.strip().lower(): v.strip() for k, v in (line.split(b":", 1) for line in lines[1:])}
    assert head[b"content-type"] == b"application/json"
    assert head[b"x-team"] == b"t1"
    assert head[b"user-agent"].startswith(b"restsync/")
    assert orjson.loads(body) == {"since": "2024-01-01"}
    assert response.status_code == 201
    assert response.reason_phrase == "Made Here"
    assert response.json() == payload
    assert response.headers.get_list("link") == [
        '<http://a/?page=2>; rel="next"',
        '<http://a/?page=9>; rel="last"',
    ]
    assert response.headers["x-long"] == long_value


async def test_one_connection_serves_requests_one_after_another() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        connections.append(n)
        while not reader.at_eof():
            try:
                await _read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(_response(b'{"ok":true}', close=False))
            await writer.drain()

    async with raw_server(handler) as base, HttpClient(_config(f"{base}/")) as http:
        for page in range(3):
            response = await http.send(RequestSpec("GET", f"p/{page}"), resource="r")
            assert response.json() == {"ok": True}
    assert connections == [0]


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 abc nonsense\r\n\r\n",
        _response(b'{"ok":true}')[:-5],  # the body ends early: content-length says more
    ],
    ids=["malformed-status-line", "truncated-body"],
)
async def test_a_broken_answer_is_retried_then_reported(answer: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(answer)
        await writer.drain()

    async with raw_server(handler) as base, HttpClient(_config(f"{base}/")) as http:
        with pytest.raises(RetriableAPIError) as info:
            await http.send(RequestSpec("GET", "x"), resource="r")
        assert http.stats.requests == 2
    assert "server closed the connection or broke the HTTP protocol (RemoteProtocolError)" in str(
        info.value
    )


async def test_a_broken_answer_then_a_good_one_succeeds() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(_response(b'{"ok":true}')[: None if n else -5])
        await writer.drain()

    async with raw_server(handler) as base, HttpClient(_config(f"{base}/")) as http:
        response = await http.send(RequestSpec("GET", "x"), resource="r")
        assert http.stats.retries == 1
    assert response.json() == {"ok": True}


async def test_a_link_that_is_not_http_fails_at_once() -> None:
    async with HttpClient(_config("http://127.0.0.1:9/")) as http:
        with pytest.raises(FatalAPIError) as info:
            await http.send(RequestSpec("GET", "ftp://127.0.0.1/next"), resource="r")
        assert http.stats.requests == 1
    assert "http or https" in str(info.value)


async def test_a_proxy_from_the_environment_is_still_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx leaves proxies to the transport it is given: ours reads them as httpx would."""
    heads: list[list[bytes]] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        lines, _ = await _read_request(reader)
        heads.append(lines)
        writer.write(_response(b'{"via":"proxy"}', "content-type: application/json"))
        await writer.drain()

    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with raw_server(proxy) as proxy_url:
        with_user = proxy_url.replace("http://", "http://ann:s3cret@")
        monkeypatch.setenv("HTTP_PROXY", with_user)
        monkeypatch.setenv("http_proxy", with_user)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # direct, to a closed port
        closed = RequestSpec("GET", f"http://127.0.0.1:{free_port()}/")
        async with HttpClient(_config("http://api.example.invalid/v1/")) as http:
            response = await http.send(RequestSpec("GET", "things"), resource="r")
            with pytest.raises(RetriableAPIError, match="connection failed"):
                await http.send(closed, resource="r")
    assert response.json() == {"via": "proxy"}
    [head] = heads
    assert head[0] == b"GET http://api.example.invalid/v1/things HTTP/1.1"
    fields = dict(line.split(b": ", 1) for line in head[1:])
    assert fields[b"Proxy-Authorization"] == b"Basic " + base64.b64encode(b"ann:s3cret")


async def test_https_trusts_the_certificates_httpx_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown CA fails with a message that says so; the CA in SSL_CERT_FILE is trusted."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            await _read_request(reader)
            writer.write(_response(b'{"tls":true}', "content-type: application/json"))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_context)
    base = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with server:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        async with HttpClient(_config(base)) as http:
            with pytest.raises(RetriableAPIError) as info:
                await http.send(RequestSpec("GET", "x"), resource="r")
        assert "certificate verify failed" in str(info.value).lower()
        assert "SSL_CERT_FILE" in info.value.hint

        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        async with HttpClient(_config(base)) as http:
            response = await http.send(RequestSpec("GET", "x"), resource="r")
    assert response.json() == {"tls": True}


async def test_a_socks_proxy_from_the_environment_is_refused_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://user:pw@127.0.0.1:1080")
    monkeypatch.setenv("all_proxy", "socks5://user:pw@127.0.0.1:1080")
    async with HttpClient(_config("http://api.example.invalid/")) as http:
        with pytest.raises(FatalAPIError) as info:
            await http.send(RequestSpec("GET", "x"), resource="r")
        assert http.stats.requests == 1
    assert "(socks5://127.0.0.1) is not supported" in str(info.value)
    assert "NO_PROXY" in info.value.hint
    assert "pw" not in str(info.value)
