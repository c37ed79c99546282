"""End to end: pages fetched concurrently still land every record exactly once, whatever order
they complete in, whatever fails on the way and however the last page looks; and the caps on
requests in flight hold over real sockets."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.sync_harness import (
    Recorder,
    api_ids,
    config,
    emulator,
    landed_ids,
    mismatches,
    resource,
    run,
)
from restsync import load_config, sync
from restsync.emulator import EmulatorOptions, serve

PAGE_SIZE = 10
SIZES = {"short_last": 95, "exact_multiple": 100, "one_short_page": 7, "one_page": 10, "many": 400}
PAGINATORS: dict[str, dict[str, Any]] = {
    "pages": {"type": "page_number", "base_page": 1},
    "pages_limit": {"type": "page_number", "base_page": 1, "limit_param": "limit", "limit": 10},
    "offset": {"type": "offset", "limit": PAGE_SIZE},
}
SHAPES = {
    f"{style}_{size}": (paginator, count)
    for style, paginator in PAGINATORS.items()
    for size, count in SIZES.items()
}


@pytest.mark.parametrize("include_total", [False, True], ids=["total_absent", "total_present"])
def test_out_of_order_pages_land_once_whatever_the_last_page(
    include_total: bool, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    source = config(*(resource(name, paginator=p) for name, (p, _) in SHAPES.items()))
    api = emulator(
        source,
        records={name: count for name, (_, count) in SHAPES.items()},
        page_size=PAGE_SIZE,
        latency_jitter=0.03,
        include_total=include_total,
    )
    recorder = Recorder(api.app)

    run(source, recorder, db)

    assert mismatches(db, api, list(SHAPES)) == {}
    completed = [int(page) for page in recorder.values("page", "/pages_many")]
    assert completed != sorted(completed), "pages completed in order: nothing was concurrent"
    if include_total:
        # the first page says where paging ends: nothing past it is ever asked for
        for name, (paginator, count) in SHAPES.items():
            last_page = max(1, math.ceil(count / PAGE_SIZE))
            if paginator["type"] == "page_number":
                asked = [int(p) for p in recorder.values("page", f"/{name}")]
                assert max(asked) == last_page, name
            else:
                asked = [int(o) for o in recorder.values("offset", f"/{name}")]
                assert max(asked) == (last_page - 1) * PAGE_SIZE, name


def test_random_faults_and_failing_first_attempts_with_enough_retries(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    names = {
        "pages": {"type": "page_number", "base_page": 1},
        "offset": {"type": "offset", "limit": 20},
        "cursor": {"type": "cursor", "cursor_path": "next", "cursor_param": "cursor"},
        "link": {"type": "header_link"},
    }
    source = config(
        *(resource(name, paginator=p) for name, p in names.items()), retry={"max_retries": 12}
    )
    api = emulator(
        source,
        records=230,
        page_size=20,
        fault_rate=0.3,
        fail_first=1,
        latency_jitter=0.01,
    )

    run(source, api, db)

    assert mismatches(db, api, list(names)) == {}
    assert api.stats.faults > api.stats.requests // 3, api.stats
    assert {429, 500, 502, 503, 504} <= set(api.stats.responses_by_status)


@pytest.mark.parametrize(
    ("limits", "cap"),
    [
        ({"max_in_flight": 3, "page_window": 8}, 3),
        ({"max_in_flight_per_host": 2, "page_window": 8}, 2),
        ({"page_window": 2}, 6),
    ],
    ids=["max_in_flight", "max_in_flight_per_host", "page_window_per_resource"],
)
@pytest.mark.parametrize("include_total", [False, True], ids=["total_absent", "total_present"])
def test_requests_in_flight_never_exceed_the_caps_over_loopback(
    limits: dict[str, Any], cap: int, include_total: bool, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    names = ["a", "b", "c"]
    source = config(
        *(resource(name, paginator={"type": "offset", "limit": 10}) for name in names),
        limits=limits,
    )
    # without a total in the first page, requests past the end are cancelled once the end
    # shows; a cancelled request keeps its slot until the server is done with it
    options = EmulatorOptions(records=150, page_size=10, latency=0.03, include_total=include_total)
    with serve(load_config(source), options) as running:
        result = sync(source, base_url=running.url, duckdb_file=db)
        stats = running.stats

    for name in names:
        assert landed_ids(db, name) == api_ids(running.emulator, name)
    assert result.tables == dict.fromkeys(names, 150)
    # every resource has pages to spare, so the cap is reached, never passed
    assert stats.max_in_flight == cap, stats


def test_requests_cancelled_past_the_end_keep_their_slot_until_answered(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    names = [f"r{i}" for i in range(6)]
    source = config(
        *(resource(name, paginator={"type": "page_number", "base_page": 1}) for name in names),
        limits={"max_in_flight": 4, "page_window": 8},
    )
    # 3 pages, the last one short: no total, so pages past it are asked for, then cancelled
    options = EmulatorOptions(records=25, page_size=10, latency=0.05, include_total=False)
    with serve(load_config(source), options) as running:
        result = sync(source, base_url=running.url, duckdb_file=db)
        stats = running.stats

    assert result.tables == dict.fromkeys(names, 25)
    assert stats.requests > 3 * len(names), "no request went past the end: nothing cancelled"
    assert stats.max_in_flight == 4, stats


def test_no_request_outlives_its_sequence(tmp_path: Path) -> None:
    """Page 2 (empty) ends the sequence while page 3, already requested, is slow: it is
    cancelled but, holding its HTTP slot, finishes only when the API answers. The sequence
    waits for it, so the sync never returns (and stops its event loop) with a request still
    pending."""
    served: list[int] = []
    answered: list[int] = []

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params["page"])
        served.append(page)
        if page == 3:  # past the end, and slow: still pending when page 2 ends the sequence
            await asyncio.sleep(0.5)
        answered.append(page)
        records = [{"id": n} for n in range(1, 11)] if page == 1 else []
        return JSONResponse({"data": records})

    app = Starlette(routes=[Route("/v1/items", items)])
    source = config(resource("items", paginator={"type": "page_number", "base_page": 1}))

    run(source, app, tmp_path / "api.duckdb")

    assert served == [1, 2, 3]
    assert sorted(answered) == [1, 2, 3]
