"""``run_workloads``: the whole benchmark as one call (what ``python -m bench`` does)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from ._report import build_report, machine_info, print_results, write_json
from ._server import BenchError, EmulatorServer
from ._workloads import (
    FULL,
    QUICK,
    RUNNERS,
    WORKLOADS,
    Context,
    Sizes,
    WorkloadResult,
    emulator_specs,
)

# dlt must neither phone home nor chat: set before any pipeline exists (children inherit it)
_ENVIRONMENT = {"RUNTIME__DLTHUB_TELEMETRY": "false", "RUNTIME__LOG_LEVEL": "ERROR"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_workloads(
    workloads: Sequence[str] = WORKLOADS,
    *,
    repeat: int = 3,
    quick: bool = False,
    sizes: Sizes | None = None,
    isolate: bool = True,
    out: str | Path | None = None,
    console: Console | None = None,
    workdir: str | Path | None = None,
    keep_files: bool = False,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Run the selected workloads against emulators in a separate process and return the
    report (also written to ``out`` as JSON when given, and printed as a table).

    ``sizes`` overrides the preset (``QUICK`` when ``quick``, else ``FULL``); ``isolate`` runs
    every client measurement in a fresh process (W4 always is); ``workdir`` holds the DuckDB
    files (a temporary folder, removed afterwards, by default)."""
    unknown = [w for w in workloads if w not in RUNNERS]
    if unknown:
        raise BenchError(f"unknown workload(s) {', '.join(unknown)}; choose from {WORKLOADS}")
    if repeat < 1:
        raise BenchError(f"repeat must be at least 1, got {repeat}")
    chosen = sizes or (QUICK if quick else FULL)
    if console is None:
        console = Console()
        if not console.is_terminal:  # a log file: wide enough for the table
            console = Console(width=150)
    for key, value in _ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    own_dir = workdir is None
    base = (
        Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="restsync-bench-"))
    )
    started = _now()
    machine = machine_info()  # before the runs: the commit measured, not one landing meanwhile
    results: list[WorkloadResult] = []
    try:
        specs = emulator_specs(chosen, workloads)
        console.print(f"starting {len(specs)} emulator(s) in a separate process")
        with EmulatorServer(specs) as server:
            ctx = Context(
                server=server,
                sizes=chosen,
                repeat=repeat,
                isolate=isolate,
                workdir=base,
                console=console,
                timeout=timeout,
                keep_files=keep_files,
            )
            for name in workloads:
                console.print(f"[bold]{name}[/]")
                begun = time.perf_counter()
                results.append(RUNNERS[name](ctx))
                console.print(f"  {name} took {time.perf_counter() - begun:.0f} s")
    finally:
        if own_dir and not keep_files:
            shutil.rmtree(base, ignore_errors=True)
    settings = {
        "workloads": list(workloads),
        "repeat": repeat,
        "quick": quick,
        "isolate": isolate,
        "sizes": asdict(chosen),
    }
    report = build_report(
        results, settings=settings, machine=machine, started=started, finished=_now()
    )
    if out is not None:
        write_json(report, Path(out))
    print_results(console, results, report)
    return report
