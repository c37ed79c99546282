"""``restsync emulate`` blocks until Ctrl-C, so it runs as the console script in a child
process: it prints where it listens and the made-up secrets, answers 401 without them and
200 with them, enforces the rate window its options describe, and stops cleanly on SIGINT."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_support import Invoke, console_script, write_sales_config

STARTUP_TIMEOUT = 30.0


@dataclass
class Emulating:
    process: subprocess.Popen[str]
    url: str
    secrets: dict[str, str]
    lines: queue.Queue[str]


Start = Callable[..., Emulating]


def _read_lines(stream: Iterator[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


@pytest.fixture
def start_emulator() -> Iterator[Start]:
    """``start_emulator(*args)`` runs ``restsync emulate *args --port 0`` and waits for its
    "emulating ... at URL" and secret lines; every child is killed at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Emulating:
        process = subprocess.Popen(
            [console_script(), "emulate", *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(process)
        lines: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
        url, secrets = "", {}
        while True:
            try:
                line = lines.get(timeout=STARTUP_TIMEOUT)
            except queue.Empty:
                process.kill()
                _, errors = process.communicate(timeout=10)
                pytest.fail(f"emulate did not start within {STARTUP_TIMEOUT}s: {errors}")
            if found := re.fullmatch(r"emulating \S+ at (http://127\.0\.0\.1:\d+\S*)", line):
                url = found.group(1)
            elif found := re.fullmatch(r"  secret (\w+) = (\S+)", line):
                secrets[found.group(1)] = found.group(2)
            elif line == "Ctrl-C to stop":
                break
        return Emulating(process, url, secrets, lines)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    path: str
    secret: str
    headers: Callable[[str], dict[str, str]]
    records: Callable[[Any], list[Any]]
    count: int


CASES = {
    "connector": Case(
        ("crm", "--records", "7"),
        "accounts",
        "access_token",
        lambda token: {"Authorization": f"Bearer {token}"},
        lambda body: [item["record"] for item in body["list"]],
        7,
    ),
    # realistic records: every CRM record carries a list of line items
    "realistic-shape": Case(
        ("crm", "--records", "7", "--shape", "realistic"),
        "accounts",
        "access_token",
        lambda token: {"Authorization": f"Bearer {token}"},
        lambda body: [i["record"] for i in body["list"] if "line_items" in i["record"]],
        7,
    ),
    # a config file with a {secret: api_key} reference: the emulator makes a value up
    "config-file": Case(
        ("sales.yaml", "--records", "12"),
        "campaigns",
        "api_key",
        lambda token: {"X-API-KEY": token},
        lambda body: body["data"]["campaigns"],
        12,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_emulate_serves_the_api_with_made_up_secrets_until_ctrl_c(
    start_emulator: Start, tmp_path: Path, case: Case
) -> None:
    write_sales_config(tmp_path)
    running = start_emulator(*case.args)

    assert running.secrets == {case.secret: f"demo-{case.secret}"}
    url = running.url.rstrip("/") + "/" + case.path
    assert httpx.get(url, timeout=10).status_code == 401
    answer = httpx.get(url, headers=case.headers(running.secrets[case.secret]), timeout=10)
    assert answer.status_code == 200
    assert len(case.records(answer.json())) == case.count

    running.process.send_signal(signal.SIGINT)
    assert running.process.wait(15) == 0
    assert running.process.stderr is not None
    assert "Traceback" not in running.process.stderr.read()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)


def _budget(answer: httpx.Response, headers: str) -> tuple[int, int]:
    """(limit, remaining) as the answer announces them in the ``headers`` style."""
    if headers == "ietf":
        fields = dict(part.split("=") for part in answer.headers["RateLimit"].split(", "))
        return int(fields["limit"]), int(fields["remaining"])
    return int(answer.headers["X-RateLimit-Limit"]), int(answer.headers["X-RateLimit-Remaining"])


@pytest.mark.parametrize(
    ("window", "headers"), [("fixed", "epoch"), ("sliding", "seconds"), ("sliding", "ietf")]
)
def test_emulate_enforces_the_rate_window_its_options_describe(
    start_emulator: Start, window: str, headers: str
) -> None:
    # 0.002 requests/s over 2,000 s: 4 requests per window, a window far longer than the test
    # (a fixed one aligned to the clock is crossed by 5 quick requests once in ~10^5 runs)
    running = start_emulator(
        "crm", "--records", "3", "--rate-limit", "0.002", "--rate-period", "2000",
        "--rate-window", window, "--rate-headers", headers,
    )  # fmt: skip
    url = running.url.rstrip("/") + "/accounts"
    token = {"Authorization": f"Bearer {running.secrets['access_token']}"}

    with httpx.Client(headers=token, timeout=10) as client:
        answers = [client.get(url) for _ in range(5)]

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert [_budget(a, headers) for a in answers] == [(4, 3), (4, 2), (4, 1), (4, 0), (4, 0)]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    if headers == "ietf":
        assert answers[0].headers["RateLimit-Policy"] == "4;w=2000"
    else:
        reset = int(answers[0].headers["X-RateLimit-Reset"])
        # epoch: a Unix time within the window; seconds: how long until it ends
        assert reset > time.time() if headers == "epoch" else 1 <= reset <= 2000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rate-window", "fixed"), "emulator.rate_window: a fixed window needs rate_limit"),
        (
            ("--rate-limit", "5", "--rate-period", "2"),
            "--rate-period and --rate-headers shape a window: add --rate-window fixed or sliding",
        ),
    ],
    ids=["window-without-limit", "period-without-window"],
)
def test_emulate_refuses_rate_options_that_would_do_nothing(
    invoke: Invoke, args: tuple[str, ...], message: str
) -> None:
    # a port already taken: options let through would fail to listen, not serve until Ctrl-C
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = invoke("emulate", "crm", *args, "--port", str(taken.getsockname()[1]))

    assert result.exit_code == 2, result.output
    assert message in result.stderr
