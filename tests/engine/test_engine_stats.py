"""A resource's ``done`` event carries what it cost: requests sent (retries included), retries
and 429s, counted per resource (what ``restsync.dagster`` reports as asset metadata)."""

from __future__ import annotations

from pathlib import Path

from sync_harness import config, emulator, mismatches, resource, run

from restsync import ProgressEvent


def test_done_events_count_requests_retries_and_429s(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    single = {"type": "single_page"}
    source = config(
        resource("items", paginator=single),
        resource("other", paginator=single),
    )
    # every distinct request is answered 429 twice before it succeeds
    api = emulator(source, records=30, fail_first=2, fail_status=429, retry_after=0)
    events: list[ProgressEvent] = []

    run(source, api, db, on_event=events.append)

    assert mismatches(db, api, ["items", "other"]) == {}
    done = {e.resource: e for e in events if e.kind == "done"}
    for name in ("items", "other"):
        assert (done[name].requests, done[name].retries, done[name].throttled) == (3, 2, 2)
        assert (done[name].pages, done[name].records) == (1, 30)
    assert api.stats.requests == 6
