"""``restsync run <config file> --base-url <emulator>``: the secret comes from the environment
(the config names it), the data lands in DuckDB or PostgreSQL, and failures are one message
with the right exit code and never a secret."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest
from cli_support import RECORDS, SECRET, Invoke, assert_quiet, console_script, write_sales_config

from restsync.emulator import RunningEmulator
from support import query


def test_run_loads_a_config_file_into_duckdb(
    invoke: Invoke, api: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", SECRET)
    config = write_sales_config(tmp_path)
    db = tmp_path / "out" / "sales_data.duckdb"
    db.parent.mkdir()

    result = invoke(
        "run", str(config), "--base-url", api.url, "--duckdb-file", str(db), "--dataset", "sales"
    )

    assert result.exit_code == 0, result.output
    for table, count in RECORDS.items():
        assert query(db, f"SELECT COUNT(*), COUNT(DISTINCT id) FROM sales.{table}") == [
            (count, count)
        ]
        assert f"│ {table} " in result.stdout
        assert f" {count} │" in result.stdout
    assert f"into {db.resolve()}" in result.stdout
    # the seed's empty selector is auto-detected and the run says which path it used
    assert "note: prospects: no data_selector configured; records found at 'data.prospects'" in (
        result.stdout
    )
    assert SECRET not in result.output
    assert_quiet(result.output)
    # not a terminal: no live progress display
    assert "retries" not in result.stderr


def test_verbose_shows_restsync_info_logs_one_line_each(
    invoke: Invoke, api: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", SECRET)
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "WARNING")  # restored after the test
    config = write_sales_config(tmp_path)

    result = invoke("--verbose", "run", str(config), "--base-url", api.url)

    assert result.exit_code == 0, result.output
    assert "restsync info: resource 'prospects': no data_selector configured" in result.stderr
    assert_quiet(result.output)
    assert SECRET not in result.output


def test_run_with_limits_from_the_command_line(
    invoke: Invoke, api: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", SECRET)
    config = write_sales_config(tmp_path)

    result = invoke(
        "run", str(config), "--base-url", api.url, "--max-in-flight", "1", "--page-window", "1"
    )

    assert result.exit_code == 0, result.output
    assert api.stats.max_in_flight == 1
    assert query(tmp_path / "restsync.duckdb", "SELECT COUNT(*) FROM rest_api.prospects") == [
        (RECORDS["prospects"],)
    ]


FAILURES = [
    # (environment, extra arguments, exit code, what stderr says)
    (
        {"API_KEY": "wrong-key-0815"},
        [],
        3,
        ["error: resource '", "401", "X-API-KEY"],
    ),
    (
        {"API_KEY": None},
        [],
        2,
        ["error: client.auth.api_key: secret 'api_key' is not set: export API_KEY=..."],
    ),
    (
        {"API_KEY": SECRET},
        ["--destination", "postgress"],
        2,
        ["error: --destination: unknown destination 'postgress' (did you mean 'postgres'?)"],
    ),
    (
        {"API_KEY": SECRET, "DESTINATION__POSTGRES__CREDENTIALS": None},
        ["--destination", "postgres"],
        4,
        [
            "error: destination 'postgres' is not configured: missing credentials.",
            "credentials.password",
            "Set DESTINATION__POSTGRES__CREDENTIALS (e.g. postgresql://",
        ],
    ),
    (
        {
            "API_KEY": SECRET,
            "DESTINATION__POSTGRES__CREDENTIALS": "postgresql://loader@127.0.0.1:5432/test",
        },
        ["--destination", "postgres"],
        2,
        [
            "error: DESTINATION__POSTGRES__CREDENTIALS: the credentials of destination "
            "'postgres' have no password, and dlt requires one: put it into the URL",
            "set DESTINATION__POSTGRES__CREDENTIALS__PASSWORD",
        ],
    ),
    (
        {"API_KEY": SECRET},
        ["--max-in-flight", "0"],
        2,
        ["error: --max-in-flight: input should be greater than or equal to 1, got 0"],
    ),
    (
        # DuckDB names the database after the file: a schema of that name is ambiguous
        {"API_KEY": SECRET},
        ["--duckdb-file", "sales.duckdb", "--dataset", "sales"],
        2,
        ["error: --dataset: dataset 'sales' has the name of the DuckDB file 'sales.duckdb'"],
    ),
]


@pytest.mark.parametrize(
    ("env", "extra", "code", "expected"),
    FAILURES,
    ids=[
        "wrong-secret",
        "no-secret",
        "unknown-destination",
        "no-destination-credentials",
        "no-destination-password",
        "bad-limit",
        "dataset-named-like-the-file",
    ],
)
def test_a_failed_run_is_one_message_and_an_exit_code(
    invoke: Invoke,
    api: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str | None],
    extra: list[str],
    code: int,
    expected: list[str],
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    config = write_sales_config(tmp_path)

    result = invoke("run", str(config), "--base-url", api.url, *extra)

    assert result.exit_code == code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for part in expected:
        assert part in result.stderr
    assert result.stdout == ""
    for value in (SECRET, "wrong-key-0815"):
        assert value not in result.output
    assert_quiet(result.output)
    if code == 2:  # found before any request or write
        assert api.stats.requests == 0
        assert not list(tmp_path.glob("*.duckdb"))


def test_a_rejected_secret_fails_before_loading_anything(
    invoke: Invoke, api: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", "wrong-key-0815")
    config = write_sales_config(tmp_path)

    result = invoke("run", str(config), "--base-url", api.url, "--dataset", "sales")

    assert result.exit_code == 3
    assert re.search(r"error: resource '(campaigns|prospects)': ", result.stderr)
    assert f"url: {api.url}" in result.stderr
    assert api.stats.responses_by_status.get(401, 0) >= 1
    db = tmp_path / "restsync.duckdb"
    if db.exists():
        tables = query(
            db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sales'"
        )
        assert ("campaigns",) not in tables
        assert ("prospects",) not in tables


@pytest.mark.postgres
def test_run_loads_into_postgres(
    invoke: Invoke,
    api: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    postgres_url: str,
) -> None:
    monkeypatch.setenv("API_KEY", SECRET)
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    dataset = f"cli_{uuid.uuid4().hex[:10]}"
    config = write_sales_config(tmp_path)
    try:
        result = invoke(
            "run",
            str(config),
            "--base-url",
            api.url,
            "--destination",
            "postgres",
            "--dataset",
            dataset,
        )

        assert result.exit_code == 0, result.output
        assert "into postgres" in result.stdout
        assert not list(tmp_path.glob("*.duckdb"))
        with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
            for table, count in RECORDS.items():
                cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {dataset}.{table}")
                assert cursor.fetchone() == (count, count)
        assert_quiet(result.output)
    finally:
        with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE")


def test_on_a_terminal_run_shows_progress_per_resource(
    api: RunningEmulator, tmp_path: Path
) -> None:
    """The console script under a pseudo-terminal draws the live display: a line per
    resource with its pages and records."""
    config = write_sales_config(tmp_path)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [console_script(), "run", str(config), "--base-url", api.url],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        env={**os.environ, "API_KEY": SECRET, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(60) == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))

    for table, count in RECORDS.items():
        assert re.search(rf"{table}\s.*\d+ pages\s+{count} records", screen), screen
    assert "0 retries" in screen
    assert SECRET not in screen
