"""What a resource settles with the pipeline when its extract starts. Rows that go the dict
way are loaded from a bulk file format, never INSERT statements:
parquet on DuckDB, CSV (COPY) on PostgreSQL without its ADBC driver; in the drop-in path too,
where the user runs the source in a pipeline of their own. A first sync appends into an
empty table instead of merging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import httpx
import psycopg2
import pyarrow as pa
import pytest

from restsync import rest_api_source
from support import items_config, pages_app

RECORDS = [
    {"id": i, "name": f"n{i}", "tags": ["a", "b"][: i % 3], "owner": {"id": i % 5}}
    for i in range(1, 251)
]


def _formats(info: Any) -> dict[str, set[str]]:
    """The file format of every completed load job, by table (but the SQL job that merges)."""
    formats: dict[str, set[str]] = {}
    for package in info.load_packages:
        for job in package.jobs["completed_jobs"]:
            parsed = job.job_file_info
            if parsed.file_format != "sql":
                formats.setdefault(parsed.table_name, set()).add(parsed.file_format)
    return formats


def _source(name: str) -> Any:
    transport = httpx.ASGITransport(app=pages_app(RECORDS))
    return rest_api_source(items_config(name), transport=transport)


@pytest.mark.parametrize("arrow", ["0", "1"], ids=["dict-path", "fast-path"])
def test_duckdb_loads_parquet_in_the_drop_in_path(
    arrow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESTSYNC_ARROW", arrow)
    pipeline = dlt.pipeline(
        "formats", destination=dlt.destinations.duckdb(str(tmp_path / "f.duckdb"))
    )
    info = pipeline.run(_source("formats"))
    formats = _formats(info)
    assert formats["items"] == {"parquet"}
    assert formats["items__tags"] == {"parquet"}
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*), sum(owner__id) FROM items")
        tags = client.execute_sql("SELECT count(*) FROM items__tags")
    assert rows == [(250, sum(i % 5 for i in range(1, 251)))]
    assert tags == [(sum(i % 3 for i in range(1, 251)),)]


@pytest.fixture
def postgres_dataset(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    dataset = f"restsync_formats_{id(monkeypatch)}"
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    yield dataset
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {dataset} CASCADE")


def test_postgres_loads_csv_in_the_drop_in_path(
    postgres_url: str, postgres_dataset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESTSYNC_ARROW", "0")
    pipeline = dlt.pipeline("formats_pg", destination="postgres", dataset_name=postgres_dataset)
    info = pipeline.run(_source("formats_pg"))
    formats = _formats(info)
    assert formats["items"] == formats["items__tags"] == {"csv"}
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT name) FROM {postgres_dataset}.items")
        assert cursor.fetchall() == [(250, 250)]
        cursor.execute(f"SELECT count(*) FROM {postgres_dataset}.items__tags")
        assert cursor.fetchall() == [(sum(i % 3 for i in range(1, 251)),)]


GZIP = b"\x1f\x8b"


def _files(jobs: Any) -> list[tuple[str, bytes]]:
    """The table and content of every CSV job file of ``items`` and its nested tables (any
    other format of theirs fails)."""
    files = []
    for job in jobs:
        parsed = job.job_file_info
        if parsed.table_name.startswith("items"):
            assert parsed.file_format == "csv", f"{parsed.table_name}: {parsed.file_format}"
            with open(job.file_path, "rb") as file:
                files.append((parsed.table_name, file.read()))
    return sorted(files)


def test_the_fast_path_hands_postgres_csv_files_that_dlt_loads_as_written(
    postgres_url: str, postgres_dataset: str
) -> None:
    """dlt's normalize step would rewrite parquet files as CSV gzipped at level 9 (most of
    its time); the fast path writes the CSV files (root and nested tables, uncompressed)
    and dlt's normalize step and load take them as they are."""
    pipeline = dlt.pipeline("csv_pg", destination="postgres", dataset_name=postgres_dataset)
    extracted = pipeline.extract(_source("csv_pg"))
    (load_id,) = extracted.loads_ids
    new_jobs = pipeline.get_load_package_info(load_id).jobs["new_jobs"]
    written = _files(new_jobs)
    assert {table for table, _ in written} == {"items", "items__tags"}
    assert all(not content.startswith(GZIP) for _, content in written)
    # dlt counts the rows of the files its extract imports
    metrics = extracted.metrics[load_id][0]["table_metrics"]
    assert metrics["items"].items_count == 250

    pipeline.normalize()
    info = pipeline.load()
    (package,) = info.load_packages
    assert _files(package.jobs["completed_jobs"]) == written
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT name) FROM {postgres_dataset}.items")
        assert cursor.fetchall() == [(250, 250)]
        cursor.execute(f"SELECT count(*) FROM {postgres_dataset}.items__tags")
        assert cursor.fetchall() == [(sum(i % 3 for i in range(1, 251)),)]


def _without_name(item: Any) -> Any:
    if isinstance(item, pa.Table):
        return item.drop_columns(["name"])
    return {key: value for key, value in item.items() if key != "name"}


def test_a_map_added_to_the_resource_applies_to_what_postgres_loads(
    postgres_url: str, postgres_dataset: str
) -> None:
    """dlt applies a map added to a resource to the Arrow table it is handed, never to a file
    it imports: such a resource's table goes through dlt's Arrow extract."""
    source = _source("mapped_pg")
    source.resources["items"].add_map(_without_name)
    pipeline = dlt.pipeline("mapped_pg", destination="postgres", dataset_name=postgres_dataset)
    pipeline.run(source)
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = '{postgres_dataset}' AND table_name = 'items'"
        )
        assert "name" not in {row[0] for row in cursor.fetchall()}
        cursor.execute(f"SELECT count(*), sum(owner__id) FROM {postgres_dataset}.items")
        assert cursor.fetchall() == [(250, sum(i % 5 for i in range(1, 251)))]


def _jobs(info: Any) -> set[str]:
    return {
        job.job_file_info.file_format
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
    }


def test_a_first_sync_appends_into_the_empty_table_and_the_next_one_merges(
    tmp_path: Path,
) -> None:
    """Drop-in: the first run into an empty DuckDB loads without dlt's merge (no SQL job),
    the second merges, and a list that shrank leaves no stale nested rows."""
    records = [dict(record) for record in RECORDS]
    app = pages_app(records)
    db = str(tmp_path / "first.duckdb")

    def run() -> Any:
        source = rest_api_source(items_config("first"), transport=httpx.ASGITransport(app=app))
        pipeline = dlt.pipeline("first", destination=dlt.destinations.duckdb(db))
        return pipeline, pipeline.run(source)

    pipeline, info = run()
    assert "sql" not in _jobs(info)
    for record in records:
        record["tags"] = record["tags"][:1]
        record["name"] = record["name"].upper()
    pipeline, info = run()
    assert "sql" in _jobs(info)
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*), count(DISTINCT id), min(name) FROM items")
        tags = client.execute_sql("SELECT count(*) FROM items__tags")
    assert rows == [(250, 250, "N1")]
    assert tags == [(sum(1 for i in range(1, 251) if i % 3),)]
