"""Ctrl-C in every phase of ``restsync run``, as a user sends it: the console script runs as
its own process against a slow loopback API and gets SIGINT while it imports, fetches,
normalises or loads. Each time it ends with exit 130 and one line saying what was and was not
committed, the database holds what that line says, and the next run ends the job exactly.

Each test waits for a state that only that phase has (a library mapped, requests served, dlt's
normaliser writing, the load waiting on a table lock) before it sends the signal; nothing here
bounds how long anything takes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml
from cli_support import console_script

from engine.sync_harness import api_ids, config, landed_ids, resource, tables
from restsync import load_config
from restsync.emulator import EmulatorOptions, RunningEmulator, serve

PIPELINE = "restsync_rest_api"
#: generous bound so a broken signal path fails the test instead of hanging it
HANG = 120.0

SPEC = config(
    resource("items", paginator={"type": "page_number", "base_page": 1}, write_disposition="merge")
)


def write_config(folder: Path) -> Path:
    path = folder / "items.yaml"
    path.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    return path


@contextmanager
def served(**options: Any) -> Iterator[RunningEmulator]:
    with serve(load_config(SPEC), EmulatorOptions(**options)) as running:
        yield running


class Run:
    """``restsync run`` as a child process with its own dlt home."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.home = tmp_path / "dlt_home"
        self.args = [console_script(), "run", str(write_config(tmp_path)), *args]
        self.env = {**os.environ, "DLT_DATA_DIR": str(self.home), **(env or {})}

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )

    def complete(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.args, capture_output=True, text=True, env=self.env, timeout=HANG, check=False
        )

    def load_folder(self, state: str) -> Path:
        return self.home / "pipelines" / PIPELINE / "load" / state


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    """Polls ``condition`` until it holds; fails the test if the process ends first."""
    deadline = time.monotonic() + HANG
    while not condition():
        assert process.poll() is None, f"the run ended first: {process.communicate()}"
        assert time.monotonic() < deadline, "the phase to interrupt never came"
        time.sleep(0.02)


def interrupt(process: subprocess.Popen[str]) -> tuple[int, list[str]]:
    """SIGINT, then the exit status and the non-empty lines of stderr."""
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=HANG)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, [line for line in stderr.splitlines() if line.strip()]


def pending_advice(line: str) -> str:
    """The load id a message says stays pending (and that the advice follows it)."""
    _, sep, tail = line.partition("; load ")
    assert sep, line
    load_id, _, advice = tail.partition(" ")
    assert advice == (
        "stays pending: `restsync run` finishes it before fetching anything, "
        "`restsync run --drop-pending` discards it (and fetches its data again)"
    ), line
    return load_id


def test_ctrl_c_while_importing(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    run = Run(tmp_path, "--base-url", "http://127.0.0.1:9/v1", "--duckdb-file", str(db))
    process = run.start()

    def importing() -> bool:
        # pyarrow is among the first libraries restsync loads; dlt and DuckDB come later
        maps = Path(f"/proc/{process.pid}/maps")
        return maps.exists() and "libarrow" in maps.read_text(errors="replace")

    wait_for(importing, process)
    status, lines = interrupt(process)

    assert status == 130, lines
    assert lines == ["error: interrupted while starting: nothing was fetched or loaded"]
    assert not db.exists()


def test_ctrl_c_while_fetching_loads_nothing_and_the_next_run_loads_once(tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    with served(records=400, page_size=10, latency=0.5) as api:
        run = Run(tmp_path, "--base-url", api.url, "--duckdb-file", str(db))
        process = run.start()
        wait_for(lambda: api.stats.requests >= 3, process)
        status, lines = interrupt(process)

        assert status == 130, lines
        assert lines == [
            "error: interrupted while fetching: nothing of this run was loaded, the "
            "destination is as it was"
        ]
        assert tables(db) == set()

        api.emulator.options = EmulatorOptions(records=400, page_size=10)
        done = run.complete()
        assert done.returncode == 0, done.stderr
        assert landed_ids(db, "items") == api_ids(api.emulator, "items")


def test_ctrl_c_while_normalising_keeps_the_fetched_data_for_the_next_run(
    tmp_path: Path,
) -> None:
    db = tmp_path / "out.duckdb"
    # dicts (not Arrow tables) make dlt's normaliser do real work, for long enough to be caught
    with served(records=30_000, page_size=1_000) as api:
        run = Run(
            tmp_path, "--base-url", api.url, "--duckdb-file", str(db), env={"RESTSYNC_ARROW": "0"}
        )
        process = run.start()
        new = run.load_folder("new")
        wait_for(lambda: new.is_dir() and any(new.iterdir()), process)
        status, lines = interrupt(process)

        assert status == 130, lines
        assert len(lines) == 1, lines
        assert lines[0].startswith(
            "error: interrupted after fetching, before loading: nothing of this run was loaded; "
            "what was fetched is kept; load "
        ), lines[0]
        load_id = pending_advice(lines[0])
        assert "items" not in tables(db) or landed_ids(db, "items") == []

        requests = api.stats.requests
        done = run.complete()
        assert done.returncode == 0, done.stderr
        assert (
            f"note: the load {load_id} an earlier run left pending was retried and committed"
            in (done.stdout)
        )
        assert api.stats.requests > requests
        assert landed_ids(db, "items") == api_ids(api.emulator, "items")


@pytest.mark.postgres
def test_ctrl_c_while_loading_commits_nothing_and_the_next_run_finishes_the_load(
    tmp_path: Path, postgres_url: str
) -> None:
    dataset = f"interrupt_{uuid.uuid4().hex[:8]}"
    env = {"DESTINATION__POSTGRES__CREDENTIALS": postgres_url}
    watch = psycopg2.connect(postgres_url)
    watch.autocommit = True
    try:
        with served(records=200, page_size=50) as api:
            args = ["--base-url", api.url, "--destination", "postgres", "--dataset", dataset]
            run = Run(tmp_path, *args, env=env)
            first = run.complete()
            assert first.returncode == 0, first.stderr
            names = dict(_rows(watch, f"SELECT id, name FROM {dataset}.items"))

            # the API some time later; the table locked against writes, so the load waits
            api.emulator.options = EmulatorOptions(records=200, page_size=50, generation=1)
            lock = psycopg2.connect(postgres_url)
            try:
                lock.cursor().execute(f"LOCK TABLE {dataset}.items IN EXCLUSIVE MODE")
                process = run.start()
                wait_for(lambda: _waits_on_lock(watch, dataset), process)
                status, lines = interrupt(process)
            finally:
                lock.rollback()
                lock.close()

            assert status == 130, lines
            assert len(lines) == 1, lines
            assert lines[0].startswith(
                "error: interrupted while loading: nothing is committed yet; load "
            ), lines[0]
            load_id = pending_advice(lines[0])
            assert dict(_rows(watch, f"SELECT id, name FROM {dataset}.items")) == names

            done = run.complete()
            assert done.returncode == 0, done.stderr
            assert f"note: the load {load_id} an earlier run left pending was retried" in (
                done.stdout
            )
            expected = {r["id"]: r["name"] for r in api.emulator.records("items")}
            assert dict(_rows(watch, f"SELECT id, name FROM {dataset}.items")) == expected
            assert expected != names
    finally:
        for schema in (dataset, f"{dataset}_staging"):
            watch.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        watch.close()


def _rows(connection: Any, sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def _waits_on_lock(connection: Any, dataset: str) -> bool:
    rows = _rows(
        connection,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        f"AND query LIKE '%{dataset}%'",
    )
    return bool(rows[0][0])
