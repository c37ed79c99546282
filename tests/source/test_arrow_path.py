"""The Arrow data path lands the same tables, column types and values as dlt's own dict path
(``RESTSYNC_ARROW=0``), for hinted and unhinted resources, nested objects, timestamps, lists
and pages whose types Arrow cannot settle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from dlt.common.normalizers.json.helpers import get_nested_row_hash
from starlette.applications import Starlette

from restsync import load_config, sync
from restsync.emulator import Emulator, EmulatorOptions
from support import items_config, pages_app, query

DLT_COLUMNS = {"_dlt_id", "_dlt_load_id"}  # present on both paths, values differ by nature


def _tables(db: Path, dataset: str) -> dict[str, Any]:
    """Per table: the columns with their types (dlt's bookkeeping columns aside), and every
    row ordered by id."""
    result: dict[str, Any] = {}
    names = query(
        db, f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{dataset}'"
    )
    for (table,) in names:
        if table.startswith("_dlt"):
            continue
        described = query(db, f"DESCRIBE {dataset}.{table}")
        present = {row[0] for row in described}
        if "_dlt_parent_id" not in present:
            assert present >= DLT_COLUMNS, f"{table} lacks dlt's columns"
        columns = sorted((row[0], row[1]) for row in described if row[0] not in DLT_COLUMNS)
        if any(name == "_dlt_parent_id" for name, _ in columns):
            rows = len(query(db, f"SELECT * FROM {dataset}.{table}"))
        else:
            names_sql = ", ".join(f'"{name}"' for name, _ in columns)
            rows = query(db, f"SELECT {names_sql} FROM {dataset}.{table} ORDER BY id")
        result[table] = (columns, rows)
    return result


def _both_paths(
    config: Any, transport: httpx.AsyncBaseTransport, tmp_path: Path, monkeypatch: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    loaded = []
    for arrow in ("0", "1"):
        monkeypatch.setenv("RESTSYNC_ARROW", arrow)
        db = tmp_path / f"arrow{arrow}.duckdb"
        sync(config, duckdb_file=db, transport=transport, pipeline_name=f"p{arrow}")
        loaded.append(_tables(db, load_config(config).name))
    return loaded[0], loaded[1]


@pytest.mark.parametrize("connector", ["sales_engagement", "crm"])
def test_connectors_land_identically_on_both_paths(
    connector: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(connector, secrets={"api_key": "k", "access_token": "t"})
    emulator = Emulator(config, EmulatorOptions(records=230, page_size=50))
    dicts, arrow = _both_paths(config, httpx.ASGITransport(app=emulator.app), tmp_path, monkeypatch)
    assert dicts.keys() == arrow.keys()
    for table in dicts:
        assert arrow[table][0] == dicts[table][0], f"{table}: columns or types differ"
        assert arrow[table][1] == dicts[table][1], f"{table}: values differ"


def _records(lists_from: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": f"n{i}",
            "seen_at": f"2024-05-{1 + i % 28:02d}T10:00:00Z",
            "owner": {"id": i * 10, "profile": {"email": f"u{i}@example.com"}},
            "score": None if i % 3 else 1.5 * i,
            "empty": None,
            "tags": ["a", "b"] if i >= lists_from else None,
        }
        for i in range(1, 301)
    ]


def _unhinted_app(*, lists_from: int) -> Starlette:
    return pages_app(_records(lists_from))


def _plain_config() -> dict[str, Any]:
    return items_config("plain")


def test_unhinted_nested_timestamps_and_lists_land_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=_unhinted_app(lists_from=51))
    dicts, arrow = _both_paths(_plain_config(), transport, tmp_path, monkeypatch)
    assert dicts.keys() == arrow.keys() == {"items", "items__tags"}
    for table in dicts:
        assert arrow[table] == dicts[table], table
    columns = dict(arrow["items"][0])
    assert columns["seen_at"] == "TIMESTAMP WITH TIME ZONE"
    assert columns["owner__profile__email"] == "VARCHAR"
    assert "empty" not in columns


def test_lists_first_seen_on_a_later_page_make_dlt_s_nested_table_over_two_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pages (no lists) go the Arrow way, the later ones make a nested table (the
    dict way): every record complete, the nested table dlt's, and a second merge run lands
    the same as dlt's own."""
    transport = httpx.ASGITransport(app=_unhinted_app(lists_from=151))
    _both_paths(_plain_config(), transport, tmp_path, monkeypatch)
    dicts, arrow = _both_paths(_plain_config(), transport, tmp_path, monkeypatch)
    assert dicts.keys() == arrow.keys() == {"items", "items__tags"}
    for table in dicts:
        assert arrow[table] == dicts[table], table
    rows = [row[0] for row in arrow["items"][1]]
    assert rows == list(range(1, 301))
    assert arrow["items__tags"][1] == 2 * 150


def test_a_resource_nesting_limit_is_applied_as_dlt_applies_it(tmp_path: Path) -> None:
    """``max_table_nesting: 0`` keeps nested objects whole (dlt's dict path); the Arrow path
    would flatten them, so such a resource must not take it."""
    config = _plain_config()
    config["resources"][0]["max_table_nesting"] = 0
    db = tmp_path / "nesting.duckdb"
    app = _unhinted_app(lists_from=10_000)  # no lists: the Arrow path would be taken
    sync(config, duckdb_file=db, transport=httpx.ASGITransport(app=app))
    columns = {row[0] for row in query(db, "DESCRIBE plain.items")}
    assert "owner" in columns
    assert "owner__id" not in columns


def test_a_first_page_arrow_cannot_type_sends_the_resource_the_dict_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first page mixes types in one column and holds lists: dlt makes variant columns
    and a nested table of it, and the later, regular pages must land the same way (mixing
    them with Arrow pages breaks dlt's merge of nested tables)."""
    records = _records(lists_from=1)
    records[0]["name"] = 12345  # text and a number in one column: Arrow cannot type it
    app = pages_app(records)
    dicts, arrow = _both_paths(_plain_config(), httpx.ASGITransport(app=app), tmp_path, monkeypatch)
    assert dicts.keys() == arrow.keys() == {"items", "items__tags"}
    for table in dicts:
        assert arrow[table] == dicts[table], table


def test_a_field_absent_from_a_page_s_first_record_still_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """APIs leave out empty fields: the first record of a page may lack a field the others
    carry. Arrow's ``Table.from_pylist`` takes the field names from the first record alone
    and would silently drop that field for the whole page."""
    records = _records(lists_from=10_000)
    for record in records:
        if record["id"] % 100 == 1:  # the first record of every page
            del record["name"], record["owner"]
    app = pages_app(records)
    dicts, arrow = _both_paths(_plain_config(), httpx.ASGITransport(app=app), tmp_path, monkeypatch)
    assert arrow == dicts
    rows = {row[0]: row for row in arrow["items"][1]}
    names = [name for name, _ in arrow["items"][0]]
    assert rows[2][names.index("name")] == "n2"
    assert rows[101][names.index("name")] is None
    assert rows[150][names.index("owner__profile__email")] == "u150@example.com"


def test_arrow_rows_carry_dlt_s_row_ids_and_load_id(tmp_path: Path) -> None:
    db = tmp_path / "ids.duckdb"
    transport = httpx.ASGITransport(app=_unhinted_app(lists_from=10_000))
    sync(_plain_config(), duckdb_file=db, transport=transport)
    ids = query(
        db,
        "SELECT count(DISTINCT _dlt_id), min(length(_dlt_id)), max(length(_dlt_id)), "
        "count(DISTINCT _dlt_load_id), min(_dlt_load_id) FROM plain.items",
    )
    loads = query(db, "SELECT load_id FROM plain._dlt_loads")
    assert ids == [(300, 14, 14, 1, loads[0][0])]  # dlt's own: 10 random bytes, base64


def test_nested_rows_carry_dlt_s_row_ids(tmp_path: Path) -> None:
    # dlt's rule: a nested row's id is its hash of the parent's id, the table and the position
    db = tmp_path / "nested_ids.duckdb"
    transport = httpx.ASGITransport(app=_unhinted_app(lists_from=1))
    sync(_plain_config(), duckdb_file=db, transport=transport)
    rows = query(db, "SELECT _dlt_id, _dlt_parent_id, _dlt_list_idx FROM plain.items__tags")
    assert len(rows) == 600
    assert all(
        row_id == get_nested_row_hash(parent, "items__tags", index)
        for row_id, parent, index in rows
    )


@pytest.mark.parametrize("data_type", ["decimal", "json"])
def test_text_in_a_column_hinted_otherwise_lands_in_dlt_s_variant_column(
    data_type: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names in a column hinted ``decimal`` or ``json``: dlt cannot coerce them and puts
    them in a ``name__v_text`` variant; the fast path lands the same (it once failed the
    load with the database's conversion error)."""
    config = _plain_config()
    config["resources"][0]["columns"] = {"name": {"data_type": data_type}}
    transport = httpx.ASGITransport(app=_unhinted_app(lists_from=10_000))
    dicts, arrow = _both_paths(config, transport, tmp_path, monkeypatch)
    assert arrow == dicts
    columns = dict(arrow["items"][0])
    assert columns["name__v_text"] == "VARCHAR"
    names = [name for name, _ in arrow["items"][0]]
    assert [row[names.index("name__v_text")] for row in arrow["items"][1]][:2] == ["n1", "n2"]


def test_a_resource_with_nested_hints_lands_as_on_the_dict_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dlt's Arrow extract gives a table declared in ``nested_hints`` the resource's own Arrow
    columns (its ``id`` not null, which nested rows lack), so such a resource goes the dict
    way: its tables are dlt's, the hinted column typed as declared."""
    config = items_config("hinted")
    config["resources"][0]["nested_hints"] = {
        "tags": {"columns": {"value": {"name": "value", "data_type": "text"}}}
    }
    records = [{"id": i, "tags": [f"t{i}", i]} for i in range(1, 151)]
    transport = httpx.ASGITransport(app=pages_app(records))
    dicts, arrow = _both_paths(config, transport, tmp_path, monkeypatch)
    assert arrow == dicts
    assert ("value", "VARCHAR") in arrow["items__tags"][0]
    assert arrow["items__tags"][1] == 2 * 150
