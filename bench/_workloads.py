"""The six workloads by name, and the emulators they need (all served by one process).

W1, W2, W5 and W6 compare speed with dlt on the same API (``_speed``); W3 and W4 check a limit
(``_limits``). Every emulator serves the record shape ``Sizes.shape`` (``realistic`` by
default: lists, nested objects, mixed types; ``flat``: the connectors' hinted columns only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import _configs as cfg
from ._context import FULL, QUICK, Context, Metric, Sizes, WorkloadResult
from ._limits import W3_PERIOD, W3_WINDOWS, W4_DUCKDB_LIMIT, run_w3, run_w4
from ._server import EmulatorSpec
from ._speed import run_w1, run_w2, run_w5, run_w6

__all__ = [
    "FULL",
    "QUICK",
    "RUNNERS",
    "W4_DUCKDB_LIMIT",
    "WORKLOADS",
    "Context",
    "Metric",
    "Sizes",
    "WorkloadResult",
    "emulator_specs",
]

RUNNERS: dict[str, Callable[[Context], WorkloadResult]] = {
    "W1": run_w1,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
    "W5": run_w5,
    "W6": run_w6,
}
WORKLOADS = tuple(RUNNERS)
_RECORD_BYTES = 4 * 1024  # cache budget per record: a realistic record serialises to ~1.3 KB


def emulator_specs(sizes: Sizes, workloads: Sequence[str]) -> dict[str, EmulatorSpec]:
    """The emulators the selected workloads need, by key."""
    crm_names = cfg.crm_resources()
    shape = {"shape": sizes.shape}
    specs: dict[str, EmulatorSpec] = {}
    if "W1" in workloads:
        specs["W1"] = EmulatorSpec(
            cfg.crm_config(),
            cfg.CRM_SECRETS,
            {"records": sizes.w1_records, "latency": sizes.w1_latency, **shape},
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
                "cache_bytes": max(32 << 20, sizes.w2_records * _RECORD_BYTES),
                **shape,
            },
        )
    if "W3" in workloads:
        specs["W3"] = EmulatorSpec(
            cfg.crm_config(),
            cfg.CRM_SECRETS,
            {
                "records": dict.fromkeys(crm_names, sizes.w3_records),
                "rate_limit": sizes.w3_rate,
                **shape,
            },
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
                    **shape,
                },
            )
    if "W4" in workloads:
        specs["W4"] = EmulatorSpec(
            cfg.prospects_config(),
            cfg.SALES_SECRETS,
            {"records": {"prospects": sizes.w4_records}, "page_size": sizes.w4_page_size, **shape},
        )
    if "W5" in workloads:
        # the same API twice: as it is, and after a change (generation 1), for the merge sync
        for key, generation in (("W5", 0), ("W5+1", 1)):
            specs[key] = EmulatorSpec(
                cfg.crm_config(),
                cfg.CRM_SECRETS,
                {
                    "records": sizes.w5_records,
                    "generation": generation,
                    "cache_bytes": max(32 << 20, len(crm_names) * sizes.w5_records * _RECORD_BYTES),
                    **shape,
                },
            )
    if "W6" in workloads:
        specs["W6"] = EmulatorSpec(
            cfg.prospects_config(),
            cfg.SALES_SECRETS,
            {
                "records": {"prospects": sizes.w6_records},
                "page_size": sizes.w6_page_size,
                "cache_bytes": max(32 << 20, sizes.w6_records * _RECORD_BYTES),
                **shape,
            },
        )
    return specs
