"""Code a test runs in a fresh interpreter to read that process's process-wide settings."""

from __future__ import annotations

import ctypes
import ctypes.util

#: what the host can observe of its own process-wide settings, as JSON
SETTINGS = """
import gc, json, logging, os, signal, sys, threading

def settings():
    import pyarrow

    loggers = ("", "restsync", "httpx", "httpcore", "aiohttp")
    return {
        "env": dict(os.environ),
        "gc_enabled": gc.isenabled(),
        "gc_threshold": list(gc.get_threshold()),
        "gc_frozen": gc.get_freeze_count(),
        "handlers": {n: [repr(h) for h in logging.getLogger(n).handlers] for n in loggers},
        "filters": {n: [repr(f) for f in logging.getLogger(n).filters] for n in loggers},
        "levels": {n: logging.getLogger(n).level for n in loggers},
        "signals": {s.name: repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)},
        "excepthook": repr(sys.excepthook),
        "threading_excepthook": repr(threading.excepthook),
        "arrow_pool": pyarrow.default_memory_pool().backend_name,
    }
"""

#: how many malloc arenas glibc hands eight threads alive at once (M_ARENA_MAX caps it)
ARENAS = """
import ctypes, ctypes.util, os, threading

def arenas():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    ready = threading.Barrier(9)
    def hold():
        block = bytearray(64 * 1024)  # malloc'd from this thread's arena (below mmap's threshold)
        ready.wait()
        ready.wait()
        del block
    threads = [threading.Thread(target=hold) for _ in range(8)]
    for thread in threads:
        thread.start()
    ready.wait()
    read, write = os.pipe()
    saved = os.dup(2)
    os.dup2(write, 2)
    libc.malloc_stats()  # prints one "Arena N:" block per arena, to stderr
    os.dup2(saved, 2)
    os.close(write)
    report = os.read(read, 1 << 20).decode()
    ready.wait()
    for thread in threads:
        thread.join()
    return report.count("Arena ")
"""


def glibc() -> bool:
    """Whether the C library is glibc (its malloc_stats counts the arenas)."""
    name = ctypes.util.find_library("c")
    return bool(name) and hasattr(ctypes.CDLL(name), "malloc_stats")
