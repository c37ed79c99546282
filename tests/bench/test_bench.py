"""Smoke tests of the benchmark harness (``python -m bench``) on tiny sizes: the JSON it writes
has the promised structure, every run is checked against the rows that really landed in its
DuckDB file, and a run that loaded the wrong number of rows is reported as failed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from bench.__main__ import main
from bench._workloads import W4_DUCKDB_LIMIT
from rich.console import Console

from bench import DATASET, DB_FILE, WORKLOADS, RunSpec, Sizes, execute, run_workloads
from bench import _configs as configs
from restsync.config import load_config
from restsync.emulator import EmulatorOptions, serve

TINY = Sizes(
    w1_records=150,
    w1_latency=0.01,
    w2_records=2_000,
    w2_dlt_records=1_000,
    w2_page_size=500,
    w3_records=100,
    w3_rate=40.0,
    w4_records=2_000,
    w4_page_size=500,
    dlt_repeat=1,
)

VARIANTS = {
    "W1": {"restsync", "dlt"},
    "W2": {"parse-baseline", "restsync", "dlt"},
    "W3": {
        "restsync rps=40",
        "restsync no rps",
        "restsync X-RateLimit fixed",
        "restsync X-RateLimit sliding",
    },
    "W4": {"restsync", f"restsync duckdb {W4_DUCKDB_LIMIT}"},
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, str]:
    base = tmp_path_factory.mktemp("bench")
    out = base / "results.json"
    console = Console(file=io.StringIO(), width=200)
    report = run_workloads(
        WORKLOADS,
        repeat=1,
        sizes=TINY,
        isolate=False,
        out=out,
        console=console,
        workdir=base / "work",
        keep_files=True,
    )
    assert isinstance(console.file, io.StringIO)
    return report, base, console.file.getvalue()


def test_json_holds_every_workload_with_runs_medians_metrics_and_machine(
    smoke: tuple[dict[str, Any], Path, str],
) -> None:
    report, base, _ = smoke
    written = json.loads((base / "results.json").read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(report))
    assert written["ok"] is True, written["failures"]
    assert written["machine"]["cpu_count"] >= 1
    assert written["machine"]["versions"]["dlt"]
    assert written["machine"]["versions"]["duckdb"]
    assert written["settings"]["sizes"]["w2_records"] == TINY.w2_records
    assert set(written["workloads"]) == set(WORKLOADS)
    for name, workload in written["workloads"].items():
        assert {r["variant"] for r in workload["runs"]} == VARIANTS[name]
        assert workload["metrics"], name
        for metric in workload["metrics"]:
            assert set(metric) == {
                "workload", "tool", "metric", "value", "unit", "target", "passed"
            }  # fmt: skip
        for run in workload["runs"]:
            assert run["ok"], (name, run["variant"], run["error"])
            assert run["wall_s"] > 0
            assert run["emulator"]["requests"] > 0
    w1 = written["workloads"]["W1"]
    assert w1["medians"]["restsync"]["max_in_flight"] >= 1
    assert w1["medians"]["dlt"]["wall_s"] > 0
    parse = written["workloads"]["W2"]["medians"]["parse-baseline"]
    # both measured; which is faster is a benchmark result, not something a test may assert
    assert parse["json_only_records_per_s"] > 0
    assert parse["records_per_s"] > 0
    w4_run = written["workloads"]["W4"]["runs"][0]
    assert w4_run["rss_mb"] > w4_run["import_rss_mb"] > 0  # measured in its own process


@pytest.mark.parametrize("workload", ["W1", "W2", "W3", "W4"], ids=str)
def test_reported_row_counts_are_the_rows_in_the_duckdb_files(
    smoke: tuple[dict[str, Any], Path, str], workload: str
) -> None:
    report, base, _ = smoke
    for run in report["workloads"][workload]["runs"]:
        if run["tool"] == "parse":
            continue
        folder = Path(run["workdir"])
        assert folder.is_relative_to(base / "work")
        with duckdb.connect(str(folder / DB_FILE), read_only=True) as connection:
            for table, expected in run["expected"].items():
                (count,) = connection.execute(
                    f'SELECT COUNT(*) FROM {DATASET}."{table}"'
                ).fetchone()  # type: ignore[misc]
                assert count == expected == run["rows"][table], (workload, run["variant"], table)


def test_table_names_every_workload_and_target(smoke: tuple[dict[str, Any], Path, str]) -> None:
    _, _, printed = smoke
    for text in ("W1", "W2", "W3", "W4", ">= 60,000", "<= 16", "<= 300"):
        assert text in printed


@pytest.mark.parametrize(
    ("extra", "ok"), [(0, True), (1, False)], ids=["exact-count", "one-row-short"]
)
def test_a_run_that_loads_other_row_counts_than_expected_fails(
    tmp_path: Path, extra: int, ok: bool
) -> None:
    records = 300
    config = load_config(configs.prospects_config(), secrets=configs.SALES_SECRETS)
    options = EmulatorOptions(records={"prospects": records}, page_size=100)
    with serve(config, options) as running:
        spec = RunSpec(
            "restsync",
            str(tmp_path / "run"),
            config=configs.prospects_config(),
            secrets=configs.SALES_SECRETS,
            url=running.url,
            expected={"prospects": records + extra},
        )
        result = execute(spec)
    assert result.ok is ok
    assert result.rows == {"prospects": records}
    assert (result.error is not None and "wrong row counts" in result.error) is not ok


def test_cli_rejects_an_unknown_workload_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--workloads", "W1,W9", "--out", "unused.json"]) == 2
    assert "W9" in capsys.readouterr().err
    assert not Path("unused.json").exists()
