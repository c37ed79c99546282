"""Memory tuning for a process that runs restsync alone (the command line), and the one
piece of housekeeping a library may do anywhere.

restsync as a library changes nothing process-wide: importing it or calling ``sync()`` leaves
the host's environment, allocators and garbage collector as they were. ``tune_process()`` is
the explicit opt-in the CLI (and the benchmarks) make, for a process that belongs to restsync:

- Arrow uses the system allocator (unless ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise), and
  glibc gets at most two malloc arenas (each thread otherwise gets its own, which keeps the
  freed pages of the pages it parsed). Both return freed memory instead of keeping it for
  reuse. Measured on 1,000,000 records with DuckDB capped at 64MB (peak RSS, two runs each):
  295/307 MB before, 258/266 MB after; 200,000 records took as long.
- No automatic collection while a page is parsed (``paused``). Parsing one page allocates
  thousands of dicts and lists; each allocation counts towards an automatic collection, and
  every full collection walks all live container objects (a few hundred thousand after
  importing dlt), none of them garbage. Measured on 200,000 records parsed as dicts: 5.43 s
  before, 5.26 s with parsing paused. Switching the collector off is process-wide (every
  thread of the host would lose it meanwhile), so without the opt-in ``paused`` does nothing.
- What is alive when the process is tuned (the imported modules: dlt, pyarrow, duckdb, ~150,000
  container objects) is frozen out of the collector's reach (``gc.freeze``): a full
  collection, triggered every few thousand records by the pages waiting between the engine
  and dlt, then walks only what the run made. Measured on the CRM seed, 9 x 5,000 realistic
  records into DuckDB (``restsync.sync``, CPU seconds of the whole run, two runs each): 5.34
  and 5.39 tuned before, 4.86 and 4.66 frozen.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pyarrow as pa

_M_ARENA_MAX = -8  # mallopt parameter, glibc's malloc.h

_tuned = False
_pause_lock = threading.Lock()
_pauses = 0  # blocks inside ``paused`` right now (engine threads may overlap)


def tune_process() -> None:
    """Tune this whole process for restsync: Arrow's system allocator, two malloc arenas,
    what is alive now frozen out of the collector's reach, and the collector paused while
    pages are parsed. For programs that run restsync and nothing else (the ``restsync``
    command calls it first, after its imports); a library host should not."""
    global _tuned
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 2)
    gc.freeze()
    _tuned = True


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block, in a tuned process (``tune_process``); the
    collector resumes once the last overlapping block ends, unless it was off before."""
    global _pauses
    with _pause_lock:
        # off before any pause of ours: the host's choice, left alone
        owned = _tuned and (_pauses > 0 or gc.isenabled())
        if owned:
            _pauses += 1
            gc.disable()
    if not owned:
        yield
        return
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0:
                gc.enable()


@cache
def _glibc() -> Any:
    """The C library when it is glibc (``malloc_trim`` and ``mallopt``), else None: other C
    libraries return memory on their own."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def release_unused() -> None:
    """Hand memory that was freed but kept by the allocators back to the system. After an
    extraction the C heap and Arrow's pool keep tens of MB of pages they no longer use, and a
    load that follows would stack its own memory on top of them. In a tuned process the
    garbage left in cycles is collected first. This changes no setting: the allocators and the
    collector keep working as the host configured them."""
    if _tuned:
        # the collector, frozen and paused while pages are parsed, left cycles behind that
        # hold Arrow buffers and parsed pages: ~35 MB on 1,000,000 records, handed back here
        # before the load stacks DuckDB's memory on top
        gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
    pa.default_memory_pool().release_unused()
