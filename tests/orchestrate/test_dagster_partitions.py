"""Time-window partitions: each window is a run of its own, several run at once (each
``dagster asset materialize`` process runs its step on the multiprocess executor), in any
order, into one PostgreSQL dataset; the dataset ends with every record of the windows exactly
once, a record sitting exactly on a window's edge included, and the workers together stay
within the API's rate through the shared budget (the API answers 429 beyond it)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from dagster import DagsterInstance, materialize
from partition_defs import START, WINDOWS, items_config

from restsync import load_config
from restsync.dagster import restsync_assets
from restsync.emulator import Emulator, EmulatorOptions, serve

DEFS = Path(__file__).with_name("partition_defs.py")
RATE = 5.0  # requests/s the API allows, and the budget the workers share
EDGES = {
    WINDOWS.time_window_for_partition_key(key).start.strftime("%Y-%m-%dT%H:%M:%SZ")
    for key in WINDOWS.get_partition_keys()[1:]
}
END = WINDOWS.time_window_for_partition_key(WINDOWS.get_partition_keys()[-1]).end


def _options_with_a_record_on_an_edge() -> EmulatorOptions:
    """Emulator options whose records put one exactly on a window's edge (the seed decides
    the seconds of each ``created_at``)."""
    config = load_config(items_config())
    for seed in range(500):
        options = EmulatorOptions(records=170, page_size=20, seed=seed, rate_limit=RATE)
        if EDGES & {r["created_at"] for r in Emulator(config, options).records("items")}:
            return options
    raise AssertionError("no seed puts a record on a window edge")


@pytest.fixture
def dataset(postgres_url: str) -> Iterator[str]:
    name = f"windows_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        for schema in _schemas(postgres_url, name):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _schemas(postgres_url: str, dataset: str) -> set[str]:
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{dataset}%",))
        return {schema for (schema,) in cursor.fetchall()}


def _landed(postgres_url: str, dataset: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute(f'SELECT id, created_at FROM "{dataset}".items ORDER BY id')
        return cursor.fetchall()


def _expected(api: Emulator) -> list[int]:
    end = END.strftime("%Y-%m-%dT%H:%M:%SZ")
    return sorted(r["id"] for r in api.records("items") if r["created_at"] < end)


@pytest.mark.postgres
def test_windows_run_at_once_in_any_order_load_every_record_once(
    postgres_url: str, redis_url: str, dataset: str, tmp_path: Path
) -> None:
    options = _options_with_a_record_on_an_edge()
    dagster = Path(sys.executable).parent / "dagster"
    with serve(load_config(items_config()), options) as api:
        env = {
            **os.environ,
            "PARTITION_API": api.url,
            "PARTITION_DATASET": dataset,
            "PARTITION_BUDGET": redis_url,
            "PARTITION_RATE": str(RATE),
            "DESTINATION__POSTGRES__CREDENTIALS": postgres_url,
        }
        keys = WINDOWS.get_partition_keys()
        assert len(keys) == 4
        workers = []
        for index, key in enumerate(reversed(keys)):  # newest window first
            home = tmp_path / f"dagster_home_{index}"
            home.mkdir()
            command = [str(dagster), "asset", "materialize", "-f", str(DEFS)]
            workers.append(
                subprocess.Popen(
                    [*command, "--select", "*", "--partition", key],
                    env={**env, "DAGSTER_HOME": str(home)},
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        outputs = [worker.communicate(timeout=600)[0] for worker in workers]
        for worker, output in zip(workers, outputs, strict=True):
            assert worker.returncode == 0, output[-4000:]
            assert "RUN_SUCCESS" in output
        throttled = api.emulator.stats.throttled
        expected = _expected(api.emulator)
        on_edges = [r["id"] for r in api.emulator.records("items") if r["created_at"] in EDGES]

    landed = _landed(postgres_url, dataset)
    ids = [row[0] for row in landed]
    assert ids == expected  # each record once: no gap, no duplicate at an edge
    assert on_edges
    assert set(on_edges) <= set(ids)
    assert throttled == 0  # four workers, one budget: the API never had to say no
    # each window staged its merge in a dataset of its own, dropped after its load
    assert _schemas(postgres_url, dataset) == {dataset}


@pytest.mark.postgres
def test_a_window_run_again_changes_nothing(
    postgres_url: str, dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    options = EmulatorOptions(records=100, page_size=20)
    with serve(load_config(items_config()), options) as api:
        assets = restsync_assets(
            items_config(),
            destination="postgres",
            dataset=dataset,
            base_url=api.url,
            partitions_def=WINDOWS,
        )
        key = WINDOWS.get_partition_keys()[1]
        window = WINDOWS.time_window_for_partition_key(key)
        for _ in range(2):
            result = materialize([assets], instance=DagsterInstance.ephemeral(), partition_key=key)
            assert result.success
        start, end = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (window.start, window.end))
        expected = sorted(
            r["id"] for r in api.emulator.records("items") if start <= r["created_at"] < end
        )
        (event,) = result.get_asset_materialization_events()
    assert [row[0] for row in _landed(postgres_url, dataset)] == expected
    assert event.materialization.metadata["rows_per_table"].value == {"items": len(expected)}
    assert window.start > START
