"""Serve an emulator over real HTTP on the loopback interface, in a background thread.

``serve()`` binds the socket itself (port 0 picks a free port, known before uvicorn starts),
runs uvicorn on its own event loop in a daemon thread, waits until it accepts connections and
stops it cleanly when the ``with`` block ends, even when the block raised.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import uvicorn

from restsync._exceptions import RestSyncError
from restsync.config import SourceConfig

from ._app import Emulator
from ._options import EmulatorOptions, EmulatorStats

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningEmulator:
    """A served emulator. ``url`` is the config's base URL moved to this server (scheme, host
    and port replaced, path kept): put it into ``client.base_url`` to sync against it."""

    url: str
    host: str
    port: int
    emulator: Emulator

    @property
    def stats(self) -> EmulatorStats:
        return self.emulator.stats


@contextmanager
def serve(
    config: SourceConfig,
    options: EmulatorOptions | None = None,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
) -> Iterator[RunningEmulator]:
    """Run an ``Emulator`` for ``config`` with uvicorn until the ``with`` block ends."""
    emulator = Emulator(config, options)
    with serve_app(emulator.app, port=port, host=host) as bound_port:
        base = urlsplit(config.client.base_url)
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound_port}{base.path}"
        yield RunningEmulator(url=url, host=host, port=bound_port, emulator=emulator)


@contextmanager
def serve_app(app: Any, *, port: int = 0, host: str = "127.0.0.1") -> Iterator[int]:
    """Run the ASGI ``app`` (an emulator's, or one wrapping it) with uvicorn until the
    ``with`` block ends; yields the port it listens on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on sockets that do, and without it
    # Nagle's algorithm meets delayed ACKs and every response waits ~40 ms
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RestSyncError(
            f"emulator: cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another port, or port 0 for any free one"
        ) from exc
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=bound_port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            backlog=4096,
            timeout_keep_alive=60,
            timeout_graceful_shutdown=5,
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="restsync-emulator", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RestSyncError(f"emulator: uvicorn did not start on {host}:{bound_port}")
            time.sleep(0.01)
        yield bound_port
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        sock.close()
