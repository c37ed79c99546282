"""A resource's normaliser works on its own copy of the schema dlt extracts into, with the
resource's table in it: one copy per resource, however wide the source's schema, and dlt's
relational normaliser of that copy reads the table's settings (a merge table's root ids
propagated to its nested tables) as dlt's normalize step reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import httpx
import pytest

from restsync import rest_api_source
from restsync.normalise import PageNormaliser
from support import items_config, pages_app, query

MERGE_TABLE: Any = {
    "name": "items",
    "write_disposition": "merge",
    "columns": {"id": {"name": "id", "primary_key": True, "data_type": "bigint"}},
}

#: ``tags`` a list in some records and a string in others: the page goes dlt's normaliser's
#: way (``split_rows``), not the columnar walk
MIXED = [{"id": i, "tags": ["a", "b"] if i % 2 else "x"} for i in range(1, 251)]


def test_a_resource_s_normaliser_copies_the_schema_once(monkeypatch: pytest.MonkeyPatch) -> None:
    clones = []
    clone = dlt.Schema.clone

    def counted(self: dlt.Schema, *args: Any, **kwargs: Any) -> dlt.Schema:
        clones.append(self.name)
        return clone(self, *args, **kwargs)

    monkeypatch.setattr(dlt.Schema, "clone", counted)
    schema = dlt.Schema("s")
    for name in ("a", "b", "c"):
        schema.update_table({"name": name, "columns": {}})
    normaliser = PageNormaliser(schema, MERGE_TABLE)
    assert clones == ["s"]
    assert normaliser.table == "items"
    assert "items" not in schema.tables  # the schema dlt extracts into is left as it was


def test_pages_of_dlts_normaliser_carry_a_merge_table_s_root_ids(tmp_path: Path) -> None:
    source = rest_api_source(
        items_config("mixed"),
        transport=httpx.ASGITransport(app=pages_app(MIXED)),
        root_key=True,
    )
    db = tmp_path / "db.duckdb"
    pipeline = dlt.pipeline(
        "mixed", destination=dlt.destinations.duckdb(str(db)), dataset_name="mixed"
    )
    pipeline.run(source)
    rows = query(
        db,
        "SELECT t.value, t._dlt_root_id = i._dlt_id, i.id FROM mixed.items__tags t "
        "JOIN mixed.items i ON t._dlt_parent_id = i._dlt_id ORDER BY i.id, t._dlt_list_idx",
    )
    assert rows == [(tag, True, i) for i in range(1, 251, 2) for tag in ("a", "b")]
    assert query(db, "SELECT count(*) FROM mixed.items WHERE tags = 'x'") == [(125,)]
