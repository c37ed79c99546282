"""Rate limits the API announces in its headers, with no rate in the config: over loopback,
against the emulator's fixed and sliding windows in each header dialect, every record lands,
(almost) nothing is answered 429, and the host is paced at 95% of the announced budget over
the window it read from the headers (to within a second)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from engine.sync_harness import config, mismatches, resource
from restsync import load_config, sync
from restsync.emulator import EmulatorOptions, serve

NAMES = [f"r{i}" for i in range(4)]


@pytest.mark.parametrize("headers", ["epoch", "seconds", "ietf"])
@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_a_budget_announced_in_headers_paces_the_sync(
    window: str, headers: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "api.duckdb"
    page_number = {"type": "page_number", "base_page": 1}
    source = config(*[resource(name, paginator=page_number) for name in NAMES])
    # 80 requests per 2 s window: whole-second resets, four windows or so of requests
    options = EmulatorOptions(
        records=250,
        page_size=10,
        rate_limit=40,
        rate_window=window,  # type: ignore[arg-type]
        rate_period=2,
        rate_headers=headers,  # type: ignore[arg-type]
    )
    caplog.set_level(logging.INFO, logger="restsync")
    with serve(load_config(source), options) as running:
        sync(source, base_url=running.url, duckdb_file=db)
        api = running.emulator
        assert mismatches(db, api, NAMES) == {}
    stats = api.stats
    assert stats.requests >= 4 * 25
    assert stats.throttled <= stats.requests // 100, stats
    paced = [r.getMessage() for r in caplog.records if "its host is now paced" in r.getMessage()]
    assert paced
    # the window is read from resets given in whole seconds, so to within a second: a fixed
    # window entered late can read 1 s (the answers' remaining budget still holds the pace
    # to the API's count: no 429s above), one read from a late answer 3 s
    windows = [re.search(r"paced at 76 per (\d+) s", note) for note in paced]
    assert all(w is not None and int(w.group(1)) in (1, 2, 3) for w in windows), paced
