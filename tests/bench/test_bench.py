"""Smoke tests of the benchmark harness (``python -m bench``) on tiny sizes: the JSON it writes
has the promised structure, every run is checked against the rows that really landed in its
DuckDB file or PostgreSQL schema, every speed run carries the digest of its tables, a run that
loaded the wrong number of rows is reported as failed, and the digest comparison notices one
changed value in a nested table while ignoring row order and dlt's random ids."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from bench.__main__ import main
from bench._client import drop_dataset
from bench._workloads import W4_DUCKDB_LIMIT
from rich.console import Console

from bench import (
    DATASET,
    DB_FILE,
    WORKLOADS,
    RunSpec,
    Sizes,
    dataset_digest,
    differences,
    execute,
    run_workloads,
)
from bench import _configs as configs
from restsync.config import load_config
from restsync.emulator import Emulator, EmulatorOptions, serve

# flat records keep the many small dlt loads of the smoke run short; the realistic shape's
# nested tables are checked on one small load below
TINY = Sizes(
    shape="flat",
    w1_records=120,
    w1_latency=0.01,
    w2_records=2_000,
    w2_dlt_records=1_000,
    w2_page_size=500,
    w3_records=100,
    w3_rate=40.0,
    w4_records=2_000,
    w4_page_size=500,
    w5_records=120,
    w6_records=1_000,
    w6_page_size=500,
    dlt_repeat=1,
)

SPEED = {"restsync drop-in", "restsync sync()", "dlt"}
STEPS = "drop-in, steps timed"  # a drop-in run whose pipeline steps are timed one by one
VARIANTS = {
    "W1": {*SPEED, "dlt parquet"},
    "W2": {
        "parse-baseline",
        *SPEED,
        "dlt parquet",
        "restsync drop-in 1,000",
        "restsync sync() 1,000",
        STEPS,
    },
    "W3": {
        "restsync rps=40",
        "restsync no rps",
        "restsync X-RateLimit fixed",
        "restsync X-RateLimit sliding",
    },
    "W4": {"restsync", f"restsync duckdb {W4_DUCKDB_LIMIT}"},
    "W5": {*SPEED, "dlt parquet", STEPS},
    "W6": {*SPEED, "dlt csv"},
}
DIGESTED = {"W1", "W2", "W5", "W6"}
# runs timed only, not digested
UNDIGESTED = {
    "W2": {"parse-baseline", "restsync drop-in", "restsync sync()", STEPS},
    "W5": {STEPS},
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path, str]]:
    """Every workload once, its files and PostgreSQL schemas kept (dropped at the end)."""
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
    yield report, base, console.file.getvalue()
    for workload in report["workloads"].values():
        for run in workload["runs"]:
            if run["destination"] == "postgres":
                drop_dataset(RunSpec(run["tool"], run["workdir"], destination="postgres",
                                     dataset=run["dataset"]))  # fmt: skip


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
            if name in DIGESTED and run["variant"] not in UNDIGESTED.get(name, ()):
                assert run["digest"], (name, run["variant"])
    w1 = written["workloads"]["W1"]
    assert w1["medians"]["restsync drop-in"]["max_in_flight"] >= 1
    assert w1["medians"]["dlt"]["wall_s"] > 0
    assert written["workloads"]["W2"]["medians"]["parse-baseline"]["records_per_s"] > 0
    (stepped,) = [r for r in written["workloads"]["W2"]["runs"] if r["variant"] == STEPS]
    assert list(stepped["phases_s"][0]) == ["extract", "normalize", "load"]
    assert sum(stepped["phases_s"][0].values()) <= stepped["wall_s"]
    bound = [m for m in written["workloads"]["W2"]["metrics"] if m["metric"].startswith("bound")]
    assert bound[0]["value"] > 0
    w4_run = written["workloads"]["W4"]["runs"][0]
    assert w4_run["rss_mb"] > w4_run["import_rss_mb"] > 0  # measured in its own process
    for run in written["workloads"]["W5"]["runs"]:
        assert len(run["syncs_s"]) == 2  # a first sync, then the merge sync
        assert len(run["phases_s"]) == (2 if run["variant"] == STEPS else 0)
        assert run["wall_s"] == pytest.approx(sum(run["syncs_s"]))


@pytest.mark.parametrize("workload", sorted(DIGESTED), ids=str)
def test_speed_runs_are_compared_with_dlt_by_digest(
    smoke: tuple[dict[str, Any], Path, str], workload: str
) -> None:
    report, _, _ = smoke
    runs = report["workloads"][workload]["runs"]
    reference = next(r for r in runs if r["variant"] == "dlt")
    assert set(reference["digest"]) == set(reference["expected"])
    compared = [r for r in runs if r["tool"] in ("restsync", "dropin") and r["digest"]]
    assert len({r["variant"] for r in compared}) == 2  # drop-in and sync()
    for run in compared:
        assert run["digest_diff"] == [], (run["variant"], run["digest_diff"])
    checked = {m["tool"] for m in report["workloads"][workload]["metrics"]
               if m["metric"].endswith("(digest)")}  # fmt: skip
    assert checked == {r["variant"] for r in compared} | {
        v for v in VARIANTS[workload] if v.startswith("dlt ")
    }


def test_realistic_runs_digest_the_nested_tables(tmp_path: Path) -> None:
    records = 300
    config = load_config(configs.prospects_config(), secrets=configs.SALES_SECRETS)
    options = EmulatorOptions(records={"prospects": records}, page_size=100, shape="realistic")
    with serve(config, options) as running:
        spec = RunSpec(
            "dlt",
            str(tmp_path / "run"),
            config=configs.prospects_dlt_config(running.url),
            urls=(running.url,),
            expected={"prospects": records},
        )
        result = execute(spec)
    assert result.ok, result.error
    with duckdb.connect(str(tmp_path / "run" / DB_FILE), read_only=True) as connection:
        digest = dataset_digest(connection.cursor(), DATASET)
    assert {"prospects", "prospects__tags", "prospects__emails"} <= set(digest)
    assert digest["prospects"].rows == records
    assert digest["prospects__emails"].rows >= records  # one or more per record
    assert not any(c.startswith("_dlt_") for t in digest.values() for c in t.columns)


@pytest.mark.parametrize("workload", WORKLOADS, ids=str)
def test_reported_row_counts_are_the_rows_in_the_duckdb_files(
    smoke: tuple[dict[str, Any], Path, str], workload: str
) -> None:
    report, base, _ = smoke
    for run in report["workloads"][workload]["runs"]:
        if run["tool"] == "parse" or run["destination"] != "duckdb":
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
    for text in (*WORKLOADS, ">= 60,000", "<= 16", "<= 300", "<= 1.5", ">= 5", ">= 10"):
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
            config=configs.prospects_seed_config(running.url),
            urls=(running.url,),
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


def _load(records: list[dict[str, Any]], folder: Path) -> duckdb.DuckDBPyConnection:
    import dlt

    pipeline = dlt.pipeline(
        pipeline_name="digest",
        destination=dlt.destinations.duckdb(str(folder / DB_FILE)),
        dataset_name=DATASET,
        pipelines_dir=str(folder / "pipelines"),
    )
    pipeline.run(records, table_name="items", primary_key="id", write_disposition="merge")
    return duckdb.connect(str(folder / DB_FILE))


def test_digest_comparison_catches_one_changed_nested_value(tmp_path: Path) -> None:
    config = load_config(configs.crm_config(), secrets=configs.CRM_SECRETS)
    records = Emulator(config, EmulatorOptions(records=200, shape="realistic")).records("accounts")
    with _load(records, tmp_path / "a") as first:
        reference = dataset_digest(first.cursor(), DATASET)
    # the same records in another order: other _dlt_ids, other row order, the same digest
    with _load(records[::-1], tmp_path / "b") as second:
        assert differences(reference, dataset_digest(second.cursor(), DATASET)) == []
        (tag,) = second.execute(f"SELECT min(value) FROM {DATASET}.items__tags").fetchone()  # type: ignore[misc]
        second.execute(
            f"UPDATE {DATASET}.items__tags SET value = value || 'x' WHERE _dlt_id = "
            f"(SELECT min(_dlt_id) FROM {DATASET}.items__tags WHERE value = ?)",
            [tag],
        )
        changed = dataset_digest(second.cursor(), DATASET)
        rows = reference["items__tags"].rows
        assert differences(reference, changed) == [
            f"items__tags: same {rows} rows counted, different values"
        ]
        second.execute(f"DELETE FROM {DATASET}.items__line_items__serials WHERE true")
        second.execute(f"ALTER TABLE {DATASET}.items ADD COLUMN extra BIGINT")
        worse = differences(reference, dataset_digest(second.cursor(), DATASET))
    assert worse[0].startswith("items: columns differ (extra ['extra BIGINT'")
    assert "items__line_items__serials: 0 rows" in worse[1]
    assert worse[2].startswith("items__tags: same")


def test_markdown_prints_the_table_of_a_written_report(
    smoke: tuple[dict[str, Any], Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    report, base, _ = smoke
    assert main(["--markdown", str(base / "results.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = sum(len(w["metrics"]) for w in report["workloads"].values())
    assert len(lines) == 2 + rows
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)
    assert any(line.startswith("| W5 | restsync drop-in | first sync |") for line in lines)


def test_postgres_runs_load_into_schemas_of_their_own_dropped_afterwards(
    smoke: tuple[dict[str, Any], Path, str], postgres_url: str, tmp_path: Path
) -> None:
    """A second benchmark of W6 next to the smoke's (whose schemas are kept) loads into
    schemas of its own, and, not asked to keep them, leaves none behind."""
    report, _, _ = smoke
    kept = {run["dataset"] for run in report["workloads"]["W6"]["runs"]}

    again = run_workloads(
        ["W6"],
        repeat=1,
        sizes=TINY,
        isolate=False,
        console=Console(file=io.StringIO(), width=200),
        workdir=tmp_path / "again",
    )

    runs = again["workloads"]["W6"]["runs"]
    assert all(run["ok"] for run in runs), [run["error"] for run in runs]
    datasets = {run["dataset"] for run in runs}
    assert len(datasets) == len(runs)
    assert not datasets & kept
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM information_schema.schemata")
        present = {name for (name,) in cursor.fetchall()}
    connection.close()
    assert kept <= present
    assert not present & (datasets | {f"{dataset}_staging" for dataset in datasets})
