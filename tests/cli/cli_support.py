"""Shared pieces of the command-line tests: the ``invoke`` fixture's type, the marks of log
floods, a seed-shaped config file that names its secret, the installed console script, and
another process holding a DuckDB file open."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import Result

Invoke = Callable[..., Result]

# The API the ``api`` fixture serves: sales_engagement accepting only this key.
SECRET = "s3cret-api-key-4711"
RECORDS = {"campaigns": 30, "prospects": 230}

# What leaks when logging is left to the libraries: httpx logs every request at INFO, and
# dlt's own handler formats records as "time|[LEVEL]|pid|thread|dlt|file|function:line|msg".
# "nanobind: leaked": DuckDB's bindings at exit, when their objects outlived the module
CHATTY_LOG_MARKS = ("HTTP Request:", "|[WARNING]|", "|[INFO]|", "Traceback", "nanobind: leaked")

# Seed 000 as a config file: the secret is a {secret: NAME} reference, resolved by dlt from
# the environment (API_KEY); the selector is the seed's literal [] (auto-detected).
SALES_ENGAGEMENT_YAML = """\
client:
  base_url: https://api.example.com/api/v1/
  auth: {type: api_key, name: X-API-KEY, api_key: {secret: api_key}, location: header}
resource_defaults: {primary_key: id, write_disposition: merge}
resources:
  - name: campaigns
    endpoint:
      path: /campaigns
      data_selector: [data, campaigns]
      paginator: {type: single_page}
  - name: prospects
    endpoint:
      path: /prospects
      data_selector: []
      paginator: {type: page_number, page_param: page, start_from_page: 1}
"""


def write_sales_config(folder: Path) -> Path:
    path = folder / "sales.yaml"
    path.write_text(SALES_ENGAGEMENT_YAML, encoding="utf-8")
    return path


def assert_quiet(output: str) -> None:
    """No library log flood and no traceback in ``output``."""
    leaked = [mark for mark in CHATTY_LOG_MARKS if mark in output]
    assert not leaked, f"{leaked} in output:\n{output}"


def console_script() -> str:
    """The ``restsync`` script installed next to the interpreter running the tests."""
    script = Path(sys.executable).with_name("restsync")
    found = str(script) if script.is_file() else shutil.which("restsync")
    if found is None:
        pytest.fail("the restsync console script is not installed: pip install -e .")
    return found


class Locker:
    """Another process holding a DuckDB file open (and so its lock) until ``release``."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.process: subprocess.Popen[str] | None = None

    def hold(self) -> None:
        code = (
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "sys.stdin.read()"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(self.db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process is not None:
            self.process.communicate("", timeout=60)
            self.process = None


@contextmanager
def locker(db: Path) -> Iterator[Locker]:
    held = Locker(db)
    try:
        yield held
    finally:
        held.release()
