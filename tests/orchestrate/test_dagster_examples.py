"""``examples/dagster/definitions.py``: both built-in connectors as Dagster definitions, loaded
and run with Dagster's own APIs against their emulators over loopback: materialised on an
ephemeral instance into PostgreSQL (crm), and run as a job by the ``dagster`` command on the
multiprocess executor (each connector's op in a process of its own) into DuckDB files. The
rows that land are the API's."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

import psycopg2
import pytest
from dagster import DagsterInstance, materialize

from restsync import connectors, load_config
from restsync.emulator import EmulatorOptions, RunningEmulator, serve
from support import REPO, query

EXAMPLE = REPO / "examples" / "dagster" / "definitions.py"
CONNECTORS = ("sales_engagement", "crm")
SECRETS = {key: f"demo-{key}" for name in CONNECTORS for key in connectors.get(name).secrets}


@pytest.fixture
def apis() -> Iterator[dict[str, RunningEmulator]]:
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(
                serve(
                    load_config(name, secrets=SECRETS),
                    EmulatorOptions(**{**connectors.get(name).emulator, "records": 130}),
                )
            )
            for name in CONNECTORS
        }


def _environment(apis: dict[str, RunningEmulator], **settings: str) -> dict[str, str]:
    """What the example reads: the APIs' hosts and secrets (as a deployment sets them)."""
    env = {f"{name.upper()}_BASE_URL": api.url for name, api in apis.items()}
    env.update({key.upper(): value for key, value in SECRETS.items()})
    return {**env, **settings}


def _expected(apis: dict[str, RunningEmulator]) -> dict[tuple[str, str], int]:
    return {
        (name, resource.name): len(api.emulator.records(resource.name))
        for name, api in apis.items()
        for resource in api.emulator.config.resources
    }


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("restsync_dagster_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres
def test_the_example_materialises_both_connectors_into_postgres(
    apis: dict[str, RunningEmulator], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"dg_{uuid.uuid4().hex[:8]}_"
    env = _environment(apis, RESTSYNC_DESTINATION="postgres", RESTSYNC_DATASET_PREFIX=prefix)
    env["DESTINATION__POSTGRES__CREDENTIALS"] = postgres_url
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    defs = _load_example().defs
    # crm only: sales_engagement's custom_fields reach PostgreSQL as an Arrow struct, which
    # dlt's csv writer refuses (the fast path's to flatten)
    assets = [a for a in defs.assets or [] if "crm" in a.node_def.name]
    expected = {key: rows for key, rows in _expected(apis).items() if key[0] == "crm"}
    try:
        result = materialize(assets, instance=DagsterInstance.ephemeral())
        assert result.success
        with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
            landed = {}
            for name, table in expected:
                cursor.execute(
                    f'SELECT count(DISTINCT id), count(*) FROM "{prefix}{name}"."{table}"'
                )
                landed[name, table] = cursor.fetchone()
    finally:
        with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
            for name in CONNECTORS:
                for schema in (f"{prefix}{name}", f"{prefix}{name}_staging"):
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert landed == {key: (rows, rows) for key, rows in expected.items()}


def test_the_example_job_runs_on_the_multiprocess_executor_into_duckdb(
    apis: dict[str, RunningEmulator], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        **_environment(apis, RESTSYNC_DUCKDB_DIR=str(tmp_path)),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    (tmp_path / "dagster_home").mkdir()
    dagster = Path(sys.executable).parent / "dagster"
    run = subprocess.run(
        [str(dagster), "job", "execute", "-f", str(EXAMPLE), "-j", "sync_all"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    # the multiprocess executor ran each connector's step in a process of its own
    assert run.stderr.count("Launching subprocess for") == 2, run.stderr[-4000:]
    assert "RUN_SUCCESS" in run.stderr
    for (name, table), rows in _expected(apis).items():
        db = tmp_path / f"{name}_data.duckdb"
        counted = query(db, f"SELECT count(DISTINCT id), count(*) FROM {name}.{table}")
        assert counted == [(rows, rows)], (name, table)
