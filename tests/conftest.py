"""Fixtures shared by all tests: an isolated dlt home per test and PostgreSQL when present."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _no_telemetry() -> Iterator[None]:
    """dlt's telemetry stays off: the tests talk to 127.0.0.1 only. Session-wide, because dlt
    starts its telemetry once per process, with the first pipeline (in whichever fixture), and
    inherited by the child processes the tests start."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        yield


@pytest.fixture(autouse=True)
def _isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own dlt home and working folder: no state leaks between tests."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def postgres_url() -> str:
    """A reachable PostgreSQL (127.0.0.1:5432, database test, or RESTSYNC_TEST_POSTGRES);
    skipped with the reason when absent, except under CI=true where its absence is a failure.

    The URL holds a password, usable as dlt's destination credentials as it is: dlt insists
    on one, and a server trusting loopback connections ignores it."""
    import psycopg2

    url = os.environ.get(
        "RESTSYNC_TEST_POSTGRES", "postgresql://postgres:unused@127.0.0.1:5432/test"
    )
    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but {url} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {url}: {exc}")
    return url


@pytest.fixture
def postgres_dataset(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A dataset name of this test alone (dlt's postgres credentials set), its schemas
    dropped afterwards."""
    import psycopg2

    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    dataset = f"restsync_test_{uuid.uuid4().hex[:10]}"
    yield dataset
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        for schema in (dataset, f"{dataset}_staging"):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (127.0.0.1:6379, or RESTSYNC_TEST_REDIS) for the shared rate budget;
    skipped with the reason when absent, except under CI=true where its absence is a failure.
    Tests keep their keys apart by host name (the budget's keys are per API host)."""
    import redis

    url = os.environ.get("RESTSYNC_TEST_REDIS", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true but {url} is unreachable: {exc}")
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    return url
