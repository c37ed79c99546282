"""A sync talks to the API and nothing else: dlt's telemetry is off in the tests (the
``RUNTIME__DLTHUB_TELEMETRY`` setting of tests/conftest.py), so every connection a sync makes,
in any thread, goes to the loopback interface."""

from __future__ import annotations

import gc
import ipaddress
import socket
import warnings
from pathlib import Path
from typing import Any

import pytest
from dlt.common.runtime.telemetry import stop_telemetry

from engine.sync_harness import config, resource
from restsync import load_config, sync
from restsync.emulator import EmulatorOptions, serve

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class Outbound:
    """Every host name looked up and every address connected to, from any thread; anything
    off the loopback interface is refused, so the test itself never reaches the network."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hosts: list[str] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            self._note(host)
            return real_getaddrinfo(host, *args, **kwargs)

        def connect(sock: socket.socket, address: Any) -> None:
            self._note(address[0] if isinstance(address, tuple) else None)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            self._note(address[0] if isinstance(address, tuple) else None)
            return real_connect_ex(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)

    def _note(self, host: Any) -> None:
        if host is None:  # a Unix socket: not the network
            return
        name = host.decode() if isinstance(host, bytes) else str(host)
        self.hosts.append(name)
        if not _is_loopback(name):
            raise OSError(f"test: no network beyond loopback (tried {name})")

    @property
    def off_loopback(self) -> list[str]:
        return [host for host in self.hosts if not _is_loopback(host)]


def test_a_sync_connects_to_loopback_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = config(resource("items", paginator={"type": "page_number", "base_page": 1}))
    options = EmulatorOptions(records=30, page_size=10)
    outbound = Outbound(monkeypatch)

    with serve(load_config(source), options) as running:
        result = sync(source, base_url=running.url, duckdb_file=tmp_path / "out.duckdb")
    # dlt sends its telemetry from a thread pool after the run: wait for whatever it queued
    stop_telemetry()

    assert result.tables == {"items": 30}
    assert outbound.hosts, "nothing connected at all: the recorder saw nothing"
    assert outbound.off_loopback == []


def test_a_sync_leaves_no_task_and_no_socket_behind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The engine stops once dlt has every page, while its HTTP client may still be closing
    connections: that closing must finish, or asyncio reports a task destroyed while pending
    (before the fix: in about half of such syncs) and sockets stay open."""
    page_number = {"type": "page_number", "base_page": 1}
    source = config(*(resource(f"r{n}", paginator=page_number) for n in range(6)))
    options = EmulatorOptions(records=100, page_size=10, latency=0.02)

    with warnings.catch_warnings(record=True) as caught, serve(load_config(source), options) as api:
        warnings.simplefilter("always", ResourceWarning)
        for run in range(5):
            result = sync(source, base_url=api.url, duckdb_file=tmp_path / f"{run}.duckdb")
            assert result.tables == {f"r{n}": 100 for n in range(6)}
            gc.collect()

    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
