"""The columnar walk makes the tables dlt's own normaliser makes, on the emulator's realistic
records: the same tables (nested lists two levels down included), the same columns and the
same rows, each row found by where it sits (record, then list positions) since dlt's root
row ids are random. Pages it cannot make exactly go to dlt's normaliser: that is checked too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import dlt
import pyarrow as pa
import pytest

from restsync.emulator._records import RecordFactory
from restsync.normalise._columnar import ColumnarPages, TableColumns
from restsync.normalise._rows import split_rows

MERGE = {
    "write_disposition": "merge",
    "columns": {"id": {"name": "id", "primary_key": True}},
}


def _schema(table: str, hints: dict[str, Any]) -> dlt.Schema:
    schema = dlt.Schema("s")
    if hints["write_disposition"] == "merge":
        # nested rows carry the root row's id, as a merge table's do in a pipeline (there
        # the destination's merge strategy decides it)
        normaliser = schema.data_item_normalizer
        normaliser.update_normalizer_config(schema, {"root_key_propagation": True})  # type: ignore[attr-defined]
        schema = schema.clone()
    schema.update_table({"name": table, "columns": {}, **hints})  # type: ignore[typeddict-item]
    return schema.clone()  # made anew, dlt's normaliser reads the table's settings


def _records(resource: str, count: int) -> list[dict[str, Any]]:
    factory = RecordFactory(resource, None, "id", seed=7, shape="realistic")
    return factory.make_many(list(range(1, count + 1)), [0] * count)


def _placed(tables: dict[str, dict[str, list[Any]]], root: str) -> dict[str, Counter[str]]:
    """Each table's rows with the row ids replaced by the row's place (record, then table and
    list position), columns that hold no value left out (dlt leaves them out of the table)."""
    place: dict[str, Any] = {}
    result: dict[str, Counter[str]] = {}
    for name in sorted(tables, key=lambda n: n.count("__")):
        columns = {c: v for c, v in tables[name].items() if any(x is not None for x in v)}
        placed: Counter[str] = Counter()
        for index, values in enumerate(zip(*columns.values(), strict=True)):
            row = dict(zip(columns, values, strict=True))
            if name == root:
                where: Any = ("record", index)
                row.pop("_dlt_load_id")
            else:
                where = (place[row.pop("_dlt_parent_id")], name, row.pop("_dlt_list_idx"))
                root_id = row.pop("_dlt_root_id", None)
                assert root_id is None or place[root_id][0] == "record"
            place[row.pop("_dlt_id")] = where
            placed[repr((where, sorted(row.items())))] += 1
        result[name] = placed
    return result


def _as_lists(made: list[TableColumns]) -> dict[str, dict[str, list[Any]]]:
    return {
        t.name: {
            c: v.to_pylist() if isinstance(v, pa.Array) else list(v) for c, v in t.columns.items()
        }
        for t in made
    }


def _dlts(schema: dlt.Schema, records: list[dict[str, Any]], table: str) -> dict[str, Any]:
    return {name: rows.columns for name, rows in split_rows(schema, records, table, "load").items()}


@pytest.mark.parametrize(
    ("resource", "hints"),
    [
        ("prospects", MERGE),
        ("accounts", MERGE),
        ("accounts", {"write_disposition": "append"}),
    ],
    ids=["people-merge", "line-items-merge", "line-items-append"],
)
def test_realistic_pages_make_dlts_tables(resource: str, hints: dict[str, Any]) -> None:
    records = _records(resource, 300)
    schema = _schema(resource, hints)
    made = ColumnarPages(schema, resource).tables(records, "load")
    assert made is not None, "the realistic records must take the columnar way"
    ours = _as_lists(made)
    theirs = _dlts(schema, records, resource)
    assert sorted(ours) == sorted(theirs)
    assert _placed(ours, resource) == _placed(theirs, resource)
    # the deep nested table is there, and carries the root id only where dlt's merge needs it
    deep = f"{resource}__line_items__serials" if resource == "accounts" else None
    if deep:
        assert deep in ours
        assert ("_dlt_root_id" in ours[deep]) == (hints["write_disposition"] == "merge")


@pytest.mark.parametrize(
    "records",
    [
        [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": "a"}],
        [{"id": 1, "items": [{"a": 1}, 2]}],
        [{"id": 1, "grid": [[1, 2], [3]]}],
        [{"id": 1, "owner__id": 5, "owner": {"id": 6}}],
        [{"id": 1, "_dlt_id": "mine"}],
        [{"id": 1, "": 2}],
        [{"id": 1, "a.b": [1], "a b": "x"}],
        [{"id": 1, "a.b": {"c": 1}, "a b": "x"}],
    ],
    ids=[
        "list-or-value",
        "objects-and-values",
        "list-of-lists",
        "flat-vs-nested",
        "own-id",
        "empty-key",
        "list-beside-its-namesake",
        "object-beside-its-namesake",
    ],
)
def test_shapes_it_cannot_make_exactly_go_to_dlt(records: list[dict[str, Any]]) -> None:
    schema = _schema("items", MERGE)
    assert ColumnarPages(schema, "items").tables(records, "load") is None


def test_colliding_values_keep_the_last_of_each_record_as_dlt_does() -> None:
    records = [{"id": 1, "name": "a", "Name": "B"}, {"id": 2, "Name": "C", "name": "d"}]
    schema = _schema("items", MERGE)
    made = ColumnarPages(schema, "items").tables(records, "load")
    assert made is not None
    assert _as_lists(made)["items"]["name"] == ["B", "d"]
    assert _placed(_as_lists(made), "items") == _placed(_dlts(schema, records, "items"), "items")
