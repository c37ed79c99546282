"""restsync embedded in someone else's process changes nothing process-wide: importing it and
running ``sync()`` leaves the host's environment, garbage collector, logging, signal and
exception hooks, allocators and exit path as it found them (``tune_process()``, the opt-in
that does tune a process, is tested in test_memory).

Each check runs in a fresh interpreter (the host), against the emulator served by the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_probes import ARENAS, SETTINGS, glibc
from restsync import connectors, load_config
from restsync.emulator import EmulatorOptions, serve

SECRETS = {key: f"demo-{key}" for key in connectors.get("sales_engagement").secrets}

HOST = (
    SETTINGS
    + ARENAS
    + """
import atexit, gc, logging, time

gc.set_threshold(1234, 56, 78)
logging.getLogger().addHandler(logging.NullHandler())
before = settings()

import restsync

collector_seen = set()
stop = threading.Event()

def watch():  # another thread of the host, watching the collector while restsync syncs
    while not stop.is_set():
        collector_seen.add(gc.isenabled())

sys.setswitchinterval(1e-5)  # the watcher gets the GIL in the middle of restsync's work too

watcher = threading.Thread(target=watch)
watcher.start()
result = restsync.sync(
    "sales_engagement", base_url=sys.argv[1], secrets=json.loads(sys.argv[2]),
    duckdb_file="host.duckdb", pipelines_dir="pipelines",
)
stop.set()
watcher.join()
after = settings()
atexit.register(lambda: print("host atexit ran", flush=True))
print(json.dumps({
    "before": before, "after": after, "rows": dict(result.tables),
    "collector_seen": sorted(collector_seen), "arenas": arenas(),
}), flush=True)
sys.exit(7)
"""
)


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    config = load_config("sales_engagement", secrets=SECRETS)
    with serve(config, EmulatorOptions(records=3000, page_size=500)) as running:
        yield running.url


def test_a_host_process_finds_its_settings_as_it_left_them(api_url: str, tmp_path: Path) -> None:
    # as a host would start: whatever the test process (which imports restsync) has set aside
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    run = subprocess.run(
        [sys.executable, "-c", HOST, api_url, json.dumps(SECRETS)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = run.stdout.splitlines()
    assert run.returncode == 7, run.stderr[-3000:]
    assert lines[-1] == "host atexit ran"  # the host's own exit path: handlers, status
    report = json.loads(lines[-2])
    assert report["rows"]["campaigns"] > 0
    assert report["rows"]["prospects"] > 0
    assert report["collector_seen"] == [True]  # never switched off under the host's threads
    assert report["after"] == report["before"]
    assert report["before"]["gc_threshold"] == [1234, 56, 78]
    if glibc():
        # no cap on malloc arenas: eight live threads got arenas of their own
        assert report["arenas"] >= 8
