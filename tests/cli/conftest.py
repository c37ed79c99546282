"""Fixtures for the command-line tests: a runner that invokes the real typer app in-process,
a served API to sync from, and the logging state the CLI changes put back after each test."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from cli_support import RECORDS, SECRET, Invoke
from typer.testing import CliRunner, Result

from restsync.cli import app
from restsync.config import load_config
from restsync.emulator import EmulatorOptions, RunningEmulator, serve


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI takes over the dlt and restsync loggers; tests elsewhere must find them as
    they were."""
    names = ("dlt", "restsync", "httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (list(logger.handlers), logger.propagate, logger.level)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)


@pytest.fixture
def invoke() -> Invoke:
    """``invoke("check", "crm")``: run ``restsync`` with these arguments; exceptions that
    escape the CLI are raised in the test, not turned into exit code 1."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), prog_name="restsync", catch_exceptions=False)

    return run


@pytest.fixture
def api() -> Iterator[RunningEmulator]:
    """The sales-engagement API, served over loopback, accepting only ``SECRET``."""
    config = load_config("sales_engagement", secrets={"api_key": SECRET})
    with serve(config, EmulatorOptions(records=RECORDS, page_size=50)) as running:
        yield running
