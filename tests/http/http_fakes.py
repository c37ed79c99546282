"""Test helpers for restsync.http: a tiny scriptable API and bare loopback servers.

Deliberately not restsync.emulator: the client must be checked against a server that shares
none of its code.

``FakeAPI`` is a starlette app that records every request it receives (path, headers, query,
cookies, arrival time) and measures how many requests it is serving at once. Replies are
scripted per path: the listed replies are served in order, the last one repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from restsync.config import ClientConfig
from restsync.http import HttpClient


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    cookies: dict[str, str]
    at: float  # time.monotonic() on arrival


class FakeAPI:
    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.seen: list[Seen] = []
        self.answered: list[tuple[str, int, float]] = []  # (path, status, time.monotonic())
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: dict[str, list[Reply]] = {}
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    def on(self, path: str, *replies: Reply) -> None:
        self._script[path] = list(replies)

    def count(self, path: str | None = None) -> int:
        return sum(1 for s in self.seen if path is None or s.path == path)

    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        self.seen.append(
            Seen(
                request.method,
                path,
                dict(request.headers),
                dict(request.query_params),
                dict(request.cookies),
                time.monotonic(),
            )
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            script = self._script.get(path)
            reply = (script.pop(0) if len(script) > 1 else script[0]) if script else Reply()
        finally:
            self.in_flight -= 1
        self.answered.append((path, reply.status, time.monotonic()))
        body = reply.body if reply.body is not None else {"path": path}
        if isinstance(body, str):
            return Response(body, status_code=reply.status, headers=reply.headers)
        return JSONResponse(body, status_code=reply.status, headers=reply.headers)


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1; yields the base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@contextlib.asynccontextmanager
async def raw_server(handler: ConnectionHandler) -> AsyncIterator[str]:
    """A bare TCP server on 127.0.0.1 whose ``handler(reader, writer, n)`` sees the n-th
    connection (0-based): for faults no HTTP framework would produce."""
    counter = {"n": 0}

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = counter["n"]
        counter["n"] += 1
        try:
            await handler(reader, writer, number)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


ClientFactory = Callable[..., HttpClient]


async def read_request_head(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


OK_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n"
    b'connection: close\r\n\r\n{"ok":true}'
)


def wire_config(
    base_url: str, *, retry: dict[str, Any] | None = None, **extra: Any
) -> ClientConfig:
    """A client config for tests over real sockets: 10 ms backoff unless ``retry`` says
    otherwise; ``extra`` goes into the config as it is."""
    fast = {"initial_backoff": 0.01, "max_backoff": 1.0, **(retry or {})}
    return ClientConfig.model_validate({"base_url": base_url, "retry": fast, **extra})
