"""The workloads that compare speed with dlt, on the same API in the same benchmark run:

- W1: the CRM seed (9 resources) against an API answering in 100 ms.
- W2: the sales-engagement seed's ``prospects``, 200,000 records, no latency: records/s.
- W5: the CRM seed, no latency, a first sync and a merge sync after the API's data changed.
- W6: ``prospects`` into PostgreSQL: speed and the client's peak memory.

restsync runs two ways, both on the seed's config as written: the drop-in path (the seed's
code with its import line changed: ``dlt.pipeline(...).run(rest_api_source(config))``) and
``restsync.sync``. dlt runs its own ``rest_api_source`` on the seed fixed for it, with its
defaults and with the best file format a dlt user can choose (parquet; csv on PostgreSQL,
which takes no parquet). Every table every run loaded (nested ones included) is digested and
compared with dlt's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx

from . import _configs as cfg
from ._client import RunSpec
from ._context import (
    MAX_IN_FLIGHT,
    Context,
    Metric,
    WorkloadResult,
    check_digests,
    interleaved,
    of,
    prospects_result,
    ratio,
    rows_metric,
    spec,
    summary,
)

DROPIN, SYNC, DLT = "restsync drop-in", "restsync sync()", "dlt"
STEPS = "drop-in, steps timed"
RESTSYNC_VARIANTS = (DROPIN, SYNC)


def _plans(
    ctx: Context,
    *,
    seed: RunSpec,
    dlt: RunSpec,
    best_format: str,
) -> list[tuple[str, RunSpec, int, bool]]:
    """The four variants of a speed workload: restsync drop-in and sync() on the seed's
    config (``seed`` is the drop-in's spec), dlt with its defaults and with ``best_format``."""
    return [
        (DROPIN, seed, ctx.repeat, True),
        (SYNC, replace(seed, tool="restsync"), ctx.repeat, True),
        (DLT, dlt, ctx.dlt_repeat, True),
        (f"dlt {best_format}", replace(dlt, loader_file_format=best_format), ctx.dlt_repeat, True),
    ]


def _speedups(
    workload: str,
    medians: dict[str, dict[str, float | None]],
    *,
    stat: str,
    label: str,
    target: float | None,
    dlt_variants: Sequence[str],
) -> list[Metric]:
    """``dlt time / restsync time`` of each restsync variant against each dlt variant; the
    target applies against dlt's defaults."""
    metrics = []
    for variant in RESTSYNC_VARIANTS:
        for dlt_variant in dlt_variants:
            value = ratio(medians[dlt_variant][stat], medians[variant][stat])
            targeted = target is not None and dlt_variant == DLT
            metrics.append(
                Metric(
                    workload,
                    variant,
                    f"{label}speed-up vs {dlt_variant}",
                    value,
                    "x",
                    f">= {target:g}" if targeted else "",
                    (value is not None and value >= target) if targeted and target else None,
                )
            )
    return metrics


def _warm(pages: Sequence[str], headers: dict[str, str]) -> None:
    """Fetch every page once, so the emulator's cache holds it and the measured runs time
    the clients, not the fake API's record generation."""
    with httpx.Client(headers=headers, timeout=120) as client:
        for url in pages:
            client.get(url).raise_for_status()


def _crm_pages(url: str, records: int) -> list[str]:
    paths = dict.fromkeys(path for _, path in cfg.CRM_SEED_RESOURCES)
    pages = math.ceil(records / 100)
    base = url.rstrip("/")
    return [f"{base}{p}?page={n}&limit=100" for p in paths for n in range(1, pages + 1)]


CRM_HEADERS = {"Authorization": f"Bearer {cfg.CRM_TOKEN}"}
SALES_HEADERS = {"X-API-KEY": cfg.SALES_KEY}


# --- W1 ---------------------------------------------------------------------------------------


def run_w1(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W1"]
    names = cfg.crm_resources()
    expected = dict.fromkeys(names, sizes.w1_records)
    result = WorkloadResult(
        "W1",
        f"CRM seed, {len(names)} resources x {sizes.w1_records:,} {sizes.shape} records, "
        f"100 per page, {sizes.w1_latency * 1000:.0f} ms per request",
        {"records_per_resource": sizes.w1_records, "latency_s": sizes.w1_latency},
    )
    seed = spec("dropin", config=cfg.crm_seed_config(url), urls=(url,), expected=expected)
    dlt = spec("dlt", config=cfg.crm_dlt_config(url), urls=(url,), expected=expected)
    plans = _plans(ctx, seed=seed, dlt=dlt, best_format="parquet")
    result.runs = interleaved(ctx, "W1", plans, digest=True)
    variants = [p[0] for p in plans]
    result.medians = {v: summary(of(result.runs, v)) for v in variants}
    rs = result.medians[DROPIN]
    bound = math.ceil(rs["requests"] / MAX_IN_FLIGHT) * sizes.w1_latency if rs["requests"] else None
    in_flight = max(
        (result.medians[v]["max_in_flight"] or 0 for v in RESTSYNC_VARIANTS), default=None
    )
    result.metrics = [
        *(Metric("W1", v, "wall time", result.medians[v]["wall_s"], "s") for v in variants),
        *_speedups("W1", result.medians, stat="wall_s", label="", target=10,
                   dlt_variants=variants[2:]),
        Metric("W1", DROPIN, f"lower bound ceil(requests/{MAX_IN_FLIGHT}) x latency",
               bound, "s"),
        *(Metric("W1", v, "requests per run", result.medians[v]["requests"]) for v in variants),
        Metric("W1", "restsync", "max requests in flight", in_flight, "", f"<= {MAX_IN_FLIGHT}",
               None if in_flight is None else in_flight <= MAX_IN_FLIGHT),
        *check_digests("W1", result.runs, DLT, [*RESTSYNC_VARIANTS, variants[3]]),
        *(rows_metric("W1", v, of(result.runs, v)) for v in variants),
    ]  # fmt: skip
    return result


# --- W2 ---------------------------------------------------------------------------------------


def run_w2(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W2"]
    pages = math.ceil(sizes.w2_records / sizes.w2_page_size)
    dlt_pages = min(pages, math.ceil(sizes.w2_dlt_records / sizes.w2_page_size))
    dlt_records = min(sizes.w2_records, dlt_pages * sizes.w2_page_size)
    detail = f"; dlt, and restsync's digest check, on the first {dlt_records:,}"
    result = prospects_result(
        "W2", sizes.shape, sizes.w2_records, sizes.w2_page_size, detail, dlt_records=dlt_records
    )
    # the pure-parse baseline fetches every page once, which also fills the emulator's cache
    page_urls = tuple(f"{url}prospects?page={n}" for n in range(1, pages + 1))
    parse = spec("parse", pages=page_urls, headers=SALES_HEADERS, selector=("data", "prospects"))
    ctx.console.print("  W2 warming the emulator's page cache (and timing the parse baseline)")
    baseline = ctx.measure("W2", "W2", parse, variant="parse-baseline", index=0, isolated=False)
    baseline["required"] = True
    full = {"prospects": sizes.w2_records}
    seed = spec("dropin", config=cfg.prospects_seed_config(url), urls=(url,), expected=full)
    # dlt's maximum_page is exclusive: pages base_page .. maximum_page - 1
    cut = {"maximum_page": 1 + dlt_pages}
    subset = {"prospects": dlt_records}
    dlt = spec("dlt", config=cfg.prospects_dlt_config(url, **cut), urls=(url,), expected=subset)
    plans = _plans(ctx, seed=seed, dlt=dlt, best_format="parquet")
    timed = interleaved(ctx, "W2", plans[:2])
    # restsync on dlt's part of the API, for the digest comparison (not timed against it)
    subset_config = cfg.prospects_seed_config(url, **cut)
    checks = [
        (f"{variant} {dlt_records:,}", replace(run, config=subset_config, expected=subset), 1, True)
        for variant, run, _, _ in plans[:2]
    ]
    compared = interleaved(ctx, "W2", [*plans[2:], *checks], digest=True)
    # where the drop-in path's time goes: the same run with dlt's steps called one by one
    steps = interleaved(ctx, "W2", [(STEPS, replace(seed, phases=True), 1, True)])
    result.runs = [baseline, *timed, *compared, *steps]
    variants = [p[0] for p in plans]
    result.medians = {v: summary(of(result.runs, v)) for v in variants}
    parse_rate = baseline["records"] / baseline["wall_s"] if baseline["wall_s"] else None
    result.medians["parse-baseline"] = {"records_per_s": parse_rate}
    dropin_rate = result.medians[DROPIN]["records_per_s"]
    result.metrics = [
        Metric("W2", DROPIN, "records/s into DuckDB", dropin_rate, "rec/s", ">= 60,000",
               None if dropin_rate is None else dropin_rate >= 60_000),
        *(Metric("W2", v, "records/s into DuckDB", result.medians[v]["records_per_s"], "rec/s")
          for v in variants[1:]),
        *(Metric("W2", v, f"speed-up vs {d} (records/s)",
                 ratio(result.medians[v]["records_per_s"], result.medians[d]["records_per_s"]),
                 "x") for v in RESTSYNC_VARIANTS for d in variants[2:]),
        Metric("W2", "parse", "orjson + selector only (no HTTP)", parse_rate, "rec/s"),
        *_step_metrics("W2", of(result.runs, STEPS), parse_rate),
        *(Metric("W2", v, "wall time", result.medians[v]["wall_s"], "s") for v in variants),
        *check_digests("W2", result.runs, DLT, [c[0] for c in checks] + [variants[3]]),
        *(rows_metric("W2", v, of(result.runs, v))
          for v in [*variants, *(c[0] for c in checks), STEPS]),
    ]  # fmt: skip
    return result


def _step_metrics(
    workload: str, runs: Sequence[dict[str, Any]], parse_rate: float | None = None
) -> list[Metric]:
    """The seconds of each of dlt's steps in the drop-in run that timed them (per sync, for a
    run of two), and with ``parse_rate`` the most records/s a drop-in run could reach if its
    extract cost no more than parsing the pages (the parse baseline): dlt normalises and loads
    only after the extract ends."""
    ok = [r for r in runs if r["ok"] and r["phases_s"]]
    if not ok:
        return []
    syncs = ok[0]["phases_s"]
    labels = [""] if len(syncs) == 1 else ["first sync ", "merge sync "]
    metrics = [
        Metric(workload, STEPS, f"{label}{step}", seconds, "s")
        for label, steps in zip(labels, syncs, strict=True)
        for step, seconds in steps.items()
    ]
    if parse_rate:
        records, steps = ok[0]["records"], syncs[0]
        floor = records / parse_rate + steps["normalize"] + steps["load"]
        metrics.append(Metric(workload, STEPS, "bound: extract at parse speed + normalize + load",
                              records / floor, "rec/s"))  # fmt: skip
    return metrics


# --- W5 ---------------------------------------------------------------------------------------


def run_w5(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    first, changed = ctx.server.urls["W5"], ctx.server.urls["W5+1"]
    names = cfg.crm_resources()
    grown = sizes.w5_records + max(1, sizes.w5_records // 50)  # generation 1 adds records
    expected = dict.fromkeys(names, grown)
    result = WorkloadResult(
        "W5",
        f"CRM seed, {len(names)} x {sizes.w5_records:,} {sizes.shape} records, no latency, "
        "a first sync, then a merge sync after the API changed every tenth record (lists "
        "shortened) and added 2%",
        {"records_per_resource": sizes.w5_records, "after_change": grown},
    )
    ctx.console.print("  W5 warming the emulators' page caches")
    _warm(_crm_pages(first, sizes.w5_records), CRM_HEADERS)
    _warm(_crm_pages(changed, grown), CRM_HEADERS)
    urls = (first, changed)
    seed = spec("dropin", config=cfg.crm_seed_config(first), urls=urls, expected=expected)
    dlt = spec("dlt", config=cfg.crm_dlt_config(first), urls=urls, expected=expected)
    plans = _plans(ctx, seed=seed, dlt=dlt, best_format="parquet")
    result.runs = interleaved(ctx, "W5", plans, digest=True)
    result.runs += interleaved(ctx, "W5", [(STEPS, replace(seed, phases=True), 1, True)])
    variants = [p[0] for p in plans]
    result.medians = {v: summary(of(result.runs, v)) for v in variants}
    metrics: list[Metric] = []
    for v in variants:
        one, two = result.medians[v]["first_sync_s"], result.medians[v]["second_sync_s"]
        metrics.append(Metric("W5", v, "first sync", one, "s"))
        metrics.append(Metric("W5", v, "merge sync", two, "s"))
        slower = ratio(two, one)
        targeted = v in RESTSYNC_VARIANTS
        metrics.append(
            Metric("W5", v, "merge sync / first sync", slower, "x", "<= 1.5" if targeted else "",
                   (slower is not None and slower <= 1.5) if targeted else None)
        )  # fmt: skip
    result.metrics = [
        *metrics,
        *_speedups("W5", result.medians, stat="first_sync_s", label="first sync ",
                   target=10, dlt_variants=variants[2:]),
        *_speedups("W5", result.medians, stat="second_sync_s", label="merge sync ",
                   target=10, dlt_variants=variants[2:]),
        *check_digests("W5", result.runs, DLT, [*RESTSYNC_VARIANTS, variants[3]]),
        *_step_metrics("W5", of(result.runs, STEPS)),
        *(rows_metric("W5", v, of(result.runs, v)) for v in [*variants, STEPS]),
    ]  # fmt: skip
    return result


# --- W6 ---------------------------------------------------------------------------------------


def run_w6(ctx: Context) -> WorkloadResult:
    sizes = ctx.sizes
    url = ctx.server.urls["W6"]
    detail = ", into PostgreSQL"
    result = prospects_result("W6", sizes.shape, sizes.w6_records, sizes.w6_page_size, detail)
    ctx.console.print("  W6 warming the emulator's page cache")
    pages = math.ceil(sizes.w6_records / sizes.w6_page_size)
    _warm([f"{url}prospects?page={n}" for n in range(1, pages + 1)], SALES_HEADERS)
    expected = {"prospects": sizes.w6_records}
    common: dict[str, Any] = {"urls": (url,), "expected": expected, "destination": "postgres"}
    seed = spec("dropin", config=cfg.prospects_seed_config(url), **common)
    dlt = spec("dlt", config=cfg.prospects_dlt_config(url), **common)
    plans = _plans(ctx, seed=seed, dlt=dlt, best_format="csv")
    # memory is only measurable per process: always a fresh child
    result.runs = interleaved(ctx, "W6", plans, isolated=True, digest=True)
    variants = [p[0] for p in plans]
    result.medians = {v: summary(of(result.runs, v)) for v in variants}
    result.metrics = [
        *(Metric("W6", v, "wall time", result.medians[v]["wall_s"], "s") for v in variants),
        *_speedups("W6", result.medians, stat="wall_s", label="", target=5,
                   dlt_variants=variants[2:]),
        *(Metric("W6", v, "peak RSS", result.medians[v]["rss_mb"], "MB",
                 "<= 300" if v in RESTSYNC_VARIANTS else "",
                 _at_most(result.medians[v]["rss_mb"], 300) if v in RESTSYNC_VARIANTS else None)
          for v in variants),
        *check_digests("W6", result.runs, DLT, [*RESTSYNC_VARIANTS, variants[3]]),
        *(rows_metric("W6", v, of(result.runs, v)) for v in variants),
    ]  # fmt: skip
    return result


def _at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit
