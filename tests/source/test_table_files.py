"""On PostgreSQL the fast path hands dlt the resource's table as CSV files it imports: one
file for the whole extract (a load job each, on PostgreSQL a connection, a COPY and a commit),
a new one only where a chunk of pages brings a column; a chunk lacking some of the file's
columns lands nulls in them. With ``add_limit`` every chunk is a file of its own, handed to
dlt at once, so the limit stops the extract where it did, and the nested rows of the records
of the last item are written before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import httpx
import psycopg2
import pytest

from restsync import rest_api_source
from support import items_config, pages_app


def _record(i: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": i, "name": f"n{i}", "tags": ["a", "b"][: i % 3]}
    if i <= 150:
        record["early"] = i  # on the first pages only
    if i > 400:
        record["late"] = f"l{i}"  # from page 5 on
    return record


RECORDS = [_record(i) for i in range(1, 1001)]  # 10 pages of 100


def _root_files(info: Any) -> int:
    return sum(
        1
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
        if job.job_file_info.table_name == "items"
    )


def _source(records: list[dict[str, Any]]) -> Any:
    return rest_api_source(
        items_config("files"), transport=httpx.ASGITransport(app=pages_app(records))
    )


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_resource_s_table_is_one_file_for_the_whole_extract(
    postgres_url: str, postgres_dataset: str
) -> None:
    records = [{key: r[key] for key in ("id", "name", "tags")} for r in RECORDS]
    pipeline = dlt.pipeline("files_one", destination="postgres", dataset_name=postgres_dataset)
    info = pipeline.run(_source(records))
    assert _root_files(info) == 1
    rows = _query(
        postgres_url, f"SELECT count(*), count(DISTINCT name) FROM {postgres_dataset}.items"
    )
    assert rows == [(1000, 1000)]


def test_a_new_column_starts_a_file_and_missing_ones_land_null(
    postgres_url: str, postgres_dataset: str
) -> None:
    pipeline = dlt.pipeline("files_cols", destination="postgres", dataset_name=postgres_dataset)
    info = pipeline.run(_source(RECORDS))
    assert _root_files(info) == 2
    rows = _query(
        postgres_url,
        f"SELECT count(*), count(early), sum(early), count(late), min(late), "
        f"count(*) FILTER (WHERE early IS NULL AND id <= 150) FROM {postgres_dataset}.items",
    )
    assert rows == [(1000, 150, sum(range(1, 151)), 600, "l1000", 0)]
    tags = _query(postgres_url, f"SELECT count(*) FROM {postgres_dataset}.items__tags")
    assert tags == [(sum(i % 3 for i in range(1, 1001)),)]


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_add_limit_stops_the_extract_after_the_first_chunk_with_its_nested_rows(
    destination: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The first chunk is the first page alone: a limit of one item loads its 100 records
    and their tags (dlt loads the item the limit closes the extract at)."""
    source = _source(RECORDS)
    source.resources["items"].add_limit(1)
    if destination == "postgres":
        dataset = request.getfixturevalue("postgres_dataset")
        pipeline = dlt.pipeline("files_limit", destination="postgres", dataset_name=dataset)
    else:
        target = dlt.destinations.duckdb(str(tmp_path / "limit.duckdb"))
        pipeline = dlt.pipeline("files_limit", destination=target, dataset_name="limited")
    pipeline.run(source)
    with pipeline.sql_client() as client:
        rows = client.execute_sql("SELECT count(*), max(id) FROM items")
        tags = client.execute_sql("SELECT count(*) FROM items__tags")
    assert [tuple(row) for row in rows] == [(100, 100)]
    assert [tuple(row) for row in tags] == [(sum(i % 3 for i in range(1, 101)),)]
