"""The workloads with a limit rather than a rival: the API's rate limit (W3) and the client's
memory (W4).

- W3: the ``crm`` connector against an API allowing 10 requests/s (429 + Retry-After beyond):
  restsync with ``client.limits.requests_per_second`` set to the limit, and without it; and,
  with no rate configured, against the same budget announced in whole-second
  ``X-RateLimit-*`` headers over a fixed and a sliding window (``W3_WINDOWS``).
- W4: 1,000,000 prospects (the seed's config, ``restsync.sync``): peak resident memory of the
  client process, with DuckDB's memory capped and with its default.

Both are verified by row counts (dlt does not run them, so there is no digest to compare).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from . import _configs as cfg
from ._context import (
    Context,
    Metric,
    WorkloadResult,
    interleaved,
    median,
    of,
    prospects_result,
    rows_metric,
    summary,
)
from ._context import spec as make_spec

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
    names = [r["name"] for r in cfg.crm_config()["resources"]]
    expected = dict.fromkeys(names, sizes.w3_records)
    rate = sizes.w3_rate
    result = WorkloadResult(
        "W3",
        f"crm connector, {len(names)} x {sizes.w3_records:,} {sizes.shape} records, API allows "
        f"{rate:g} requests/s (429 + Retry-After beyond)",
        {"records_per_resource": sizes.w3_records, "rate_limit": rate},
    )
    limited = make_spec(
        "restsync",
        config=cfg.crm_config(requests_per_second=rate),
        secrets=cfg.CRM_SECRETS,
        urls=(url,),
        expected=expected,
    )
    unlimited = replace(limited, config=cfg.crm_config())
    result.runs = interleaved(
        ctx,
        "W3",
        [
            (f"restsync rps={rate:g}", limited, ctx.repeat, True),
            ("restsync no rps", unlimited, ctx.repeat, False),
        ],
        fresh_state=True,
    )
    # no rate configured: the pace comes from the API's X-RateLimit-* headers
    announced = [(f"restsync X-RateLimit {window}", f"W3-{window}") for window, _ in W3_WINDOWS]
    for variant, key in announced:
        plan = (variant, replace(unlimited, urls=(ctx.server.urls[key],)), ctx.repeat, True)
        result.runs += interleaved(ctx, "W3", [plan], key=key, fresh_state=True)
    result.metrics = []
    variants = [(f"restsync rps={rate:g}", True), ("restsync no rps", False)]
    for variant, targets in [*variants, *((v, True) for v, _ in announced)]:
        runs = of(result.runs, variant)
        medians = summary(runs)
        medians.update(_w3_rates(runs, rate))
        result.medians[variant] = medians
        used, throttled = medians["rate_used_pct"], medians["throttled_pct"]
        landed = rows_metric("W3", variant, runs)
        if not targets:
            landed.target, landed.passed = "", None
        result.metrics += [
            Metric("W3", variant, "allowed rate used", used, "%",
                   ">= 90%" if targets else "",
                   (used is not None and used >= 90) if targets else None),
            Metric("W3", variant, "requests answered 429", throttled, "%",
                   "<= 1%" if targets else "",
                   (throttled is not None and throttled <= 1) if targets else None),
            Metric("W3", variant, "wall time", medians["wall_s"], "s"),
            landed,
        ]  # fmt: skip
    return result


# --- W4 ---------------------------------------------------------------------------------------


#: the DuckDB memory cap of W4's second variant (``sync(duckdb_memory_limit=...)``)
W4_DUCKDB_LIMIT = "64MB"


def run_w4(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W4"]
    detail = ", restsync.sync: peak RSS of the client"
    result = prospects_result("W4", sizes.shape, sizes.w4_records, sizes.w4_page_size, detail)
    restsync = make_spec(
        "restsync",
        config=cfg.prospects_seed_config(url),
        urls=(url,),
        expected={"prospects": sizes.w4_records},
    )
    capped = replace(restsync, sync_options={"duckdb_memory_limit": W4_DUCKDB_LIMIT})
    capped_name = f"restsync duckdb {W4_DUCKDB_LIMIT}"
    # memory is only measurable per process: always a fresh child, whatever ctx.isolate says
    result.runs = interleaved(
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
        rs = summary(of(result.runs, name))
        result.medians[name] = rs
        rss = rs["rss_mb"]
        result.metrics += [
            Metric("W4", name, "peak RSS", rss, "MB", "<= 300" if targeted else "",
                   None if rss is None or not targeted else rss <= 300),
            Metric("W4", name, "RSS after imports", rs["import_rss_mb"], "MB"),
            Metric("W4", name, "records/s into DuckDB", rs["records_per_s"], "rec/s"),
            rows_metric("W4", name, of(result.runs, name)),
        ]  # fmt: skip
    return result
