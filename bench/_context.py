"""What every workload shares: its sizes, the rows of the results table, the ``Context`` that
measures one run (against an emulator, into a fresh destination, its data digested), and the
summaries (medians, ratios, digest checks) the workloads build their metrics from."""

from __future__ import annotations

import re
import shutil
import statistics
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from ._client import RunResult, RunSpec, Tool, drop_dataset, execute, execute_isolated, loaded
from ._digest import dataset_digest, differences, from_json, to_json
from ._server import EmulatorServer

MAX_IN_FLIGHT = 16  # restsync's default global cap, and the limit


@dataclass(frozen=True)
class Sizes:
    """How big each workload is. ``FULL`` is the issues'; ``QUICK`` a few-minutes check;
    tests pass tiny ones. ``dlt_repeat`` (None: the ``repeat`` given) caps dlt's runs, the
    slow side of every comparison. ``shape`` is the emulators' record shape."""

    w1_records: int = 3_000
    w1_latency: float = 0.1
    w2_records: int = 200_000
    w2_dlt_records: int = 50_000
    w2_page_size: int = 1_000
    w3_records: int = 6_650  # 9 x (67 pages + the page-0 probe) = 612 requests, ~60 s
    w3_rate: float = 10.0
    w4_records: int = 1_000_000
    w4_page_size: int = 1_000
    w5_records: int = 5_000
    w6_records: int = 50_000
    w6_page_size: int = 1_000
    dlt_repeat: int | None = None
    shape: str = "realistic"


FULL = Sizes()
QUICK = Sizes(
    w1_records=1_000,
    w2_records=50_000,
    w2_dlt_records=10_000,
    w3_records=1_550,  # 9 x 17 requests, ~15 s
    w4_records=200_000,
    w5_records=1_000,
    w6_records=10_000,
    dlt_repeat=1,
)


@dataclass
class Metric:
    """One row of the results table. ``passed`` is None for a metric without a target."""

    workload: str
    tool: str
    metric: str
    value: float | None
    unit: str = ""
    target: str = ""
    passed: bool | None = None


@dataclass
class WorkloadResult:
    name: str
    description: str
    params: dict[str, Any]
    runs: list[dict[str, Any]] = field(default_factory=list)
    medians: dict[str, dict[str, float | None]] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)


def prospects_result(
    name: str, shape: str, records: int, page_size: int, detail: str, **params: Any
) -> WorkloadResult:
    """The (empty) result of a workload on the sales-engagement seed's ``prospects`` with no
    latency (W2, W4, W6): its description says how many records of what shape in pages of
    what size, then ``detail`` (what else the workload does); ``params`` add to its records
    and page size."""
    return WorkloadResult(
        name,
        f"sales-engagement seed, prospects, {records:,} {shape} records "
        f"({page_size} per page), no latency{detail}",
        {"records": records, "page_size": page_size, **params},
    )


@dataclass
class Context:
    """What every workload needs: the emulator process, sizes, where to put files."""

    server: EmulatorServer
    sizes: Sizes
    repeat: int
    isolate: bool
    workdir: Path
    console: Console
    timeout: float = 1800.0
    keep_files: bool = False
    #: part of every PostgreSQL schema this context loads into: two benchmarks running at
    #: once (two agents, two terminals) never load into, or drop, each other's schema
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def dlt_repeat(self) -> int:
        return self.sizes.dlt_repeat or self.repeat

    def measure(
        self,
        workload: str,
        key: str,
        spec: RunSpec,
        *,
        variant: str,
        index: int,
        fresh_state: bool = False,
        isolated: bool | None = None,
        digest: bool = False,
    ) -> dict[str, Any]:
        """Run ``spec`` against emulator ``key`` (stats reset first) and return the raw run;
        with ``digest``, the run also holds the digest of every table it loaded."""
        # a plain folder name: DuckDB reads "key=value" path parts as hive partitions, and
        # "rps=10" in the path of a parquet file would become a column named "restsync rps"
        slug = re.sub(r"[^A-Za-z0-9]+", "_", variant).strip("_").lower()
        workdir = self.workdir / workload / f"{slug}_{index}"
        spec = replace(spec, workdir=str(workdir))
        if spec.destination == "postgres":
            # PostgreSQL cuts names at 63 characters; dlt adds "_staging" for merges
            name = f"bench_{workload.lower()}_{slug[:24]}_{index}_{self.run_id}"
            spec = replace(spec, dataset=name)
        try:
            self.server.reset(key, fresh_state=fresh_state)
            if isolated if isolated is not None else self.isolate:
                result = execute_isolated(spec, timeout=self.timeout)
            else:
                result = execute(spec)
            stats = self.server.stats(key)
            run = {"workload": workload, "tool": spec.tool, "variant": variant, "repeat": index}
            run.update(asdict(result))
            run["expected"] = dict(spec.expected)
            run["workdir"] = str(workdir)
            run["dataset"] = spec.dataset
            run["destination"] = spec.destination
            run["emulator"] = stats
            run["digest"] = None
            if digest and result.ok:
                with loaded(spec) as cursor:
                    run["digest"] = to_json(dataset_digest(cursor, spec.dataset))
        finally:
            if not self.keep_files:
                shutil.rmtree(workdir, ignore_errors=True)
                drop_dataset(spec)
        self._show(run, result)
        return run

    def _show(self, run: dict[str, Any], result: RunResult) -> None:
        error = (result.error or "").strip().splitlines()[0] if result.error else ""
        status = "[green]ok[/]" if result.ok else f"[red]FAILED[/] {error[:160]}"
        rss = f", peak RSS {result.rss_mb:.0f} MB" if result.rss_mb else ""
        syncs = (
            f" ({' + '.join(f'{s:.2f}' for s in result.syncs_s)} s)"
            if len(result.syncs_s) > 1
            else ""
        )
        self.console.print(
            f"  {run['workload']} {run['variant']:<18} #{run['repeat'] + 1}: "
            f"{result.wall_s:7.2f} s{syncs}, {run['emulator']['requests']} requests, "
            f"{run['emulator']['throttled']} x 429{rss} {status}",
            highlight=False,
        )


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def of(runs: Sequence[dict[str, Any]], variant: str) -> list[dict[str, Any]]:
    return [r for r in runs if r["variant"] == variant]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator and denominator else None


def rows_metric(workload: str, tool: str, runs: Sequence[dict[str, Any]]) -> Metric:
    good = sum(1 for r in runs if r["ok"])
    return Metric(
        workload,
        tool,
        "runs that loaded every row",
        float(good),
        f"of {len(runs)}",
        "all",
        bool(runs) and good == len(runs),
    )


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    ok = [r for r in runs if r["ok"]]

    def med(get: Callable[[dict[str, Any]], float | None]) -> float | None:
        return median([get(r) for r in ok])

    def sync_s(index: int) -> float | None:
        return med(lambda r: r["syncs_s"][index] if len(r["syncs_s"]) > index else None)

    return {
        "runs": float(len(runs)),
        "ok_runs": float(len(ok)),
        "wall_s": med(lambda r: r["wall_s"]),
        "first_sync_s": sync_s(0),
        "second_sync_s": sync_s(1),
        "extract_s": med(lambda r: r["extract_s"]),
        "records_per_s": med(lambda r: r["records"] / r["wall_s"] if r["wall_s"] else None),
        "requests": med(lambda r: r["emulator"]["requests"]),
        "throttled": med(lambda r: r["emulator"]["throttled"]),
        "max_in_flight": max((r["emulator"]["max_in_flight"] for r in runs), default=None),
        "rss_mb": med(lambda r: r["rss_mb"]),
        "max_rss_mb": max((r["rss_mb"] for r in ok if r["rss_mb"] is not None), default=None),
        "import_rss_mb": med(lambda r: r["import_rss_mb"]),
    }


def check_digests(
    workload: str, runs: Sequence[dict[str, Any]], reference: str, checked: Sequence[str]
) -> list[Metric]:
    """Compare the digest of every run of the ``checked`` variants with the first digested run
    of ``reference`` (dlt with its defaults); each run records what differs (``digest_diff``).
    One metric per checked variant: its runs whose every table equals dlt's."""
    ref_run = next((r for r in of(runs, reference) if r["digest"] is not None), None)
    metrics = []
    for variant in checked:
        chosen = of(runs, variant)
        equal = 0
        for run in chosen:
            if ref_run is None or run["digest"] is None:
                run["digest_diff"] = ["no digest to compare (a run failed)"]
                continue
            run["digest_diff"] = differences(from_json(ref_run["digest"]), from_json(run["digest"]))
            equal += not run["digest_diff"]
        metrics.append(
            Metric(
                workload,
                variant,
                f"runs whose tables equal {reference}'s (digest)",
                float(equal),
                f"of {len(chosen)}",
                "all",
                bool(chosen) and equal == len(chosen),
            )
        )
    return metrics


def interleaved(
    ctx: Context,
    workload: str,
    plans: Sequence[tuple[str, RunSpec, int, bool]],
    *,
    key: str | None = None,
    fresh_state: bool = False,
    isolated: bool | None = None,
    digest: bool = False,
) -> list[dict[str, Any]]:
    """Runs every (variant, spec, repeats, required) plan, repeat by repeat, so a slow moment
    of the machine does not fall on one tool only. A run that is not ``required`` may fail
    without failing the benchmark (it shows how a tool copes, e.g. without a rate limit)."""
    runs: list[dict[str, Any]] = []
    for index in range(max(p[2] for p in plans)):
        for variant, spec, repeats, required in plans:
            if index < repeats:
                run = ctx.measure(
                    workload,
                    key or workload,
                    spec,
                    variant=variant,
                    index=index,
                    fresh_state=fresh_state,
                    isolated=isolated,
                    digest=digest,
                )
                run["required"] = required
                runs.append(run)
    return runs


def spec(tool: Tool, **kwargs: Any) -> RunSpec:
    return RunSpec(tool=tool, workdir="", **kwargs)
