"""An integer beyond 64 bits is never silently changed: orjson would read it as a float, so
such a body is read exactly, and the run then fails as dlt's own source fails on it, loading
nothing, rather than landing ``1e+23``."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from restsync import rest_api_source

BODY = b'{"data": [{"id": 1, "big": 99999999999999999999999}, {"id": 2, "big": 5}]}'


async def items(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


def test_an_integer_beyond_64_bits_is_not_loaded_as_a_float(tmp_path: Path) -> None:
    app = Starlette(routes=[Route("/items", items)])
    source = rest_api_source(
        {
            "client": {"base_url": "http://api.test/"},
            "resources": [
                {
                    "name": "items",
                    "endpoint": {
                        "path": "items",
                        "data_selector": "data",
                        "paginator": "single_page",
                    },
                }
            ],
        },
        transport=httpx.ASGITransport(app),
    )
    db = tmp_path / "out.duckdb"
    pipeline = dlt.pipeline("huge", destination=dlt.destinations.duckdb(str(db)), dataset_name="d")

    with pytest.raises(Exception, match=r"too large|exceeds 64-bit"):
        pipeline.run(source)

    if db.exists():
        with duckdb.connect(str(db)) as con:
            found = con.sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'items'"
            ).fetchall()
        assert found == [(0,)]
