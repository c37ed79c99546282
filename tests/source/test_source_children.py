"""End to end: child resources (endpoint params of type ``resolve``) make one request sequence
per parent record and land every child record once, with the parent fields asked for; a child
selected alone still fetches its parent but loads no parent table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import httpx

from engine.sync_harness import (
    DATASET,
    config,
    emulator,
    mismatches,
    query,
    resource,
    run,
    tables,
)
from restsync import rest_api_source


def resolve(parent: str, field: str = "id") -> dict[str, Any]:
    return {"type": "resolve", "resource": parent, "field": field}


def family() -> dict[str, Any]:
    """items -> notes_in_path (id in the path, the older resolve param) -> replies; items ->
    notes_in_query (id as a query parameter, ``{resources.items.id}``, other params kept)."""
    return config(
        resource("items", paginator={"type": "page_number", "base_page": 1}),
        resource(
            "notes_in_path",
            "/items/{item_id}/notes",
            paginator={"type": "page_number", "base_page": 1},
            params={"item_id": resolve("items")},
            include_from_parent=["name", "owner.email"],
        ),
        resource(
            "notes_in_query",
            "/notes",
            paginator={"type": "single_page"},
            params={"item_id": "{resources.items.id}", "status": "open"},
            include_from_parent=["id"],
        ),
        resource(
            "replies",
            "/notes/{note_id}/replies",
            data_selector=[],
            paginator={"type": "single_page"},
            params={"note_id": resolve("notes_in_path")},
        ),
    )


def test_every_child_record_lands_once_with_its_parent_fields(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    source = family()
    api = emulator(source, records=60, page_size=10)

    result = run(source, api, db)

    names = ["items", "notes_in_path", "notes_in_query", "replies"]
    assert mismatches(db, api, names) == {}
    assert result.tables == {name: len(api.records(name)) for name in names}
    parents = {r["id"]: r for r in api.records("items")}
    rows = query(
        db,
        f"SELECT id, items_id, _items_name, _items_owner_email FROM {DATASET}.notes_in_path",
    )
    for _, parent_id, name, email in rows:
        assert (name, email) == (parents[parent_id]["name"], parents[parent_id]["owner"]["email"])
    rows = query(db, f"SELECT items_id, _items_id FROM {DATASET}.notes_in_query")
    assert rows
    assert all(parent_id == included for parent_id, included in rows)
    # one sequence per parent: an item without notes costs one request (an empty first page),
    # an item with notes its page, the empty page that ends them and at most one more sent
    # with it, never a whole page window
    with_notes = {r["items_id"] for r in api.records("notes_in_path")}
    asked = {p: n for p, n in api.stats.requests_by_path.items() if p.startswith("/v1/items/")}
    assert set(asked) == {f"/v1/items/{key}/notes" for key in parents}
    for key in parents:
        count = asked[f"/v1/items/{key}/notes"]
        assert count in ((2, 3) if key in with_notes else (1,)), (key, count)


def test_a_child_selected_alone_loads_no_parent_table(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    spec = family()
    api = emulator(spec, records=30, page_size=10)
    source = rest_api_source(spec, transport=httpx.ASGITransport(app=api.app))
    pipeline = dlt.pipeline(
        pipeline_name="children", destination=dlt.destinations.duckdb(str(db)), dataset_name=DATASET
    )

    pipeline.run(source.with_resources("replies"))

    assert tables(db) == {"replies"}
    assert mismatches(db, api, ["replies"]) == {}
    assert api.stats.requests_by_path["/v1/items"] >= 1  # the ancestors were fetched
