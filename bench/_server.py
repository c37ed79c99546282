"""The emulators a benchmark talks to, served from ONE separate process.

The emulator's CPU must not compete with the client's GIL, so every emulator of a benchmark
invocation runs in one child process (``python -m bench._child server``: a fresh interpreter,
nothing inherited) that serves each one with ``restsync.emulator.serve`` on its own port. The
parent talks to the child in JSON lines over its stdin and stdout: it asks for the stats one
emulator collected (requests, 429s sent, most requests in flight at once) and resets them
between runs. The emulator itself is used as it is: nothing is added to the API it serves.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[1]

_START_TIMEOUT = 60.0
_REPLY_TIMEOUT = 30.0


@dataclass(frozen=True)
class EmulatorSpec:
    """One emulator to serve: a restsync config (raw dict, with ``{secret: NAME}`` references
    answered by ``secrets``) and ``EmulatorOptions`` keyword arguments."""

    config: Mapping[str, Any]
    secrets: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


class BenchError(RuntimeError):
    """The harness itself could not do its job (an emulator did not start or answer)."""


def _send(out: IO[str], message: Any) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _serve_forever(specs: dict[str, EmulatorSpec], out: IO[str]) -> None:
    from restsync.config import load_config
    from restsync.emulator import EmulatorOptions, RunningEmulator, serve

    running: dict[str, RunningEmulator] = {}
    with ExitStack() as stack:
        try:
            for key, spec in specs.items():
                config = load_config(dict(spec.config), secrets=dict(spec.secrets))
                options = EmulatorOptions(**dict(spec.options))
                running[key] = stack.enter_context(serve(config, options))
        except Exception as exc:
            _send(out, {"error": f"{type(exc).__name__}: {exc}"})
            return
        _send(out, {"urls": {key: r.url for key, r in running.items()}})
        for line in sys.stdin:  # ends when the parent closes our stdin or goes away
            command, key, fresh_state = json.loads(line)
            if command == "stop":
                _send(out, {"ok": True})
                return
            emulator = running[key].emulator
            if command == "stats":
                stats = asdict(emulator.stats)
                stats["responses_by_status"] = {
                    str(k): v for k, v in stats["responses_by_status"].items()
                }
                _send(out, stats)
            elif command == "reset":
                if fresh_state:
                    # a fresh state: a full token bucket, no fault counters, an empty cache
                    emulator.options = emulator.options
                emulator.stats.reset()
                _send(out, {"ok": True})


def child_main() -> None:
    """The child's side: read the specs (one JSON line), serve, answer commands."""
    # the protocol owns stdout; anything else printed (uvicorn, dlt) goes to stderr
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    raw = json.loads(sys.stdin.readline())
    _serve_forever({key: EmulatorSpec(**value) for key, value in raw.items()}, out)


class EmulatorServer:
    """Serves the given emulators in a child process until ``close()`` (or the ``with`` block
    ends). ``urls[key]`` is each emulator's base URL."""

    def __init__(self, specs: Mapping[str, EmulatorSpec]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench._child", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_environment(),
        )
        self.pid = self._process.pid
        try:
            self._send({key: asdict(spec) for key, spec in specs.items()})
            reply = self._receive(_START_TIMEOUT)
        except BenchError:
            self.close()
            raise
        if "error" in reply:
            self.close()
            raise BenchError(f"emulator process failed to start: {reply['error']}")
        self.urls: dict[str, str] = reply["urls"]

    def _send(self, message: Any) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
        except OSError as exc:
            raise BenchError(f"emulator process is gone ({exc})") from exc

    def _receive(self, timeout: float) -> Any:
        stdout = self._process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        if not ready:
            raise BenchError(f"emulator process did not answer within {timeout:.0f} s")
        line = stdout.readline()
        if not line:
            code = self._process.wait(10)
            raise BenchError(f"emulator process exited with code {code}")
        return json.loads(line)

    def stats(self, key: str) -> dict[str, Any]:
        """What emulator ``key`` saw since its last reset."""
        self._send(["stats", key, False])
        result: dict[str, Any] = self._receive(_REPLY_TIMEOUT)
        return result

    def reset(self, key: str, *, fresh_state: bool = False) -> None:
        """Zero the stats of emulator ``key``; ``fresh_state`` also refills its rate-limit
        bucket and empties its page cache."""
        self._send(["reset", key, fresh_state])
        self._receive(_REPLY_TIMEOUT)

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._send(["stop", "", False])
                self._receive(_REPLY_TIMEOUT)
            except BenchError:
                pass
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.terminate()
                self._process.wait(5)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def child_environment() -> dict[str, str]:
    """The environment of a child process: ours, with the repository on ``PYTHONPATH`` so
    ``python -m bench...`` finds this package wherever the parent was started from."""
    env = dict(os.environ)
    parts = [str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env
