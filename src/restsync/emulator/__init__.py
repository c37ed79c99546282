"""Emulator: a fake of the REST API a ``SourceConfig`` describes, for tests, demos and benchmarks.

It serves every resource's path with generated, deterministic records in the envelope the data
selector expects, paginates server side the way the configured paginator reads it, checks the
configured credentials, and misbehaves on request (latency, faults, rate limits, broken bodies).

It is an independent fake: it reads ``restsync.config`` models but none of the engine's code
(paginators, selectors, retry), so a client bug is caught, not mirrored.

    emulator = Emulator(config, EmulatorOptions(records=1_000))
    transport = httpx.ASGITransport(app=emulator.app)        # in-process
    with serve(config) as running:                            # or over loopback HTTP
        sync(config with base_url=running.url)
    assert synced_rows == emulator.records("campaigns")
"""

from __future__ import annotations

from ._app import Emulator
from ._options import (
    BROKEN_MODES,
    RECORD_SHAPES,
    BrokenMode,
    EmulatorOptions,
    EmulatorStats,
    PageBeforeFirst,
    RecordShape,
    options_for,
)
from ._pagination import LIMIT_PARAM, POSITION_PARAM
from ._ratelimit import RATE_HEADERS, RATE_WINDOWS, RateHeaders, RateWindow
from ._serve import RunningEmulator, serve, serve_app

__all__ = [
    "BROKEN_MODES",
    "LIMIT_PARAM",
    "POSITION_PARAM",
    "RATE_HEADERS",
    "RATE_WINDOWS",
    "RECORD_SHAPES",
    "BrokenMode",
    "Emulator",
    "EmulatorOptions",
    "EmulatorStats",
    "PageBeforeFirst",
    "RateHeaders",
    "RateWindow",
    "RecordShape",
    "RunningEmulator",
    "options_for",
    "serve",
    "serve_app",
]
