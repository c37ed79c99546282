"""Side by side over loopback: a resource's table and its nested tables get dlt's column order and
column properties, so ``SELECT *`` reads the same from either tool. dlt's dict path lays a table
out as the declared columns (the resource's ``columns``), then the data's columns in record
order, then ``_dlt_load_id`` and ``_dlt_id``; restsync's drop-in and ``sync()`` lay it out the
same on the Arrow path and the dict path, on the first sync and on a merge sync that brings a
new column, into DuckDB and into PostgreSQL (where restsync writes the CSV files itself)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import dlt
import psycopg2
import pytest
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source

from parity.harness import (
    DATASET,
    LAYOUT_QUERY,
    STORED_SCHEMA_QUERY,
    Column,
    Parity,
    column_layouts,
    layouts_of,
    read_tables,
)
from restsync import sync
from support import items_config, pages_app, serve_url

#: declared columns: one the data has (typed as declared), one it never has
DECLARED = {"title": {"data_type": "text"}, "extra": {"data_type": "bigint"}}


def record(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "title": f"post {i}",
        "meta": {"views": i * 10, "lang": "en"},
        "tags": [f"t{i}", f"u{i}"],
        "lines": [{"sku": i, "qty": i * 2}],
    }


def config_for(url: str, columns: dict[str, Any] | None) -> dict[str, Any]:
    """``items`` merged on ``id`` (dlt's config has no ``name``), with ``columns`` declared."""
    config = items_config("items", total_path=None)
    del config["name"]
    config["client"]["base_url"] = f"{url}/"
    if columns is not None:
        config["resources"][0]["columns"] = copy.deepcopy(columns)
    return config


@pytest.mark.parametrize("arrow", ["1", "0"], ids=["arrow_path", "dict_path"])
@pytest.mark.parametrize("columns", [None, DECLARED], ids=["inferred", "declared"])
@pytest.mark.parametrize("runner", ["drop_in", "sync"])
def test_tables_have_dlts_column_order_and_properties(
    runner: str,
    columns: dict[str, Any] | None,
    arrow: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RESTSYNC_ARROW", arrow)
    records = [record(i) for i in range(1, 6)]
    parity = Parity(tmp_path)
    layouts: list[list[str]] = []
    synced = tmp_path / "synced.duckdb"
    with serve_url(pages_app(records)) as url:
        config = config_for(url, columns)
        for load in ("first", "merge"):
            parity.pipelines["dlt"].run(parity.source("dlt", config))
            if runner == "sync":
                sync(
                    copy.deepcopy(config),
                    dataset=DATASET,
                    duckdb_file=synced,
                    pipelines_dir=tmp_path / "pipelines",
                )
                restsync_file = synced
            else:
                parity.pipelines["restsync"].run(parity.source("restsync", config))
                restsync_file = parity.files["restsync"]

            expected = column_layouts(parity.files["dlt"])
            assert sorted(expected) == ["items", "items__lines", "items__tags"]
            assert column_layouts(restsync_file) == expected, f"{load} sync"
            assert read_tables(restsync_file) == read_tables(parity.files["dlt"]), f"{load} sync"
            layouts.append([column[0] for column in expected["items"]])
            # the merge sync: one record changed, one new, and a field no record had before
            records[0] = {**records[0], "title": "changed", "rating": 4.5}
            records.append(record(6))

    first, merged = layouts
    assert first[-2:] == ["_dlt_load_id", "_dlt_id"]
    assert merged == [*first, "rating"]
    if columns is not None:
        assert first[:2] == list(DECLARED)


def postgres_layouts(url: str, dataset: str) -> dict[str, list[Column]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(STORED_SCHEMA_QUERY.format(dataset=dataset))
        stored = cursor.fetchone()
        cursor.execute(LAYOUT_QUERY.format(dataset=dataset))
        rows = cursor.fetchall()
    assert stored is not None
    return layouts_of(rows, stored[0])


@pytest.mark.postgres
def test_postgres_tables_written_as_csv_have_dlts_column_order(
    postgres_url: str, postgres_dataset: str, tmp_path: Path
) -> None:
    records = [record(i) for i in range(1, 6)]
    dlt_dataset = f"{postgres_dataset}_dlt"
    pipeline = dlt.pipeline(
        pipeline_name="order_dlt",
        destination="postgres",
        dataset_name=dlt_dataset,
        pipelines_dir=str(tmp_path / "dlt"),
    )
    try:
        with serve_url(pages_app(records)) as url:
            config = config_for(url, DECLARED)
            for load in ("first", "merge"):
                pipeline.run(dlt_rest_api_source(copy.deepcopy(config)))
                sync(
                    copy.deepcopy(config),
                    destination="postgres",
                    dataset=postgres_dataset,
                    pipelines_dir=tmp_path / "restsync",
                )
                expected = postgres_layouts(postgres_url, dlt_dataset)
                assert sorted(expected) == ["items", "items__lines", "items__tags"]
                assert postgres_layouts(postgres_url, postgres_dataset) == expected, load
                records[0] = {**records[0], "title": "changed", "rating": 4.5}
                records.append(record(6))
    finally:
        with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{dlt_dataset}" CASCADE')
            cursor.execute(f'DROP SCHEMA IF EXISTS "{dlt_dataset}_staging" CASCADE')
