"""What restsync loaded reads back through dlt's own ``pipeline.dataset()``, the way dlt's
documentation reads a pipeline's tables (its SQL layer must be one dlt can drive)."""

from __future__ import annotations

from pathlib import Path

import dlt
import httpx

from restsync import rest_api_source
from support import items_config, pages_app

RECORDS = [{"id": i, "name": f"n{i}", "tags": ["a", "b"][: i % 3]} for i in range(1, 151)]


def test_synced_tables_read_back_through_dlt_dataset(tmp_path: Path) -> None:
    pipeline = dlt.pipeline(
        "readback",
        destination=dlt.destinations.duckdb(str(tmp_path / "r.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    transport = httpx.ASGITransport(app=pages_app(RECORDS))
    pipeline.run(rest_api_source(items_config("readback"), transport=transport))
    items = pipeline.dataset().items.select("id", "name").fetchall()
    tags = pipeline.dataset().items__tags.fetchall()
    assert sorted(items) == [(r["id"], r["name"]) for r in RECORDS]
    assert len(tags) == sum(len(r["tags"]) for r in RECORDS)
