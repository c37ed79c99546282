"""``restsync run`` when the destination fails: one line on stderr with the database's own words
first (never dlt's traceback, nor its advice about credentials and internet connections for a
DuckDB file another process holds), the right exit code, and a way out of the load dlt keeps
pending: the next run retries it before fetching anything, ``--drop-pending`` discards it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
import yaml
from cli_support import Invoke, Locker, assert_quiet, console_script, locker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.sync_harness import DATASET, api_ids, config, landed_ids, resource, tables
from restsync import load_config
from restsync.emulator import Emulator, EmulatorOptions
from support import query, serve_url

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}


def items_spec(**extra: Any) -> dict[str, Any]:
    return config(resource("items", paginator=PAGE_NUMBER_1, write_disposition="merge", **extra))


def write_config(folder: Path, spec: dict[str, Any]) -> Path:
    path = folder / "items.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it (dlt's own logging set up as usual)."""
    return subprocess.run(
        [console_script(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("hint", "arrow", "starts"),
    [
        (
            {"nickname": {"data_type": "text", "nullable": False}},
            "0",
            # dict rows are written as parquet, whose writer refuses the null before loading
            "error: Column 'nickname' is declared non-nullable but contains nulls (dlt's "
            "normalize step, table 'items', destination duckdb)",
        ),
    ],
    ids=["not_null"],
)
def test_a_refused_load_is_one_line_with_the_database_cause_first(
    hint: dict[str, Any], arrow: str, starts: str, tmp_path: Path
) -> None:
    spec = items_spec(columns=hint)
    emulator = Emulator(load_config(items_spec()), EmulatorOptions(records=30, page_size=10))
    path = write_config(tmp_path, spec)
    db = tmp_path / "out.duckdb"

    with serve_url(emulator.app) as url:
        result = run_script(
            "run", str(path), "--base-url", f"{url}/v1", "--duckdb-file", str(db),
            env={"RESTSYNC_ARROW": arrow},
        )  # fmt: skip

    assert result.returncode == 4, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(starts), lines[0]
    assert "`restsync run --drop-pending` discards it" in lines[0]
    assert_quiet(result.stdout + result.stderr)
    assert "dlt error" not in result.stderr
    # none of the rows landed (a failure before the load leaves the table uncreated)
    exists = query(
        db,
        "SELECT COUNT(*) FROM information_schema.tables "
        f"WHERE table_schema = '{DATASET}' AND table_name = 'items'",
    )
    if exists == [(1,)]:
        assert query(db, f"SELECT COUNT(*) FROM {DATASET}.items") == [(0,)]


def test_a_locked_duckdb_file_names_the_lock_not_credentials(tmp_path: Path) -> None:
    spec = items_spec()
    emulator = Emulator(load_config(spec), EmulatorOptions(records=30, page_size=10))
    path = write_config(tmp_path, spec)
    db = tmp_path / "out.duckdb"

    with serve_url(emulator.app) as url, locker(db) as held:
        held.hold()
        result = run_script("run", str(path), "--base-url", f"{url}/v1", "--duckdb-file", str(db))

    assert result.returncode == 4, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f'error: IO Error: Could not set lock on file "{db}"'), lines[0]
    assert "another process has the DuckDB file open: close it" in lines[0]
    for boilerplate in ("credentials", "internet connection"):
        assert boilerplate not in result.stderr
    assert_quiet(result.stderr)
    assert tables(db) == set()


def test_an_unwritable_pipelines_folder_says_where_and_what_to_set(tmp_path: Path) -> None:
    spec = items_spec()
    path = write_config(tmp_path, spec)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")

    result = run_script(
        "run", str(path), "--duckdb-file", str(tmp_path / "out.duckdb"),
        env={"DLT_DATA_DIR": str(not_a_folder / "dlt")},
    )  # fmt: skip

    assert result.returncode == 4, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot write dlt's working files in {not_a_folder}/dlt")
    assert "point DLT_DATA_DIR" in lines[0]
    assert "bug in restsync" not in result.stderr


class LockOnFirstRequest:
    """The API, which has another process lock the DuckDB file as its first request arrives:
    the run extracts everything, then its load fails and stays pending."""

    def __init__(self, app: Any, held: Locker) -> None:
        self.app = app
        self.held = held
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
            if self.requests == 1:
                self.held.hold()
        await self.app(scope, receive, send)


@pytest.mark.parametrize("way_out", ["retry", "drop"])
def test_a_load_left_pending_is_retried_first_or_dropped(
    way_out: str, invoke: Invoke, tmp_path: Path
) -> None:
    spec = items_spec()
    emulator = Emulator(load_config(spec), EmulatorOptions(records=45, page_size=10))
    path = write_config(tmp_path, spec)
    db = tmp_path / "out.duckdb"
    args = ["run", str(path), "--duckdb-file", str(db)]

    with locker(db) as held:
        api = LockOnFirstRequest(emulator.app, held)
        with serve_url(api) as url:
            args += ["--base-url", f"{url}/v1"]
            failed = invoke(*args)
            assert failed.exit_code == 4, failed.output
            assert "error: IO Error: Could not set lock on file" in failed.stderr
            assert "stays pending: `restsync run` finishes it before fetching anything" in (
                failed.stderr
            )
            fetched = api.requests
            assert fetched >= 5  # every page was fetched before the load failed

            # still locked: the retry fails the same way, and nothing is fetched
            again = invoke(*args)
            assert again.exit_code == 4, again.output
            assert "retrying the load" in again.stderr
            assert "nothing new was fetched" in again.stderr
            assert api.requests == fetched

            held.release()
            # two failed loads committed no rows (dlt may have created the table)
            assert "items" not in tables(db) or landed_ids(db, "items") == []
            extra = ["--drop-pending"] if way_out == "drop" else []
            done = invoke(*args, *extra)

    assert done.exit_code == 0, done.output
    said = "was dropped" if way_out == "drop" else "was retried and committed"
    note = next(line for line in done.stdout.splitlines() if line.startswith("note: the load "))
    assert note.endswith(f"an earlier run left pending {said}")
    assert api.requests > fetched  # this run fetched the API again
    # merged on id: the retried load and this run's own hold the same records once
    assert landed_ids(db, "items") == api_ids(emulator, "items")


# --- which table a failed step names ----------------------------------------------------------

#: the nested table of ``items``' tags declares ``label`` non-nullable
LABEL = {"name": "label", "data_type": "text", "nullable": False}
TAG_HINTS = {"tags": {"columns": {"label": LABEL}}}


def tagged_items(second_tag: dict[str, Any]) -> Starlette:
    """The API: ``/items`` and ``/other`` each answer two records under ``data`` with a list of
    tags; the second record's tag is ``second_tag``."""

    async def items(request: Request) -> JSONResponse:
        return JSONResponse(
            {"data": [{"id": 1, "tags": [{"label": "a"}]}, {"id": 2, "tags": [second_tag]}]}
        )

    return Starlette(routes=[Route("/items", items), Route("/other", items)])


def execute(destination: str, where: str, sql: str) -> list[tuple[Any, ...]]:
    """Runs ``sql`` in the DuckDB file or PostgreSQL database ``where``; its rows, if any."""
    if destination == "duckdb":
        with duckdb.connect(where) as connection:
            connection.execute(sql)
            return connection.fetchall() if connection.description else []
    with psycopg2.connect(where) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def table_rows(destination: str, where: str, dataset: str, table: str) -> int | None:
    """Rows of ``dataset.table``; ``None`` when the table does not exist."""
    if destination == "duckdb" and not Path(where).exists():
        return None
    found = execute(
        destination,
        where,
        "SELECT COUNT(*) FROM information_schema.tables "
        f"WHERE table_schema = '{dataset}' AND table_name = '{table}'",
    )
    if found == [(0,)]:
        return None
    return int(execute(destination, where, f'SELECT COUNT(*) FROM "{dataset}"."{table}"')[0][0])


def target(
    destination: str, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, str, list[str]]:
    """(where the data of ``destination`` is, the dataset, the ``run`` options that load
    there)."""
    if destination == "duckdb":
        db = str(tmp_path / "out.duckdb")
        return db, "shop", ["--duckdb-file", db, "--dataset", "shop"]
    url = request.getfixturevalue("postgres_url")
    dataset = request.getfixturevalue("postgres_dataset")
    return url, dataset, ["--destination", "postgres", "--dataset", dataset]


#: a tag without a label: dlt's Parquet writer refuses the nested table's batch as it
#: flushes it: on the dict path as the normalize step closes its writers, after the last file
#: it read (any table's); on the Arrow path as restsync writes the nested table's file
MISSING = ({}, True, None, "items__tags", "non-nullable but contains nulls")
#: a null label: on the dict path dlt's normaliser refuses the nested row while it normalizes
#: the root table's file
NULL = (
    {"label": None},
    True,
    None,
    "items__tags",
    "Cannot coerce NULL in table `items__tags`|non-nullable but contains nulls",
)
#: a table the user created beforehand refuses the rows as they load
CREATED = (
    {"label": "b"},
    False,
    'CREATE TABLE "{dataset}".items (id BIGINT, shelf TEXT NOT NULL)',
    "items",
    'NOT NULL constraint failed|null value in column "shelf"',
)


@pytest.mark.parametrize("fast_path", ["1", "0"], ids=["arrow", "dicts"])
@pytest.mark.parametrize(
    ("destination", "second_tag", "hinted", "before", "failed", "cause"),
    [
        # PostgreSQL gets no missing label: dlt's dict path writes it as '' there, and loads
        pytest.param("duckdb", *MISSING, id="duckdb-nested_missing_value"),
        pytest.param("duckdb", *NULL, id="duckdb-nested_null"),
        pytest.param("postgres", *NULL, id="postgres-nested_null"),
        pytest.param("duckdb", *CREATED, id="duckdb-table_created_beforehand"),
        pytest.param("postgres", *CREATED, id="postgres-table_created_beforehand"),
    ],
)
def test_a_failed_step_names_the_table_that_failed(
    fast_path: str,
    destination: str,
    second_tag: dict[str, Any],
    hinted: bool,
    before: str | None,
    failed: str,
    cause: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    invoke: Invoke,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("RESTSYNC_ARROW", fast_path)
    where, dataset, options = target(destination, request, tmp_path)
    spec = config(
        resource("other", paginator={"type": "single_page"}),
        resource(
            "items",
            paginator={"type": "single_page"},
            **({"nested_hints": TAG_HINTS} if hinted else {}),
        ),
    )
    if before is not None:
        execute(destination, where, f'CREATE SCHEMA "{dataset}"')
        execute(destination, where, before.format(dataset=dataset))
    path = write_config(tmp_path, spec)

    with serve_url(tagged_items(second_tag)) as url:
        result = invoke("run", str(path), "--base-url", url, *options)

    assert result.exit_code == 4, result.output
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert re.search(cause, lines[0]), lines[0]
    assert f"step, table '{failed}', destination {destination})" in lines[0]
    assert "_dlt_pipeline_state" not in lines[0]
    # none of the failed table's rows landed
    assert table_rows(destination, where, dataset, failed) in (None, 0)
