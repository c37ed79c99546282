"""End to end: responses that do not match the config (not JSON, records moved, pagination that
would never end) fail the sync with a ``ResponseError`` that says where and what, and load
nothing: not the broken resource, not the healthy ones, not on the next run either."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.sync_harness import (
    BreakPage,
    config,
    emulator,
    mismatches,
    query,
    resource,
    run,
    snapshot,
    tables,
)
from restsync import ResponseError
from restsync.emulator import EmulatorOptions

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}


@pytest.mark.parametrize(
    ("mode", "held"),
    [
        ("html", ["the response is not JSON (text/html", 'it starts with "<!DOCTYPE html>']),
        ("not_json", ["the response is not JSON (text/plain", "starts with 'status=ok;records="]),
        (
            "renamed_key",
            ["data_selector 'data' is absent from the response", "which holds an object with keys"],
        ),
    ],
)
def test_broken_response_fails_clearly_loads_nothing_and_the_next_run_loads_once(
    mode: str, held: list[str], tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    source = config(
        resource("healthy", paginator=PAGE_NUMBER_1),
        resource("items", paginator=PAGE_NUMBER_1),
    )
    api = emulator(source, records=95, page_size=20, broken={"items": mode})

    with pytest.raises(ResponseError) as caught:
        run(source, api, db)

    error = caught.value
    text = str(error)
    assert error.resource == "items"
    assert "resource 'items'" in text
    assert error.url == "https://api.example.com/v1/items?page=1"
    assert f"url: {error.url}" in text
    for part in held:
        assert part in text
    if mode == "renamed_key":
        # where the records went instead, without a single value of them
        assert "keys items (list of 20 objects with keys id, name, created_at" in text
    assert tables(db) == set()

    api.options = EmulatorOptions(records=95, page_size=20)
    run(source, api, db)

    assert mismatches(db, api, ["healthy", "items"]) == {}


def test_a_run_failing_on_a_later_page_leaves_the_last_good_load_untouched(
    tmp_path: Path,
) -> None:
    """merge, run 1 loads generation 0; run 2 sees generation 1 but page 3 of one resource is
    broken: nothing of run 2 lands; run 3 merges generation 1 exactly."""
    db = tmp_path / "api.duckdb"
    source = config(
        resource("healthy", paginator=PAGE_NUMBER_1, write_disposition="merge"),
        resource("items", paginator=PAGE_NUMBER_1, write_disposition="merge"),
    )
    api = emulator(source, records=95, page_size=20)
    run(source, api, db)
    assert mismatches(db, api, ["healthy", "items"]) == {}
    before = snapshot(db)
    before_names = query(db, "SELECT id, name FROM rest_api.items")

    api.options = EmulatorOptions(records=95, page_size=20, generation=1)
    broken = BreakPage(api.app, "/items", "page", "3")
    with pytest.raises(ResponseError, match="not JSON") as caught:
        run(source, broken, db)
    assert caught.value.url.endswith("/v1/items?page=3")
    assert snapshot(db) == before

    broken.broken = False
    run(source, broken, db)
    assert mismatches(db, api, ["healthy", "items"]) == {}
    names = dict(query(db, "SELECT id, name FROM rest_api.items"))
    assert names == {record["id"]: record["name"] for record in api.records("items")}
    assert names != dict(before_names)


# --- pagination that would never end ------------------------------------------------------

Answer = Callable[[int, Request], tuple[dict[str, Any], dict[str, str]]]
MAX_REQUESTS = 50


def looping_api(answer: Answer) -> Starlette:
    """An API answering its n-th request (from 0) with ``answer``; after ``MAX_REQUESTS`` it
    answers 400, so a client that misses the loop fails the test instead of hanging it."""
    count = 0

    async def endpoint(request: Request) -> JSONResponse:
        nonlocal count
        n, count = count, count + 1
        if n >= MAX_REQUESTS:
            return JSONResponse({"error": "the client did not notice the loop"}, 400)
        body, headers = answer(n, request)
        return JSONResponse(body, headers=headers)

    return Starlette(routes=[Route("/{path:path}", endpoint)])


def records(n: int) -> list[dict[str, Any]]:
    return [{"id": n * 10 + i, "name": f"record {n}.{i}"} for i in range(5)]


def same_page(n: int, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    return {"data": records(0)}, {}


def same_records_new_cursor(n: int, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    return {"data": records(0), "next_cursor": f"c-{n}"}, {}


def same_cursor(n: int, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    return {"data": records(n), "next_cursor": "c-1"}, {}


def cursor_cycle(n: int, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    return {"data": records(n), "next_cursor": "ab"[n % 2]}, {}


def link_to_itself(n: int, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    return {"data": records(n), "next": str(request.url)}, {}


def header_link_back(n: int, request: Request) -> tuple[dict[str, Any], dict[str, str]]:
    first = str(request.url.replace(query="p=1"))
    return {"data": records(n)}, {"Link": f'<{first}>; rel="next"'}


IGNORED = "seems to ignore the pagination parameter"
POINTS_BACK = "points back at a page already fetched"


@pytest.mark.parametrize(
    ("paginator", "answer", "message"),
    [
        (PAGE_NUMBER_1, same_page, IGNORED),
        ({"type": "page_number"}, same_page, IGNORED),
        (
            {"type": "page_number", "base_page": 0, "limit": 5, "limit_param": "n"},
            same_page,
            IGNORED,
        ),
        ({"type": "offset", "limit": 5}, same_page, IGNORED),
        ({"type": "cursor", "cursor_path": "next_cursor"}, same_records_new_cursor, IGNORED),
        ({"type": "cursor", "cursor_path": "next_cursor"}, same_cursor, POINTS_BACK),
        ({"type": "cursor", "cursor_path": "next_cursor"}, cursor_cycle, POINTS_BACK),
        ({"type": "json_link", "next_url_path": "next"}, link_to_itself, POINTS_BACK),
        ({"type": "header_link"}, header_link_back, POINTS_BACK),
        (None, link_to_itself, POINTS_BACK),
    ],
    ids=[
        "page_number",
        "page_number_detected_base",
        "page_number_with_limit",
        "offset",
        "cursor_same_records",
        "cursor_repeats",
        "cursor_cycles",
        "json_link_to_itself",
        "header_link_back_to_first",
        "auto_detected_link_to_itself",
    ],
)
def test_pagination_that_would_never_end_is_a_response_error(
    paginator: dict[str, Any] | None, answer: Answer, message: str, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    source = config(resource("items", paginator=paginator))

    with pytest.raises(ResponseError) as caught:
        run(source, looping_api(answer), db)

    error = caught.value
    assert error.resource == "items"
    assert message in str(error)
    assert "/v1/items" in error.url
    assert "check endpoint.paginator" in str(error)
    assert tables(db) == set()
