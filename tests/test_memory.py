"""``tune_process`` is the opt-in that tunes a whole process for restsync (Arrow's system
allocator unless told otherwise, two malloc arenas, what is alive frozen out of the
collector's reach, the collector paused while pages are parsed); without it ``paused`` leaves
the collector alone. Tuning runs in a fresh interpreter: it would change the test process
itself."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from host_probes import ARENAS, SETTINGS, glibc
from restsync import _memory


def test_paused_leaves_the_collector_alone_in_a_process_not_tuned() -> None:
    assert gc.isenabled()
    with _memory.paused():
        assert gc.isenabled()
    assert gc.isenabled()


TUNED = (
    SETTINGS
    + ARENAS
    + """
import weakref

import restsync
from restsync import _memory

restsync.tune_process()
report = {"pool": settings()["arrow_pool"], "frozen": gc.get_freeze_count()}
with _memory.paused():
    report["paused"] = gc.isenabled()
    with _memory.paused():  # overlapping blocks (two engines): the outer one restores
        pass
    report["inner_done"] = gc.isenabled()
report["after"] = gc.isenabled()
gc.disable()
with _memory.paused():
    pass
report["left_disabled"] = not gc.isenabled()
gc.enable()
report["arenas"] = arenas()


class Cycle:
    pass


cycle = Cycle()
cycle.self = cycle
alive = weakref.ref(cycle)
del cycle
_memory.release_unused()  # after an extraction: what the paused collector left is collected
report["cycle_collected"] = alive() is None
print(json.dumps(report))
"""
)


@pytest.mark.parametrize(("setting", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_tune_process_tunes_this_process(
    setting: str | None, expected: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if setting is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = setting
    run = subprocess.run(
        [sys.executable, "-c", TUNED],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["pool"] == expected
    # what importing restsync made alive (dlt, pyarrow, duckdb) is out of the collector's reach
    assert report["frozen"] > 50_000
    assert report["paused"] is False
    assert report["inner_done"] is False
    assert report["after"] is True
    assert report["left_disabled"] is True
    assert report["cycle_collected"] is True
    if glibc():
        assert report["arenas"] <= 2
