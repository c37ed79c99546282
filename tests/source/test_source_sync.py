"""``sync()`` end to end: the row counts it returns are what the destination holds (DuckDB,
nested tables and renamed tables included), and the CRM connector merges into PostgreSQL
twice with exactly the API's rows and values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.sync_harness import (
    DATASET,
    Receive,
    Scope,
    Send,
    config,
    emulator,
    query,
    resource,
    run,
    tables,
)
from restsync import load_config, sync
from restsync.emulator import Emulator, EmulatorOptions

ORDERS = [
    {"id": n, "lines": [{"sku": f"s{n}-{i}", "qty": i} for i in range(n % 4)]} for n in range(1, 31)
]


async def orders(request: Request) -> JSONResponse:
    return JSONResponse({"orders": ORDERS})


class WithOrders:
    """The emulator, plus ``/v1/orders`` whose records hold lists (dlt makes a nested table)."""

    def __init__(self, api: Emulator) -> None:
        self.api = api
        self.orders = Starlette(routes=[Route("/v1/orders", orders)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.orders if scope.get("path") == "/v1/orders" else self.api.app
        await app(scope, receive, send)


def destination_counts(db: Path) -> dict[str, int]:
    return {t: query(db, f'SELECT COUNT(*) FROM {DATASET}."{t}"')[0][0] for t in tables(db)}


def test_sync_returns_the_row_counts_the_destination_holds(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(
        resource("items", paginator={"type": "page_number", "base_page": 1}),
        resource("people", paginator={"type": "offset", "limit": 20}, table_name="contacts"),
        resource("orders", paginator={"type": "single_page"}, data_selector="orders"),
        resource(
            "notes",
            "/items/{item_id}/notes",
            paginator={"type": "single_page"},
            params={"item_id": {"type": "resolve", "resource": "items", "field": "id"}},
        ),
    )
    api = emulator(spec, records={"items": 57, "people": 41}, page_size=10)
    app = WithOrders(api)
    lines = sum(len(order["lines"]) for order in ORDERS)
    expected = {
        "items": 57,
        "contacts": 41,
        "orders": len(ORDERS),
        "orders__lines": lines,
        "notes": len(api.records("notes")),
    }

    first = run(spec, app, db)
    assert dict(first.tables) == destination_counts(db) == expected
    assert first.location == str(db.resolve())
    assert first.dataset == DATASET

    second = run(spec, app, db)  # append: everything twice
    assert dict(second.tables) == destination_counts(db)
    assert dict(second.tables) == {name: 2 * count for name, count in expected.items()}


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_rows(url: str, dataset: str, table: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f'SELECT id, createdby, modifiedby FROM "{dataset}"."{table}" ORDER BY id')
        return cursor.fetchall()


@pytest.mark.postgres
def test_crm_merges_into_postgres_twice(postgres_url: str, postgres_dataset: str) -> None:
    crm = load_config("crm", secrets={"access_token": "t"})
    api = Emulator(crm, EmulatorOptions(records=130))
    transport = httpx.ASGITransport(app=api.app)
    names = [r.name for r in crm.resources]
    landed: dict[int, dict[str, list[tuple[Any, ...]]]] = {}

    for generation in (0, 1):
        api.options = EmulatorOptions(records=130, generation=generation)
        result = sync(crm, destination="postgres", dataset=postgres_dataset, transport=transport)

        assert result.destination == "postgres"
        assert dict(result.tables) == {name: len(api.records(name)) for name in names}
        landed[generation] = {}
        for name in names:
            expected = sorted(
                (r["id"], r.get("createdby"), r.get("modifiedby")) for r in api.records(name)
            )
            rows = postgres_rows(postgres_url, postgres_dataset, name)
            assert rows == expected, f"{name} differs from the API after generation {generation}"
            landed[generation][name] = rows

    for name in names:
        before = {row[0]: row[1:] for row in landed[0][name]}
        after = {row[0]: row[1:] for row in landed[1][name]}
        assert len(after) > len(before), f"{name}: generation 1 added no rows"
        changed = [key for key in before if before[key] != after[key]]
        assert changed, f"{name}: the merge changed no row"
