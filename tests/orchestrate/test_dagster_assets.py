"""``restsync.dagster`` through Dagster's own APIs: a real ephemeral instance materialises the
assets against the emulator over loopback, and the rows that land are the API's.

Dagster imports are slow (seconds per process): a handful of tests cover the asset shape,
the metadata, both destinations and the multiprocess executor (``test_dagster_examples``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from restsync import ConfigError, load_config
from restsync.dagster import restsync_assets
from restsync.emulator import EmulatorOptions, serve
from support import items_config, pages_app, query, serve_url


def _family() -> dict[str, Any]:
    """items, and notes read per item (a child resource)."""
    return {
        "name": "family",
        "client": {"base_url": "http://api.test/"},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {
                "name": "items",
                "endpoint": {
                    "path": "/items",
                    "data_selector": "data",
                    "paginator": {"type": "page_number", "base_page": 1},
                },
            },
            {
                "name": "notes",
                "endpoint": {
                    "path": "/items/{item_id}/notes",
                    "data_selector": "data",
                    "paginator": {"type": "single_page"},
                    "params": {"item_id": {"type": "resolve", "resource": "items", "field": "id"}},
                },
            },
        ],
    }


def _metadata(result: Any) -> dict[AssetKey, dict[str, Any]]:
    return {
        event.materialization.asset_key: {
            key: value.value for key, value in event.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def test_one_asset_per_resource_a_child_on_its_parent_with_costs_as_metadata(
    tmp_path: Path,
) -> None:
    raw = _family()
    with serve(load_config(raw), EmulatorOptions(records=120, page_size=50)) as api:
        assets = restsync_assets(
            raw,
            base_url=api.url,
            dataset="family",
            duckdb_file=tmp_path / "data.duckdb",
            key_prefix=["api"],
        )
        items, notes = AssetKey(["api", "items"]), AssetKey(["api", "notes"])
        assert set(assets.keys) == {items, notes}
        assert assets.asset_deps[notes] == {items}
        assert assets.asset_deps[items] == set()

        result = materialize([assets], instance=DagsterInstance.ephemeral())

        assert result.success
        expected = {n: len(api.emulator.records(n)) for n in ("items", "notes")}
        requests = api.stats.requests
    landed = {
        name: query(tmp_path / "data.duckdb", f"SELECT count(DISTINCT id) FROM family.{name}")[0][0]
        for name in expected
    }
    assert landed == expected
    metadata = _metadata(result)
    for key, name in ((items, "items"), (notes, "notes")):
        assert metadata[key]["rows_per_table"] == {name: expected[name]}
        assert metadata[key]["records"] == expected[name]
        assert metadata[key]["http_429"] == 0
        assert metadata[key]["retries"] == 0
    # one request per item for the notes; the items' own pages, plus pages past the end
    # that the page window sent and the API answered before the sequence ended (the API saw
    # a few more, cancelled when it did)
    assert metadata[notes]["requests"] == expected["items"]
    assert metadata[items]["requests"] >= metadata[items]["pages"] >= 3
    assert metadata[items]["requests"] + metadata[notes]["requests"] <= requests


@pytest.mark.postgres
def test_rows_per_table_counts_the_csv_files_dlt_loads_into_postgres_as_they_are(
    postgres_url: str, postgres_dataset: str
) -> None:
    """dlt's normaliser counts 0 rows for a file it imports as it is, and the fast path hands
    PostgreSQL CSV files: the metadata still says what landed, nested tables included."""
    records = [{"id": i, "name": f"n{i}", "tags": ["a", "b"][: i % 3]} for i in range(1, 251)]
    with serve_url(pages_app(records)) as url:
        assets = restsync_assets(
            items_config("counted"), destination="postgres", dataset=postgres_dataset, base_url=url
        )
        result = materialize([assets], instance=DagsterInstance.ephemeral())
    assert result.success
    landed = {}
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        for table in ("items", "items__tags"):
            cursor.execute(f'SELECT count(*) FROM "{postgres_dataset}"."{table}"')
            landed[table] = cursor.fetchone()[0]
    assert landed == {"items": 250, "items__tags": sum(i % 3 for i in range(1, 251))}
    (metadata,) = _metadata(result).values()
    assert metadata["rows_per_table"] == landed
    assert metadata["rows_loaded"] == 250


def test_materialising_a_child_alone_fetches_its_parent_but_loads_only_the_child(
    tmp_path: Path,
) -> None:
    raw = _family()
    with serve(load_config(raw), EmulatorOptions(records=40, page_size=50)) as api:
        assets = restsync_assets(
            raw, base_url=api.url, dataset="family", duckdb_file=tmp_path / "data.duckdb"
        )
        notes = next(key for key in assets.keys if key.path[-1] == "notes")
        result = materialize([assets], instance=DagsterInstance.ephemeral(), selection=[notes])
        assert result.success
        expected = len(api.emulator.records("notes"))
    tables = {row[0] for row in query(tmp_path / "data.duckdb", "SHOW ALL TABLES")}
    assert "items" not in tables
    assert query(tmp_path / "data.duckdb", "SELECT count(*) FROM family.notes")[0][0] == expected
    materialised = [e.materialization.asset_key for e in result.get_asset_materialization_events()]
    assert materialised == [notes]


def test_time_partitions_need_an_incremental_resource(tmp_path: Path) -> None:
    from dagster import HourlyPartitionsDefinition

    with pytest.raises(ConfigError) as caught:
        restsync_assets(
            _family(),
            duckdb_file=tmp_path / "data.duckdb",
            partitions_def=HourlyPartitionsDefinition(start_date="2023-01-01-00:00"),
        )
    assert caught.value.location == "partitions_def"
    assert "endpoint.incremental" in str(caught.value)
