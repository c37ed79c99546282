"""Pages after the first are read straight from their bodies by Arrow (``ArrowPages.decode``)
when their records have the type learned so far; any other page is parsed as usual. Either way
the same rows land as on dlt's own dict path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from restsync import sync
from restsync.source._arrow import ArrowPages, decode_records
from support import items_config, query

RECORD = pa.struct([("id", pa.int64()), ("name", pa.string()), ("at", pa.string())])


def _body(records: Any, **envelope: Any) -> bytes:
    return orjson.dumps({"meta": {"total": 7, "items": records}, **envelope})


def test_records_of_the_declared_type_decode_with_the_rest_of_the_document() -> None:
    records = [{"id": 1, "name": "a", "at": "2024-01-01T00:00:00Z"}, {"id": 2, "name": None}]
    decoded = decode_records(_body(records, status="ok"), ("meta", "items"), RECORD)
    assert decoded is not None
    table, document = decoded
    assert table.schema == pa.schema(list(RECORD))
    # the timestamp-like text stays text, as from the usual path
    assert table.to_pylist() == [
        {"id": 1, "name": "a", "at": "2024-01-01T00:00:00Z"},
        {"id": 2, "name": None, "at": None},
    ]
    assert document == {"meta": {"total": 7}, "status": "ok"}


_NOT_DECODED = {
    "a field the type lacks": _body([{"id": 1, "extra": "x"}]),
    "a float where integers were": _body([{"id": 1.5}]),
    "text where integers were": _body([{"id": "1"}]),
    "a key twice (orjson keeps the last)": b'{"meta": {"items": [{"id": 1, "id": 2}]}}',
    "not records": _body([1, 2]),
    "no list at the path": _body(None),
    "nothing at the path": orjson.dumps({"meta": {}}),
    "two documents": _body([{"id": 1}]) + b"\n" + _body([{"id": 2}]),
    "not JSON": b"not json",
}


@pytest.mark.parametrize("body", _NOT_DECODED.values(), ids=_NOT_DECODED.keys())
def test_anything_else_is_left_to_the_usual_path(body: bytes) -> None:
    assert decode_records(body, ("meta", "items"), RECORD) is None


def test_decode_makes_the_table_prepare_makes_once_a_page_was_prepared() -> None:
    pages = ArrowPages(None)
    first = [{"id": 1, "name": "a", "gone": None, "nested": {"x": 1}}]
    later = [{"id": 2, "name": None, "gone": "now here", "nested": {"x": 2}}, {"id": 3}]
    assert pages.decode(orjson.dumps({"r": later}), ("r",)) is None  # nothing learned yet
    pages.prepare(first)
    # "gone" was all null: that page's type is null, and a value for it does not fit
    assert pages.decode(orjson.dumps({"r": later}), ("r",)) is None
    prepared = pages.prepare(later)
    assert isinstance(prepared, pa.Table)
    decoded = pages.decode(orjson.dumps({"r": later, "next": None}), ("r",))
    assert decoded is not None
    assert decoded.ready.to_pylist() == prepared.to_pylist()
    assert decoded.record_count == 2
    assert decoded.document == {"next": None}


def _shifting_app(requests: list[int]) -> Starlette:
    """Pages of 50 whose records change shape along the way, and a total of 8 pages (told from
    page 7 on) although the API would serve 12."""

    def record(i: int, page: int) -> dict[str, Any]:
        row: dict[str, Any] = {"id": i, "name": f"n{i}", "owner": {"id": i}, "score": i}
        if page >= 3:
            row["seen_at"] = f"2024-05-{1 + i % 28:02d}T10:00:00Z"  # a new field
        if page == 4:
            row["score"] = i + 0.5  # floats where integers were
        if page == 5:
            row["owner"] = {"id": i, "team": "t"}  # a new nested field
        if page == 6 and i % 2:
            row["name"] = None
        return row

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params["page"])
        requests.append(page)
        ids = range((page - 1) * 50 + 1, page * 50 + 1) if page <= 12 else ()
        data: dict[str, Any] = {"items": [record(i, page) for i in ids]}
        if page >= 7:  # only pages decoded by then tell the total
            data["pages"] = 8
        return JSONResponse({"data": data, "ok": True})

    return Starlette(routes=[Route("/items", items)])


def _shifting_config() -> dict[str, Any]:
    config = items_config("shifting", total_path="data.pages")
    config["resources"][0]["endpoint"]["data_selector"] = "data.items"
    return config


def test_pages_that_change_shape_land_as_on_the_dict_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[bool] = []
    decode = ArrowPages.decode

    def counting(self: ArrowPages, body: bytes, keys: tuple[str, ...]) -> Any:
        result = decode(self, body, keys)
        decoded.append(result is not None)
        return result

    monkeypatch.setattr(ArrowPages, "decode", counting)
    landed = []
    for arrow in ("0", "1"):
        monkeypatch.setenv("RESTSYNC_ARROW", arrow)
        requests: list[int] = []  # pages past the total may be requested, never loaded
        db = tmp_path / f"arrow{arrow}.duckdb"
        transport = httpx.ASGITransport(app=_shifting_app(requests))
        sync(_shifting_config(), duckdb_file=db, transport=transport)
        columns = query(db, "DESCRIBE shifting.items")
        names = sorted(row[0] for row in columns if not row[0].startswith("_dlt"))
        rows = query(db, f"SELECT {', '.join(names)} FROM shifting.items ORDER BY id")
        landed.append((sorted((row[0], row[1]) for row in columns), rows))
    assert landed[1] == landed[0]
    assert len(landed[1][1]) == 400, "the total in the body ends the pages"
    assert any(decoded), "no page was decoded"
    assert not all(decoded), "pages of a new shape were decoded"
