"""A resource's nested tables are written as dlt's extract writes its own files: with the
user's ``data_writer`` settings (the writers' and the parquet format's), looked up in the
config sections of the extract, once an extract however many nested tables there are, on
whichever thread a file is opened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import httpx
import psycopg2
import pyarrow.parquet as pq
import pytest
from dlt.common.configuration.providers import EnvironProvider

from restsync import rest_api_source
from support import items_config, pages_app, query

LISTS = ("tags", "notes", "links", "codes")


def _records(lists: int, count: int = 1000) -> list[dict[str, Any]]:
    return [
        {"id": i, **{name: [f"{name}{i}", "x", "y"] for name in LISTS[:lists]}}
        for i in range(1, count + 1)
    ]


def _run(
    tmp_path: Path, name: str, lists: int, extracted: Callable[[], object] = lambda: None
) -> tuple[Path, Counter[str]]:
    """Loads ``lists`` nested tables of 1,000 records into DuckDB (``extracted`` called once
    the extract step is done); the database and each table's number of load jobs (files)."""
    source = rest_api_source(
        items_config("nested"), transport=httpx.ASGITransport(app=pages_app(_records(lists)))
    )
    db = tmp_path / f"{name}.duckdb"
    destination = dlt.destinations.duckdb(str(db))
    pipeline = dlt.pipeline(name, destination=destination, dataset_name="nested")
    pipeline.extract(source)
    extracted()
    pipeline.normalize()
    info = pipeline.load()
    jobs = Counter(
        job.job_file_info.table_name
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
    )
    return db, jobs


@pytest.mark.parametrize(
    ("variable", "split"),
    [
        ("DATA_WRITER__FILE_MAX_ITEMS", True),
        ("SOURCES__NESTED__DATA_WRITER__FILE_MAX_ITEMS", True),
        ("NORMALIZE__DATA_WRITER__FILE_MAX_ITEMS", False),
    ],
    ids=["data-writer", "the-source-s-section", "another-step-s-section"],
)
def test_the_user_s_data_writer_settings_split_a_nested_table_s_files(
    variable: str, split: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "100")
    db, jobs = _run(tmp_path, "split", 1)
    assert (jobs["items__tags"] > 1) == split
    rows = query(db, "SELECT count(*), count(DISTINCT _dlt_parent_id) FROM nested.items__tags")
    assert rows == [(3000, 1000)]


@pytest.mark.parametrize("setting", ["file_max_items", "row_group_size"])
def test_data_writer_settings_are_looked_up_once_an_extract(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    get_value = EnvironProvider.get_value

    def counted(self: EnvironProvider, key: str, *args: Any) -> Any:
        if key == setting:
            lookups.append(key)
        return get_value(self, key, *args)

    monkeypatch.setattr(EnvironProvider, "get_value", counted)
    counts = []
    for lists in (1, len(LISTS)):
        lookups.clear()
        db, jobs = _run(tmp_path, f"lists{lists}", lists, lambda: counts.append(len(lookups)))
        assert {table for table in jobs if table.startswith("items__")} == {
            f"items__{name}" for name in LISTS[:lists]
        }
        assert query(db, f"SELECT count(*) FROM nested.items__{LISTS[lists - 1]}") == [(3000,)]
    assert counts[0] == counts[1] > 0


#: enough nested rows that a nested table's first file is opened on the writer thread
#: (dlt's writer buffers 5,000 rows before it opens a file)
MANY = 3000


@pytest.mark.parametrize(
    "prefix",
    ["SOURCES__NESTED__DATA_WRITER__", "SCOPED__DATA_WRITER__", "DATA_WRITER__"],
    ids=["the-source-s-section", "the-pipeline-s-section", "data-writer"],
)
def test_the_user_s_parquet_settings_shape_every_nested_table_s_files(
    prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{prefix}ROW_GROUP_SIZE", "1000")
    monkeypatch.setenv(f"{prefix}VERSION", "1.0")
    source = rest_api_source(
        items_config("nested"),
        transport=httpx.ASGITransport(app=pages_app(_records(2, MANY))),
    )
    db = tmp_path / "scoped.duckdb"
    pipeline = dlt.pipeline(
        "scoped", destination=dlt.destinations.duckdb(str(db)), dataset_name="nested"
    )
    (load_id,) = pipeline.extract(source).loads_ids
    files: dict[str, list[tuple[str, int]]] = {}
    for job in pipeline.get_load_package_info(load_id).jobs["new_jobs"]:
        if job.job_file_info.file_format == "parquet":
            metadata = pq.ParquetFile(job.file_path).metadata
            groups = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
            files.setdefault(job.job_file_info.table_name, []).append(
                (metadata.format_version, max(groups))
            )
    # dlt's own writer wrote the root table's file with the settings, and so every nested one
    assert set(files) == {"items", "items__tags", "items__notes"}
    assert {table: set(shapes) for table, shapes in files.items()} == {
        table: {("1.0", 1000)} for table in files
    }
    pipeline.normalize()
    pipeline.load()
    for table in ("items__tags", "items__notes"):
        rows = query(db, f"SELECT count(*), count(DISTINCT _dlt_parent_id) FROM nested.{table}")
        assert rows == [(3 * MANY, MANY)]


def test_parquet_settings_leave_the_csv_files_alone(
    postgres_url: str, postgres_dataset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the fast path writes CSV, which the parquet settings do not concern."""
    monkeypatch.setenv("SOURCES__NESTED__DATA_WRITER__ROW_GROUP_SIZE", "1000")
    monkeypatch.setenv("SOURCES__NESTED__DATA_WRITER__VERSION", "1.0")
    source = rest_api_source(
        items_config("nested"),
        transport=httpx.ASGITransport(app=pages_app(_records(2, MANY))),
    )
    pipeline = dlt.pipeline("csv", destination="postgres", dataset_name=postgres_dataset)
    info = pipeline.run(source)
    formats = {
        job.job_file_info.file_format
        for package in info.load_packages
        for job in package.jobs["completed_jobs"]
        if job.job_file_info.table_name.startswith("items")
    }
    assert formats == {"csv"}
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        for table in ("items", "items__tags", "items__notes"):
            cursor.execute(f"SELECT count(*) FROM {postgres_dataset}.{table}")
            assert cursor.fetchall() == [(MANY if table == "items" else 3 * MANY,)]
