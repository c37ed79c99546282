"""A resource's nested tables are written as dlt's extract writes its own files: with the
user's ``data_writer`` settings, looked up in the config sections of the extract, once an
extract however many nested tables there are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import httpx
import pytest
from dlt.common.configuration.providers import EnvironProvider

from restsync import rest_api_source
from support import items_config, pages_app, query

LISTS = ("tags", "notes", "links", "codes")


def _records(lists: int) -> list[dict[str, Any]]:
    return [
        {"id": i, **{name: [f"{name}{i}", "x", "y"] for name in LISTS[:lists]}}
        for i in range(1, 1001)
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


def test_data_writer_settings_are_looked_up_once_an_extract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    get_value = EnvironProvider.get_value

    def counted(self: EnvironProvider, key: str, *args: Any) -> Any:
        if key == "file_max_items":
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
