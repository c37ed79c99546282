"""The restsync benchmark harness: restsync and dlt's own ``rest_api_source`` side by side
against the emulator (served from a separate process), six workloads from issues 3 and 9.

    python -m bench --workloads W1,W2 --repeat 3 --out bench/results/latest.json

or from Python::

    report = run_workloads(["W1"], repeat=1, sizes=Sizes(w1_records=200), out="r.json")

See bench/README.md for what each workload measures and how to read the table.
"""

from __future__ import annotations

from ._client import DATASET, DB_FILE, RunResult, RunSpec, count_rows, execute, execute_isolated
from ._digest import TableDigest, dataset_digest, differences
from ._run import run_workloads
from ._server import BenchError, EmulatorServer, EmulatorSpec
from ._workloads import FULL, QUICK, WORKLOADS, Metric, Sizes, WorkloadResult

__all__ = [
    "DATASET",
    "DB_FILE",
    "FULL",
    "QUICK",
    "WORKLOADS",
    "BenchError",
    "EmulatorServer",
    "EmulatorSpec",
    "Metric",
    "RunResult",
    "RunSpec",
    "Sizes",
    "TableDigest",
    "WorkloadResult",
    "count_rows",
    "dataset_digest",
    "differences",
    "execute",
    "execute_isolated",
    "run_workloads",
]
