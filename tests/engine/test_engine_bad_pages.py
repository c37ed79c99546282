"""End to end over loopback: pages restsync cannot load as they are. A record that is not an
object fails its resource while extracting, so nothing of the run is loaded; an API that
answers pages past the end with the last page ends the sequence there (with a warning), unless
the very second page repeats the first, which means the page parameter is ignored."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.sync_harness import api_ids, config, landed_ids, resource, tables
from restsync import ResponseError, load_config, sync
from restsync.emulator import EmulatorOptions, RunningEmulator, serve
from support import serve_url

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}


@contextmanager
def served(spec: dict[str, Any], **options: Any) -> Iterator[RunningEmulator]:
    with serve(load_config(spec), EmulatorOptions(**options)) as running:
        yield running


def sync_from(spec: dict[str, Any], url: str, db: Path) -> dict[str, int]:
    return dict(sync(spec, base_url=url, duckdb_file=db).tables)


@pytest.mark.parametrize("write_disposition", ["merge", "append"])
def test_a_non_object_record_on_page_two_fails_the_first_sync_loading_nothing(
    write_disposition: str, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(
        resource("healthy", paginator=PAGE_NUMBER_1),
        resource("items", paginator=PAGE_NUMBER_1, write_disposition=write_disposition),
    )
    with (
        served(spec, records=60, page_size=20, broken={"items": "non_object"}) as api,
        pytest.raises(ResponseError) as caught,
    ):
        sync_from(spec, api.url, db)

    error = caught.value
    assert error.resource == "items"
    assert error.url.endswith("/v1/items?page=2")
    # the first 20 records of the page are objects: the 21st is the first that is not
    assert "record 20 of the page (counting from 0) is a string, not an object" in str(error)
    assert "nothing of 'items' is loaded" in str(error)
    # page 1 of items and every page of the healthy resource were fetched, none was loaded
    assert tables(db) == set()


def non_object_api(page_two: list[Any]) -> Starlette:
    """``/v1/items?page=N``: page 1 holds three objects with a nested list, page 2
    ``page_two``, page 3 is empty."""

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        if page == 1:
            return JSONResponse({"data": [{"id": i, "tags": [i, i + 1]} for i in range(3)]})
        return JSONResponse({"data": page_two if page == 2 else []})

    return Starlette(routes=[Route("/v1/items", items)])


@pytest.mark.parametrize(
    ("page_two", "found"),
    [
        ([[1, 2], [3]], "record 0 of the page (counting from 0) is a list of 2 numbers"),
        (["a", "b"], "record 0 of the page (counting from 0) is a string"),
        ([{"id": 9, "tags": []}, None], "record 1 of the page (counting from 0) is null"),
        ([2**70], f"record 0 of the page (counting from 0) is a number, not an object: {2**70}"),
    ],
    ids=["lists", "strings", "null", "integer_beyond_64_bits"],
)
def test_non_objects_never_land_as_nested_rows_without_their_root_rows(
    page_two: list[Any], found: str, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(resource("items", paginator=PAGE_NUMBER_1, primary_key=None))
    with serve_url(non_object_api(page_two)) as url, pytest.raises(ResponseError) as caught:
        sync_from(spec, f"{url}/v1", db)

    assert found in str(caught.value)
    assert caught.value.url.endswith("/v1/items?page=2")
    assert tables(db) == set()


@pytest.mark.parametrize(
    "paginator",
    [PAGE_NUMBER_1, {"type": "offset", "limit": 20}],
    ids=["page_number", "offset"],
)
def test_pages_past_the_end_clamped_to_the_last_page_end_the_sequence(
    paginator: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(resource("items", paginator=paginator))
    with served(spec, records=60, page_size=20, broken={"items": "clamped"}) as api:
        with caplog.at_level(logging.WARNING, logger="restsync"):
            counts = sync_from(spec, api.url, db)
        expected = api_ids(api.emulator, "items")

    assert counts == {"items": 60}
    assert landed_ids(db, "items") == expected
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "resource 'items': page 4 repeats page 3: the API seems to answer pages past the end "
        "with the last page, so the sequence ends at page 3 (loading the 3 pages fetched)"
    ]


def test_a_second_page_repeating_the_first_still_means_the_page_parameter_is_ignored(
    tmp_path: Path,
) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(resource("items", paginator=PAGE_NUMBER_1))
    # one full page, then the clamped answer: the same page again
    with (
        served(spec, records=20, page_size=20, broken={"items": "clamped"}) as api,
        pytest.raises(ResponseError) as caught,
    ):
        sync_from(spec, api.url, db)

    assert caught.value.resource == "items"
    assert "page 2 returned the same 20 records as page 1" in str(caught.value)
    assert "seems to ignore the pagination parameter" in str(caught.value)
    assert tables(db) == set()
