"""Repeated primary keys are dropped before dlt stages them (``UniqueKeys``), so a merge
resource can declare its staged data deduplicated; every key still lands exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb
import httpx
import pyarrow as pa
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from restsync import load_config, rest_api_source, sync
from restsync.source._dedup import UniqueKeys, dedup_column
from support import items_config, pages_app, query


def _ids(table: pa.Table) -> list[Any]:
    return table.column("id").to_pylist()


def _table(ids: list[Any]) -> pa.Table:
    return pa.table({"id": ids, "v": [f"v{i}" for i in range(len(ids))]})


def test_chunks_in_key_order_pass_through_untouched() -> None:
    unique = UniqueKeys("id")
    first, second = _table([1, 2, 3]), _table([4, 5, 6])
    assert unique.table(first) is first
    assert unique.table(second) is second


def test_keys_seen_in_an_earlier_chunk_are_dropped_and_the_first_copy_kept() -> None:
    unique = UniqueKeys("id")
    unique.table(_table([10, 11, 12]))
    unique.table(_table([1, 2, 3]))  # out of order, no overlap with the key values
    later = unique.table(_table([12, 13, 2, 14]))
    assert _ids(later) == [13, 14]
    assert later.column("v").to_pylist() == ["v1", "v3"]


def test_keys_repeated_within_one_chunk_keep_their_first_row() -> None:
    unique = UniqueKeys("id")
    kept = unique.table(_table([5, 3, 5, 4, 3]))
    assert _ids(kept) == [5, 3, 4]
    assert kept.column("v").to_pylist() == ["v0", "v1", "v3"]
    assert _ids(unique.table(_table([3, 6]))) == [6]


def test_text_keys_and_dict_pages_share_what_was_seen() -> None:
    unique = UniqueKeys("id")
    unique.table(_table(["b", "c"]))
    records = [{"id": "a"}, {"id": "c"}, {"id": "a"}, {"id": "d"}]
    assert unique.records(records) == [{"id": "a"}, {"id": "d"}]
    assert _ids(unique.table(_table(["d", "e"]))) == ["e"]


def test_a_key_that_changes_type_is_compared_as_text() -> None:
    unique = UniqueKeys("id")
    unique.table(_table([1, 2]))
    assert _ids(unique.table(_table(["2", "3"]))) == ["3"]


def test_the_key_column_is_found_under_its_normalized_name() -> None:
    unique = UniqueKeys("user_id")
    unique.table(pa.table({"userId": [1, 2]}))
    assert unique.table(pa.table({"userId": [2, 3]})).column("userId").to_pylist() == [3]


def _resource(**overrides: Any) -> Any:
    config: dict[str, Any] = {
        "client": {"base_url": "http://api.test/"},
        "resources": [
            {"name": "items", "primary_key": "id", "write_disposition": "merge", **overrides}
        ],
    }
    return load_config(config).resources[0]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "id"),
        ({"write_disposition": {"disposition": "merge", "strategy": "delete-insert"}}, "id"),
        ({"write_disposition": "append"}, None),
        ({"write_disposition": {"disposition": "merge", "strategy": "upsert"}}, None),
        ({"write_disposition": {"disposition": "merge", "deduplicated": False}}, None),
        ({"primary_key": ["id", "kind"]}, None),
        ({"primary_key": "owner__id"}, None),
        ({"columns": {"updated_at": {"dedup_sort": "desc"}}}, None),
        ({"columns": {"deleted": {"hard_delete": True}}}, None),
    ],
)
def test_only_merges_on_one_key_that_dlt_would_deduplicate_qualify(
    overrides: dict[str, Any], expected: str | None
) -> None:
    assert dedup_column(_resource(**overrides), {"items": 1}) == expected


def test_two_resources_loading_one_table_do_not_qualify() -> None:
    assert dedup_column(_resource(), {"items": 2}) is None


def _overlapping_app(generation: list[int]) -> Starlette:
    """Offset-like paging over a list that shifts: every page repeats the last five records of
    the page before, and page 2 also holds one record twice."""

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        start = max(0, (page - 1) * 100 - 5)
        rows = [
            {"id": i, "name": f"n{i}", "gen": generation[0]}
            for i in range(start + 1, min(start + 101, 451))
        ]
        if page == 2:
            rows.insert(3, dict(rows[0]))
        return JSONResponse({"items": rows})

    return Starlette(routes=[Route("/items", items)])


@pytest.mark.parametrize("arrow", ["1", "0"])
def test_records_repeated_across_pages_land_once_on_every_run(
    arrow: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Arrow path (restsync drops repeats, dlt told the data is deduplicated) and the dict
    path (dlt deduplicates) land the same rows; a second run replaces them all."""
    monkeypatch.setenv("RESTSYNC_ARROW", arrow)
    generation = [1]
    transport = httpx.ASGITransport(app=_overlapping_app(generation))
    db = tmp_path / "sync.duckdb"
    for run in (1, 2):
        generation[0] = run
        sync(items_config("dups", maximum_page=6), duckdb_file=db, transport=transport)
        rows = query(db, "SELECT id, name, gen FROM dups.items ORDER BY id")
        assert [row[0] for row in rows] == list(range(1, 451))
        assert all(row[1] == f"n{row[0]}" and row[2] == run for row in rows)
    hint = query(
        db,
        "SELECT schema FROM dups._dlt_version ORDER BY inserted_at DESC LIMIT 1",
    )[0][0]
    assert ('"x-stage-data-deduplicated": true' in hint.replace(":true", ": true")) == (
        arrow == "1"
    )


def _schemas(db: Path) -> set[str]:
    return {row[0] for row in query(db, "SELECT schema_name FROM information_schema.schemata")}


def test_a_first_sync_appends_into_the_missing_table_and_later_ones_merge(tmp_path: Path) -> None:
    """Deduplicated rows merged into no table are all kept: the first sync appends them
    without dlt's staging copy; the next merges (the rows are replaced, not repeated)."""
    generation = [1]
    transport = httpx.ASGITransport(app=_overlapping_app(generation))
    db = tmp_path / "sync.duckdb"
    sync(items_config("dups", maximum_page=6), duckdb_file=db, transport=transport)
    assert "dups_staging" not in _schemas(db)
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id), MAX(gen) FROM dups.items") == [
        (450, 450, 1)
    ]
    generation[0] = 2
    sync(items_config("dups", maximum_page=6), duckdb_file=db, transport=transport)
    assert "dups_staging" in _schemas(db)
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id), MIN(gen) FROM dups.items") == [
        (450, 450, 2)
    ]


def test_an_emptied_table_is_appended_into_and_a_compound_key_always_merges(
    tmp_path: Path,
) -> None:
    transport = httpx.ASGITransport(app=_overlapping_app([1]))
    db = tmp_path / "sync.duckdb"
    sync(items_config("dups", maximum_page=6), duckdb_file=db, transport=transport)
    with duckdb.connect(str(db)) as connection:
        connection.execute("DELETE FROM dups.items")
    sync(items_config("dups", maximum_page=6), duckdb_file=db, transport=transport)
    assert "dups_staging" not in _schemas(db)
    assert query(db, "SELECT COUNT(*) FROM dups.items") == [(450,)]

    config = items_config("pairs", maximum_page=6)
    config["resources"][0]["primary_key"] = ["id", "name"]
    sync(config, duckdb_file=db, transport=transport)
    assert "pairs_staging" in _schemas(db)
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id) FROM pairs.items") == [(450, 450)]


def test_nested_tables_of_an_appended_first_sync_are_replaced_by_the_next_merge(
    tmp_path: Path,
) -> None:
    records: list[dict[str, Any]] = []  # each with a list: dlt loads it as a nested table
    transport = httpx.ASGITransport(app=pages_app(records))
    db = tmp_path / "sync.duckdb"
    for run in (1, 2):
        records[:] = [{"id": i, "tags": [f"g{run}", "t"]} for i in range(1, 251)]
        sync(items_config("nested"), duckdb_file=db, transport=transport)
        tags = query(db, "SELECT value, COUNT(*) FROM nested.items__tags GROUP BY 1 ORDER BY 1")
        assert tags == [(f"g{run}", 250), ("t", 250)]
    assert query(db, "SELECT COUNT(*) FROM nested.items") == [(250,)]


def test_after_a_sync_that_did_not_load_every_row_still_lands_once(tmp_path: Path) -> None:
    """A sync that extracted but never loaded leaves a package: the next sync has dlt load
    that package first (into the missing table), then merges its own pages into it."""
    transport = httpx.ASGITransport(app=_overlapping_app([1]))
    db = tmp_path / "sync.duckdb"
    pipelines = tmp_path / "pipelines"
    config = items_config("dups", maximum_page=6)
    interrupted = dlt.pipeline(
        pipeline_name="interrupted",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="dups",
        pipelines_dir=str(pipelines),
    )
    interrupted.extract(rest_api_source(config, transport=transport))
    interrupted.normalize()
    assert interrupted.has_pending_data
    for _ in range(2):
        sync(
            config,
            duckdb_file=db,
            transport=transport,
            pipeline_name="interrupted",
            pipelines_dir=pipelines,
        )
        assert query(db, "SELECT COUNT(*), COUNT(DISTINCT id) FROM dups.items") == [(450, 450)]
