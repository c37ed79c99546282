"""The four workloads of issue 3, each a function from a ``Context`` to its raw runs and metrics.

- W1: the ``crm`` connector (9 resources) against an API answering in 100 ms: restsync vs dlt
  wall time, the latency lower bound, most requests in flight.
- W2: ``prospects`` with no latency: records per second end to end into DuckDB, restsync vs dlt,
  plus a pure-parse baseline (orjson + selector + Arrow) on the same pages.
- W3: ``crm`` against an API allowing 10 requests/s (429 + Retry-After beyond): restsync with
  ``client.limits.requests_per_second`` set to the limit, and without it; and, with no rate
  configured, against the same budget announced in whole-second ``X-RateLimit-*`` headers
  over fixed and sliding windows.
- W4: 1,000,000 prospects: peak resident memory of the restsync client process.

Every run loads into a fresh DuckDB file, and its row counts are checked.
"""

from __future__ import annotations

import math
import re
import shutil
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from . import _configs as cfg
from ._client import RunResult, RunSpec, Tool, execute, execute_isolated
from ._server import EmulatorServer, EmulatorSpec

MAX_IN_FLIGHT = 16  # restsync's default global cap, and the limit


@dataclass(frozen=True)
class Sizes:
    """How big each workload is. ``FULL`` is the issue's; ``QUICK`` a few-minutes check;
    tests pass tiny ones. ``dlt_repeat`` (None: the ``repeat`` given) caps dlt's runs, the
    slow side of every comparison."""

    w1_records: int = 3_000
    w1_latency: float = 0.1
    w2_records: int = 200_000
    w2_dlt_records: int = 50_000
    w2_page_size: int = 1_000
    w3_records: int = 6_650  # 9 x (67 pages + the page-0 probe) = 612 requests, ~60 s
    w3_rate: float = 10.0
    w4_records: int = 1_000_000
    w4_page_size: int = 1_000
    dlt_repeat: int | None = None


FULL = Sizes()
QUICK = Sizes(
    w1_records=1_000,
    w2_records=50_000,
    w2_dlt_records=10_000,
    w3_records=1_550,  # 9 x 17 requests, ~15 s
    w4_records=200_000,
    dlt_repeat=1,
)
WORKLOADS = ("W1", "W2", "W3", "W4")


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
    ) -> dict[str, Any]:
        """Run ``spec`` against emulator ``key`` (stats reset first) and return the raw run."""
        # a plain folder name: DuckDB reads "key=value" path parts as hive partitions, and
        # "rps=10" in the path of a parquet file would become a column named "restsync rps"
        slug = re.sub(r"[^A-Za-z0-9]+", "_", variant).strip("_")
        workdir = self.workdir / workload / f"{slug}_{index}"
        spec = replace(spec, workdir=str(workdir))
        self.server.reset(key, fresh_state=fresh_state)
        if isolated if isolated is not None else self.isolate:
            result = execute_isolated(spec, timeout=self.timeout)
        else:
            result = execute(spec)
        stats = self.server.stats(key)
        if not self.keep_files:
            shutil.rmtree(workdir, ignore_errors=True)
        run = {"workload": workload, "tool": spec.tool, "variant": variant, "repeat": index}
        run.update(asdict(result))
        run["expected"] = dict(spec.expected)
        run["workdir"] = str(workdir)
        run["emulator"] = stats
        self._show(run, result)
        return run

    def _show(self, run: dict[str, Any], result: RunResult) -> None:
        error = (result.error or "").strip().splitlines()[0] if result.error else ""
        status = "[green]ok[/]" if result.ok else f"[red]FAILED[/] {error[:160]}"
        rss = f", peak RSS {result.rss_mb:.0f} MB" if result.rss_mb else ""
        self.console.print(
            f"  {run['workload']} {run['variant']:<16} #{run['repeat'] + 1}: "
            f"{result.wall_s:7.2f} s, {run['emulator']['requests']} requests, "
            f"{run['emulator']['throttled']} x 429{rss} {status}",
            highlight=False,
        )


# --- emulators --------------------------------------------------------------------------------


def emulator_specs(sizes: Sizes, workloads: Sequence[str]) -> dict[str, EmulatorSpec]:
    """The emulators the selected workloads need, by key."""
    crm_names = cfg.crm_resources()
    specs: dict[str, EmulatorSpec] = {}
    if "W1" in workloads:
        specs["W1"] = EmulatorSpec(
            cfg.crm_config(),
            cfg.CRM_SECRETS,
            {"records": sizes.w1_records, "latency": sizes.w1_latency},
        )
    if "W2" in workloads:
        # a cache big enough for every page: the warm-up pass serialises each page once, so
        # the measured runs time the client, not the fake API's record generation
        specs["W2"] = EmulatorSpec(
            cfg.prospects_config(),
            cfg.SALES_SECRETS,
            {
                "records": {"prospects": sizes.w2_records},
                "page_size": sizes.w2_page_size,
                "cache_bytes": max(32, sizes.w2_records // 1000) * 2 * 1024 * 1024,
            },
        )
    if "W3" in workloads:
        specs["W3"] = EmulatorSpec(
            cfg.crm_config(),
            cfg.CRM_SECRETS,
            {"records": dict.fromkeys(crm_names, sizes.w3_records), "rate_limit": sizes.w3_rate},
        )
        # the same API announcing its budget in whole-second X-RateLimit-* headers
        for window, headers in W3_WINDOWS:
            specs[f"W3-{window}"] = EmulatorSpec(
                cfg.crm_config(),
                cfg.CRM_SECRETS,
                {
                    "records": dict.fromkeys(crm_names, sizes.w3_records),
                    "rate_limit": sizes.w3_rate,
                    "rate_window": window,
                    "rate_period": W3_PERIOD,
                    "rate_headers": headers,
                },
            )
    if "W4" in workloads:
        specs["W4"] = EmulatorSpec(
            cfg.prospects_config(),
            cfg.SALES_SECRETS,
            {"records": {"prospects": sizes.w4_records}, "page_size": sizes.w4_page_size},
        )
    return specs


# --- helpers ----------------------------------------------------------------------------------


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _of(runs: Sequence[dict[str, Any]], variant: str) -> list[dict[str, Any]]:
    return [r for r in runs if r["variant"] == variant]


def _rows_metric(workload: str, tool: str, runs: Sequence[dict[str, Any]]) -> Metric:
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


def _summary(runs: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    ok = [r for r in runs if r["ok"]]

    def med(get: Callable[[dict[str, Any]], float | None]) -> float | None:
        return median([get(r) for r in ok])

    return {
        "runs": float(len(runs)),
        "ok_runs": float(len(ok)),
        "wall_s": med(lambda r: r["wall_s"]),
        "extract_s": med(lambda r: r["extract_s"]),
        "records_per_s": med(lambda r: r["records"] / r["wall_s"] if r["wall_s"] else None),
        "requests": med(lambda r: r["emulator"]["requests"]),
        "throttled": med(lambda r: r["emulator"]["throttled"]),
        "max_in_flight": max((r["emulator"]["max_in_flight"] for r in runs), default=None),
        "rss_mb": med(lambda r: r["rss_mb"]),
        "max_rss_mb": max((r["rss_mb"] for r in ok if r["rss_mb"] is not None), default=None),
        "import_rss_mb": med(lambda r: r["import_rss_mb"]),
    }


def _interleaved(
    ctx: Context,
    workload: str,
    plans: Sequence[tuple[str, RunSpec, int, bool]],
    *,
    fresh_state: bool = False,
    isolated: bool | None = None,
    servers: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Runs every (variant, spec, repeats, required) plan, repeat by repeat, so a slow moment
    of the machine does not fall on one tool only. A run that is not ``required`` may fail
    without failing the benchmark (it shows how a tool copes, e.g. without a rate limit).
    ``servers`` maps a variant to its emulator's key when it is not the workload's."""
    runs: list[dict[str, Any]] = []
    for index in range(max(p[2] for p in plans)):
        for variant, spec, repeats, required in plans:
            if index < repeats:
                run = ctx.measure(
                    workload,
                    (servers or {}).get(variant, workload),
                    spec,
                    variant=variant,
                    index=index,
                    fresh_state=fresh_state,
                    isolated=isolated,
                )
                run["required"] = required
                runs.append(run)
    return runs


def _spec(tool: Tool, **kwargs: Any) -> RunSpec:
    return RunSpec(tool=tool, workdir="", **kwargs)


def _prospects_spec(url: str, records: int) -> RunSpec:
    """restsync syncing the ``prospects`` resource of ``sales_engagement`` (W2, W4)."""
    return _spec(
        "restsync",
        config=cfg.prospects_config(),
        secrets=cfg.SALES_SECRETS,
        url=url,
        expected={"prospects": records},
    )


# --- W1 ---------------------------------------------------------------------------------------


def run_w1(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W1"]
    names = cfg.crm_resources()
    expected = dict.fromkeys(names, sizes.w1_records)
    result = WorkloadResult(
        "W1",
        f"crm connector, {len(names)} resources x {sizes.w1_records:,} records, 100 per page, "
        f"{sizes.w1_latency * 1000:.0f} ms per request",
        {"records_per_resource": sizes.w1_records, "latency_s": sizes.w1_latency},
    )
    restsync = _spec(
        "restsync", config=cfg.crm_config(), secrets=cfg.CRM_SECRETS, url=url, expected=expected
    )
    dlt = _spec("dlt", config=cfg.crm_dlt_config(url), expected=expected)
    result.runs = _interleaved(
        ctx, "W1", [("restsync", restsync, ctx.repeat, True), ("dlt", dlt, ctx.dlt_repeat, True)]
    )
    rs = _summary(_of(result.runs, "restsync"))
    dl = _summary(_of(result.runs, "dlt"))
    result.medians = {"restsync": rs, "dlt": dl}
    bound = math.ceil(rs["requests"] / MAX_IN_FLIGHT) * sizes.w1_latency if rs["requests"] else None
    ratio = dl["wall_s"] / rs["wall_s"] if rs["wall_s"] and dl["wall_s"] else None
    in_flight = rs["max_in_flight"]
    result.metrics = [
        Metric("W1", "restsync", "wall time", rs["wall_s"], "s"),
        Metric("W1", "dlt", "wall time", dl["wall_s"], "s"),
        Metric("W1", "restsync", "speed-up vs dlt (dlt / restsync)", ratio, "x", ">= 10",
               None if ratio is None else ratio >= 10),
        Metric("W1", "restsync", f"lower bound ceil(requests/{MAX_IN_FLIGHT}) x latency",
               bound, "s"),
        Metric("W1", "restsync", "requests per run", rs["requests"]),
        Metric("W1", "dlt", "requests per run", dl["requests"]),
        Metric("W1", "restsync", "max requests in flight", in_flight, "", f"<= {MAX_IN_FLIGHT}",
               None if in_flight is None else in_flight <= MAX_IN_FLIGHT),
        _rows_metric("W1", "restsync", _of(result.runs, "restsync")),
        _rows_metric("W1", "dlt", _of(result.runs, "dlt")),
    ]  # fmt: skip
    return result


# --- W2 ---------------------------------------------------------------------------------------


def run_w2(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W2"]
    pages = math.ceil(sizes.w2_records / sizes.w2_page_size)
    dlt_pages = min(pages, math.ceil(sizes.w2_dlt_records / sizes.w2_page_size))
    dlt_records = min(sizes.w2_records, dlt_pages * sizes.w2_page_size)
    result = WorkloadResult(
        "W2",
        f"prospects, {sizes.w2_records:,} records ({sizes.w2_page_size} per page), no latency; "
        f"dlt on the first {dlt_records:,}",
        {
            "records": sizes.w2_records,
            "page_size": sizes.w2_page_size,
            "dlt_records": dlt_records,
        },
    )
    # the pure-parse baseline fetches every page once, which also fills the emulator's cache
    page_urls = tuple(f"{url}prospects?page={n}" for n in range(1, pages + 1))
    parse = _spec(
        "parse",
        pages=page_urls,
        headers={"X-API-KEY": cfg.SALES_KEY},
        selector=("data", "prospects"),
    )
    ctx.console.print("  W2 warming the emulator's page cache (and timing the parse baseline)")
    baseline = ctx.measure("W2", "W2", parse, variant="parse-baseline", index=0, isolated=False)
    baseline["required"] = True
    restsync = _prospects_spec(url, sizes.w2_records)
    # dlt's maximum_page is exclusive: pages base_page .. maximum_page - 1
    dlt = _spec(
        "dlt",
        config=cfg.prospects_dlt_config(url, maximum_page=1 + dlt_pages),
        expected={"prospects": dlt_records},
    )
    result.runs = [
        baseline,
        *_interleaved(
            ctx,
            "W2",
            [("restsync", restsync, ctx.repeat, True), ("dlt", dlt, ctx.dlt_repeat, True)],
        ),
    ]
    rs = _summary(_of(result.runs, "restsync"))
    dl = _summary(_of(result.runs, "dlt"))
    parse_rate = baseline["records"] / baseline["wall_s"] if baseline["wall_s"] else None
    json_s = baseline["detail"].get("json_only_s")
    json_rate = baseline["records"] / json_s if json_s else None
    result.medians = {
        "restsync": rs,
        "dlt": dl,
        "parse-baseline": {"records_per_s": parse_rate, "json_only_records_per_s": json_rate},
    }
    rate = rs["records_per_s"]
    ratio = rate / dl["records_per_s"] if rate and dl["records_per_s"] else None
    result.metrics = [
        Metric("W2", "restsync", "records/s into DuckDB", rate, "rec/s", ">= 60,000",
               None if rate is None else rate >= 60_000),
        Metric("W2", "dlt", "records/s into DuckDB", dl["records_per_s"], "rec/s"),
        Metric("W2", "restsync", "speed-up vs dlt (records/s)", ratio, "x"),
        Metric("W2", "parse", "orjson + selector only (no HTTP)", json_rate, "rec/s"),
        Metric("W2", "parse", "orjson + selector + Arrow table", parse_rate, "rec/s"),
        Metric("W2", "restsync", "wall time", rs["wall_s"], "s"),
        _rows_metric("W2", "restsync", _of(result.runs, "restsync")),
        _rows_metric("W2", "dlt", _of(result.runs, "dlt")),
    ]  # fmt: skip
    return result


# --- W3 ---------------------------------------------------------------------------------------

#: W3's header variants: (window, header style) of an API allowing ``w3_rate`` requests/s as
#: ``w3_rate * W3_PERIOD`` requests per window, announced in whole-second X-RateLimit-* headers
#: (a fixed window with GitHub's epoch resets; a sliding one with seconds to the reset)
W3_WINDOWS = (("fixed", "epoch"), ("sliding", "seconds"))
W3_PERIOD = 10.0


def _w3_rates(runs: Sequence[dict[str, Any]], rate: float) -> dict[str, float | None]:
    """Medians of: the share of requests answered 429, and the requests answered (not 429)
    per second of extraction as a share of the allowed rate."""
    used: list[float | None] = []
    throttled: list[float | None] = []
    for run in runs:
        stats = run["emulator"]
        answered = stats["requests"] - stats["throttled"]
        span = run["extract_s"] or run["wall_s"]
        used.append(100 * answered / span / rate if span else None)
        sent = stats["requests"]
        throttled.append(100 * stats["throttled"] / sent if sent else None)
    return {"rate_used_pct": median(used), "throttled_pct": median(throttled)}


def run_w3(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W3"]
    names = cfg.crm_resources()
    expected = dict.fromkeys(names, sizes.w3_records)
    rate = sizes.w3_rate
    result = WorkloadResult(
        "W3",
        f"crm, {len(names)} x {sizes.w3_records:,} records, API allows {rate:g} requests/s "
        "(429 + Retry-After beyond)",
        {"records_per_resource": sizes.w3_records, "rate_limit": rate},
    )
    limited = _spec(
        "restsync",
        config=cfg.crm_config(requests_per_second=rate),
        secrets=cfg.CRM_SECRETS,
        url=url,
        expected=expected,
    )
    unlimited = replace(limited, config=cfg.crm_config())
    # no rate configured: the pace comes from the API's X-RateLimit-* headers
    announced = {f"restsync X-RateLimit {window}": f"W3-{window}" for window, _ in W3_WINDOWS}
    result.runs = _interleaved(
        ctx,
        "W3",
        [
            (f"restsync rps={rate:g}", limited, ctx.repeat, True),
            ("restsync no rps", unlimited, ctx.repeat, False),
            *((variant, replace(unlimited, url=ctx.server.urls[key]), ctx.repeat, True)
              for variant, key in announced.items()),
        ],
        fresh_state=True,
        servers=announced,
    )  # fmt: skip
    result.metrics = []
    variants = [(f"restsync rps={rate:g}", True), ("restsync no rps", False)]
    for variant, targets in [*variants, *((v, True) for v in announced)]:
        runs = _of(result.runs, variant)
        summary = _summary(runs)
        summary.update(_w3_rates(runs, rate))
        result.medians[variant] = summary
        used, throttled = summary["rate_used_pct"], summary["throttled_pct"]
        landed = _rows_metric("W3", variant, runs)
        if not targets:
            landed.target, landed.passed = "", None
        result.metrics += [
            Metric("W3", variant, "allowed rate used", used, "%",
                   ">= 90%" if targets else "",
                   (used is not None and used >= 90) if targets else None),
            Metric("W3", variant, "requests answered 429", throttled, "%",
                   "<= 1%" if targets else "",
                   (throttled is not None and throttled <= 1) if targets else None),
            Metric("W3", variant, "wall time", summary["wall_s"], "s"),
            landed,
        ]  # fmt: skip
    return result


# --- W4 ---------------------------------------------------------------------------------------


#: the DuckDB memory cap of W4's second variant (``sync(duckdb_memory_limit=...)``)
W4_DUCKDB_LIMIT = "64MB"


def run_w4(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W4"]
    result = WorkloadResult(
        "W4",
        f"prospects, {sizes.w4_records:,} records ({sizes.w4_page_size} per page), no latency: "
        "peak RSS of the client process",
        {"records": sizes.w4_records, "page_size": sizes.w4_page_size},
    )
    restsync = _prospects_spec(url, sizes.w4_records)
    capped = replace(restsync, sync_options={"duckdb_memory_limit": W4_DUCKDB_LIMIT})
    capped_name = f"restsync duckdb {W4_DUCKDB_LIMIT}"
    # memory is only measurable per process: always a fresh child, whatever ctx.isolate says
    result.runs = _interleaved(
        ctx,
        "W4",
        [("restsync", restsync, ctx.repeat, True), (capped_name, capped, ctx.repeat, True)],
        isolated=True,
    )
    result.medians = {}
    result.metrics = []
    # the target applies to the capped run: uncapped, DuckDB keeps what it wrote cached (up to
    # 80% of RAM by default), which is the destination's memory, not restsync's
    for name, targeted in (("restsync", False), (capped_name, True)):
        rs = _summary(_of(result.runs, name))
        result.medians[name] = rs
        rss = rs["rss_mb"]
        result.metrics += [
            Metric("W4", name, "peak RSS", rss, "MB", "<= 300" if targeted else "",
                   None if rss is None or not targeted else rss <= 300),
            Metric("W4", name, "RSS after imports", rs["import_rss_mb"], "MB"),
            Metric("W4", name, "records/s into DuckDB", rs["records_per_s"], "rec/s"),
            _rows_metric("W4", name, _of(result.runs, name)),
        ]  # fmt: skip
    return result


RUNNERS: dict[str, Callable[[Context], WorkloadResult]] = {
    "W1": run_w1,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
}
