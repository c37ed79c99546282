"""End to end through ``rest_api_source`` and a plain dlt pipeline: a resource that fails
half-way loads nothing partial, nor do the resources that succeeded in the same run, and what
dlt kept from the failed extract never reaches a later load."""

from __future__ import annotations

from pathlib import Path

import dlt
import httpx
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from engine.sync_harness import (
    DATASET,
    BreakPage,
    Recorder,
    api_ids,
    config,
    emulator,
    landed_ids,
    resource,
    snapshot,
    tables,
)
from restsync import ResponseError, rest_api_source

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}


def cause_of(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    current: BaseException | None = error
    while current is not None and not isinstance(current, kind):
        current = current.__cause__ or current.__context__
    return current


@pytest.mark.parametrize("first_run_ok", [False, True], ids=["fails_first", "fails_after_a_load"])
def test_a_resource_failing_half_way_loads_nothing_of_the_run(
    first_run_ok: bool, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(
        resource("healthy", paginator=PAGE_NUMBER_1),
        resource("flaky", paginator=PAGE_NUMBER_1),
        resource("small", paginator={"type": "single_page"}),
    )
    api = emulator(spec, records={"healthy": 300, "flaky": 300, "small": 12}, page_size=10)
    broken = BreakPage(api.app, "/flaky", "page", "12")
    recorder = Recorder(broken)
    pipeline = dlt.pipeline(
        pipeline_name="partial", destination=dlt.destinations.duckdb(str(db)), dataset_name=DATASET
    )

    def source() -> dlt.sources.DltSource:
        return rest_api_source(spec, transport=httpx.ASGITransport(app=recorder))

    loads = 0
    if first_run_ok:
        broken.broken = False
        pipeline.run(source())
        broken.broken = True
        loads += 1
    before = snapshot(db)

    with pytest.raises(PipelineStepFailed) as caught:
        pipeline.run(source())

    error = cause_of(caught.value, ResponseError)
    assert isinstance(error, ResponseError), caught.value
    assert error.resource == "flaky"
    assert error.url.endswith("/v1/flaky?page=12")
    assert snapshot(db) == before
    # the failure came after real progress: pages of every resource had been fetched
    assert {"11", "1"} <= set(recorder.values("page", "/flaky"))
    assert recorder.values("page", "/healthy")

    broken.broken = False
    pipeline.run(source())
    loads += 1

    assert tables(db) == {"healthy", "flaky", "small"}
    for name in ("healthy", "flaky", "small"):
        assert landed_ids(db, name) == sorted(api_ids(api, name) * loads), name
