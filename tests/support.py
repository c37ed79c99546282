"""Helpers for the end-to-end tests: the seed documents from ../shared (skipped, with the
reason shown, where that folder is absent), running their code blocks, reading DuckDB, serving
a test's own API over loopback."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from restsync.emulator import serve_app

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"


def seed_code(prefix: str) -> str:
    """The python code block of the seed document whose file name starts with ``prefix``."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS} (../shared exists only in CI)")
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    match = re.search(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    assert match, f"no python code block in {path}"
    return match.group(1)


def run_seed_block(code: str, host: str) -> Any:
    """Execute a seed's code block with only the import line and the host changed; return the
    ``source`` it builds."""
    original = "from dlt.sources.rest_api import rest_api_source"
    assert original in code
    code = code.replace(original, "from restsync import rest_api_source")
    code = code.replace("https://api.example.com", host)
    namespace: dict[str, Any] = {}
    exec(compile(code, "<seed>", "exec"), namespace)
    return namespace["source"]


@contextmanager
def serve_url(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` on 127.0.0.1 (``restsync.emulator.serve_app``, a real uvicorn in
    a thread) until the block ends; yields its base URL, ``http://127.0.0.1:PORT``."""
    with serve_app(app) as port:
        yield f"http://127.0.0.1:{port}"


T = TypeVar("T")

#: seconds a run that should end on its own may take before a test calls it hung: far more
#: than any such run needs on a loaded machine, so reaching it means waiting, not slowness
HANG_SECONDS = 120.0


def bounded(call: Callable[[], T], seconds: float = HANG_SECONDS) -> T:
    """``call()``'s result or exception, failing the test if it has not ended after
    ``seconds``: a run that waits forever fails instead of blocking the suite (its thread is
    a daemon, left behind)."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(("value", call()))
        except BaseException as exc:  # handed to the test's thread as it is
            outcome.append(("error", exc))

    thread = threading.Thread(target=target, name="bounded-run", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        pytest.fail(f"still running after {seconds:g} s: the run waits instead of ending")
    kind, value = outcome[0]
    if kind == "error":
        raise value
    return value  # type: ignore[no-any-return]


def query(db_file: Path | str, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db_file), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def host_of(url: str) -> str:
    match = re.match(r"(https?://[^/]+)", url)
    assert match
    return match.group(1)


def items_config(name: str, **paginator: Any) -> dict[str, Any]:
    """A one-resource config: ``items`` merged on ``id``, records under ``items``, pages
    numbered from 1 (``paginator`` adds settings such as ``maximum_page``)."""
    return {
        "name": name,
        "client": {"base_url": "http://api.test/"},
        "resources": [
            {
                "name": "items",
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {
                    "path": "items",
                    "data_selector": "items",
                    "paginator": {"type": "page_number", "base_page": 1, **paginator},
                },
            }
        ],
    }


def pages_app(records: list[dict[str, Any]]) -> Starlette:
    """Serves ``records`` at ``/items``, 100 per page, pages numbered from 1 (the list is read
    on every request: changing it changes what the API answers)."""

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        return JSONResponse({"items": records[(page - 1) * 100 : page * 100]})

    return Starlette(routes=[Route("/items", items)])
