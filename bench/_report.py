"""The results: a rich table for the terminal and a JSON document with every raw run, the
medians, the metrics against their targets, and what machine and versions produced them."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ._context import Metric, WorkloadResult

SCHEMA_VERSION = 1
REPO = Path(__file__).resolve().parents[1]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def machine_info() -> dict[str, Any]:
    """What the numbers depend on: CPUs, Python, library versions, the commit measured."""
    status = _git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "versions": {
            name: _version(name)
            for name in ("restsync", "dlt", "duckdb", "httpx", "orjson", "pyarrow", "uvicorn")
        },
        "git_commit": _git("rev-parse", "HEAD"),
        "git_src_dirty": bool(status) if status is not None else None,
    }


def run_ok(run: dict[str, Any]) -> bool:
    """A run counts against the benchmark when it was required and did not load every row."""
    return bool(run["ok"]) or not run.get("required", True)


def build_report(
    results: Sequence[WorkloadResult],
    *,
    settings: dict[str, Any],
    machine: dict[str, Any],
    started: str,
    finished: str,
) -> dict[str, Any]:
    failed = [
        f"{r.name} {run['variant']} #{run['repeat'] + 1}: {run['error']}"
        for r in results
        for run in r.runs
        if not run_ok(run)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "started_at": started,
        "finished_at": finished,
        "settings": settings,
        "machine": machine,
        "ok": not failed,
        "failures": failed,
        "workloads": {
            r.name: {
                "description": r.description,
                "params": r.params,
                "medians": r.medians,
                "metrics": [asdict(m) for m in r.metrics],
                "runs": r.runs,
            }
            for r in results
        },
    }


def write_json(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def _format(metric: Metric) -> str:
    return format_value(metric.value, metric.unit)


def format_value(value: float | None, unit: str) -> str:
    """A metric's value as the table shows it (``63,631 rec/s``, ``11.22 x``, ``n/a``)."""
    if value is None:
        return "n/a"
    if unit == "rec/s":
        text = f"{value:,.0f}"
    elif unit in ("s", "x", "%"):
        text = f"{value:,.2f}" if value < 100 else f"{value:,.1f}"
    elif unit == "MB":
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{text} {unit}".rstrip()


def markdown(report: dict[str, Any]) -> str:
    """The results table of a written report (``write_json``'s file) as Markdown, for docs."""
    lines = ["| | tool | metric | median | target | |", "| --- | --- | --- | ---: | ---: | --- |"]
    for name, workload in report["workloads"].items():
        for index, m in enumerate(workload["metrics"]):
            verdict = {True: "pass", False: "FAIL", None: ""}[m["passed"]]
            value = format_value(m["value"], m["unit"])
            lines.append(
                f"| {name if index == 0 else ''} | {m['tool']} | {m['metric']} | {value} "
                f"| {m['target']} | {verdict} |"
            )
    return "\n".join(lines)


def results_table(results: Sequence[WorkloadResult], *, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for name, justify in (
        ("workload", "left"),
        ("tool", "left"),
        ("metric", "left"),
        ("value (median)", "right"),
        ("target", "right"),
        ("", "center"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for result in results:
        for index, metric in enumerate(result.metrics):
            verdict = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: ""}[metric.passed]
            table.add_row(
                result.name if index == 0 else "",
                metric.tool,
                metric.metric,
                _format(metric),
                metric.target,
                verdict,
                end_section=index == len(result.metrics) - 1,
            )
    return table


def print_results(
    console: Console, results: Sequence[WorkloadResult], report: dict[str, Any]
) -> None:
    machine = report["machine"]
    versions = machine["versions"]
    title = (
        f"restsync benchmark: {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"restsync {versions['restsync']}, dlt {versions['dlt']}, duckdb {versions['duckdb']}"
    )
    for result in results:
        console.print(f"[bold]{result.name}[/]: {result.description}", highlight=False)
    console.print(results_table(results, title=title))
    for result in results:
        shown: set[str] = set()
        for run in result.runs:
            diff = run.get("digest_diff")
            if diff and run["variant"] not in shown:
                shown.add(run["variant"])
                console.print(
                    f"[red]differs from dlt[/] {result.name} {run['variant']} "
                    f"#{run['repeat'] + 1}: {'; '.join(diff)}",
                    highlight=False,
                )
    for failure in report["failures"]:
        first = failure.strip().splitlines()[0] if failure.strip() else failure
        console.print(f"[red]failed run[/] {first[:300]}", highlight=False)
