"""serve(): the same emulator over real HTTP on 127.0.0.1, started and stopped cleanly."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
import uvicorn
from emulator_helpers import SECRET, ids, resource, source

from restsync._exceptions import RestSyncError
from restsync.emulator import EmulatorOptions, _serve, serve

AUTH = {"type": "api_key", "name": "X-API-KEY", "api_key": SECRET}
CONFIG = source(
    resource("campaigns", data_selector=["data", "campaigns"], paginator={"type": "single_page"}),
    resource("prospects", paginator={"type": "page_number", "base_page": 1}),
    auth=AUTH,
)


def test_walks_pages_over_loopback_and_counts_requests() -> None:
    options = EmulatorOptions(records=120, envelopes={"prospects": "data.prospects"})
    with serve(CONFIG, options) as running:
        assert running.url == f"http://127.0.0.1:{running.port}/api/v1/"
        collected = []
        with httpx.Client(base_url=running.url, headers={"X-API-KEY": SECRET}) as http:
            campaigns = http.get("campaigns").json()["data"]["campaigns"]
            page = 1
            while batch := http.get("prospects", params={"page": page}).json()["data"]["prospects"]:
                collected += batch
                page += 1
            unauthorised = httpx.get(running.url + "campaigns")
        assert campaigns == running.emulator.records("campaigns")
        assert collected == running.emulator.records("prospects")
        assert ids(collected) == list(range(1, 121))
        assert unauthorised.status_code == 401
        assert running.stats.requests == 1 + 4 + 1
        assert running.stats.responses_by_status == {200: 5, 401: 1}
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url + "campaigns", timeout=2)


async def test_concurrent_requests_are_in_flight_together() -> None:
    with serve(CONFIG, EmulatorOptions(latency=0.2)) as running:
        async with httpx.AsyncClient(base_url=running.url, headers={"X-API-KEY": SECRET}) as http:
            responses = await asyncio.gather(
                *(http.get("prospects", params={"page": p}) for p in range(1, 9))
            )
        assert [r.status_code for r in responses] == [200] * 8
        assert running.stats.max_in_flight == 8


def test_fixed_port_and_busy_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serve(CONFIG, port=port) as running:
        assert running.port == port
        busy = pytest.raises(RestSyncError, match=f"cannot listen on 127.0.0.1:{port}")
        with busy, serve(CONFIG, port=port):
            pass


def test_accepted_connections_send_without_nagle_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    # without TCP_NODELAY each response waited for a delayed ACK: ~40 ms per request
    servers: list[uvicorn.Server] = []

    class Recorded(uvicorn.Server):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            servers.append(self)

    monkeypatch.setattr(_serve.uvicorn, "Server", Recorded)
    with serve(CONFIG) as running, httpx.Client(base_url=running.url) as http:
        http.get("campaigns", headers={"X-API-KEY": SECRET})  # the connection stays open
        (server,) = servers
        sockets = [c.transport.get_extra_info("socket") for c in server.server_state.connections]
        assert len(sockets) == 1
        assert sockets[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
