"""An integer beyond 64 bits is never silently changed: orjson would read it as a float, so
such a body is read exactly; dlt cannot load it into a column it has not been told to make
``decimal`` or ``text``, so the run fails (a ``ResponseError`` naming the resource and the
field), loading nothing, rather than landing ``1e+23``. ``tests/cli/test_cli_huge_integers.py``
has what the user sees and what a declared column loads."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import httpx
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from restsync import ResponseError, rest_api_source

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

    with pytest.raises(PipelineStepFailed) as caught:
        pipeline.run(source)

    error: BaseException | None = caught.value
    while error is not None and not isinstance(error, ResponseError):
        error = error.__cause__ or error.__context__
    assert isinstance(error, ResponseError), caught.value
    assert error.resource == "items"
    assert "field 'big' holds 99999999999999999999999, an integer beyond 64 bits" in str(error)

    if db.exists():
        with duckdb.connect(str(db)) as con:
            found = con.sql(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'items'"
            ).fetchall()
        assert found == [(0,)]
