"""restsync's collector control restores what it found; its allocator choice can be
overridden."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from restsync import _memory


def test_paused_disables_collection_and_restores_it() -> None:
    assert gc.isenabled()
    with _memory.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with _memory.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(("setting", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_importing_restsync_picks_the_system_allocator_for_arrow_unless_told(
    setting: str | None, expected: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if setting is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = setting
    code = "import restsync, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == expected
