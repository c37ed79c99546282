"""Building blocks for the end-to-end tests of the engine and the dlt source: configs as plain
dicts in dlt's dialect, a sync against an in-process emulator into a DuckDB file, and reading
back what landed.

Imported as ``engine.sync_harness`` (``tests`` is on ``pythonpath``), so tests in other folders
can use it too.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import duckdb
import httpx

from restsync import SyncResult, load_config, sync
from restsync.emulator import Emulator, EmulatorOptions

BASE_URL = "https://api.example.com/v1"
DATASET = "rest_api"
SECRET = "Zq7-sEcReT-4471-xylophone"
"""Distinctive enough that finding it anywhere is a leak, not a coincidence."""

FAST_RETRY: dict[str, Any] = {"initial_backoff": 0.01, "max_backoff": 1.0, "max_retries": 3}


def resource(
    name: str,
    path: str | None = None,
    *,
    paginator: Mapping[str, Any] | None = None,
    data_selector: Any = "data",
    primary_key: str | None = "id",
    write_disposition: str = "append",
    **extra: Any,
) -> dict[str, Any]:
    """A resource dict; ``data_selector=None`` leaves the key out, other keyword arguments
    go into the resource itself (``include_from_parent``) or, for ``params``, the endpoint."""
    endpoint: dict[str, Any] = {"path": f"/{name}" if path is None else path}
    if data_selector is not None:
        endpoint["data_selector"] = data_selector
    if paginator is not None:
        endpoint["paginator"] = dict(paginator)
    if "params" in extra:
        endpoint["params"] = extra.pop("params")
    result: dict[str, Any] = {
        "name": name,
        "endpoint": endpoint,
        "write_disposition": write_disposition,
        **extra,
    }
    if primary_key is not None:
        result["primary_key"] = primary_key
    return result


def config(
    *resources: dict[str, Any],
    auth: Mapping[str, Any] | None = None,
    retry: Mapping[str, Any] | None = None,
    limits: Mapping[str, Any] | None = None,
    base_url: str = BASE_URL,
) -> dict[str, Any]:
    """A source dict with fast retries (10 ms backoff) unless ``retry`` says otherwise."""
    client: dict[str, Any] = {"base_url": base_url, "retry": {**FAST_RETRY, **(retry or {})}}
    if auth is not None:
        client["auth"] = dict(auth)
    if limits is not None:
        client["limits"] = dict(limits)
    return {"client": client, "resources": list(resources)}


def emulator(source: Mapping[str, Any], **options: Any) -> Emulator:
    """The fake of the API ``source`` describes, with ``EmulatorOptions(**options)``."""
    return Emulator(load_config(source), EmulatorOptions(**options))


def run(
    source: Mapping[str, Any],
    api: Emulator | Any,
    db: Path,
    **sync_options: Any,
) -> SyncResult:
    """``sync`` ``source`` into the DuckDB file ``db``, the API being ``api`` in-process (an
    ``Emulator`` or any ASGI app)."""
    app = api.app if isinstance(api, Emulator) else api
    return sync(source, transport=httpx.ASGITransport(app=app), duckdb_file=db, **sync_options)


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Recorder:
    """ASGI middleware that notes each request's path and query (in order of completion)
    before passing it to ``app``; ``stats`` and ``records`` of an emulator stay reachable."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.completed: list[tuple[str, dict[str, str]]] = []
        self.started: list[float] = []  # time.monotonic() as each request arrived
        self.statuses: dict[str, list[int]] = {}  # "path?query" -> statuses, in order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started.append(time.monotonic())
        url = f"{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"

        async def noting_status(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses.setdefault(url, []).append(message["status"])
            await send(message)

        await self.app(scope, receive, noting_status)
        if scope["type"] == "http":
            params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            self.completed.append((scope["path"], params))

    def values(self, param: str, path_suffix: str = "") -> list[str]:
        """``param`` of every completed request whose path ends with ``path_suffix``."""
        return [
            query[param]
            for path, query in self.completed
            if path.endswith(path_suffix) and param in query
        ]


class BreakPage:
    """ASGI middleware: requests whose path ends with ``path_suffix`` and whose query holds
    ``param=value`` get an HTML maintenance page (200) instead of the API's answer, while
    ``broken`` is true; everything else goes to ``app``."""

    def __init__(self, app: Any, path_suffix: str, param: str, value: str) -> None:
        self.app = app
        self.path_suffix = path_suffix
        self.pair = (param, value)
        self.broken = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.broken and scope["type"] == "http" and scope["path"].endswith(self.path_suffix):
            params = parse_qsl(scope["query_string"].decode("latin-1"))
            if self.pair in params:
                body = b"<html><body>Down for maintenance</body></html>"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"text/html"),
                            (b"content-length", b"%d" % len(body)),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def tables(db: Path, dataset: str = DATASET) -> set[str]:
    """Data tables (not dlt's own) of ``dataset``; empty when the file does not exist yet."""
    if not db.exists():
        return set()
    rows = query(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
        dataset,
    )
    return {row[0] for row in rows if not row[0].startswith("_dlt")}


def landed_ids(db: Path, table: str, dataset: str = DATASET, key: str = "id") -> list[Any]:
    """Every ``key`` in ``table``, sorted, duplicates kept (so a double load shows)."""
    return [row[0] for row in query(db, f'SELECT "{key}" FROM {dataset}."{table}" ORDER BY 1')]


def api_ids(api: Emulator, name: str, key: str = "id") -> list[Any]:
    """What a correct full sync of resource ``name`` must land, sorted."""
    ids = sorted(record[key] for record in api.records(name))
    assert ids, f"the emulator serves no '{name}' records: the test would prove nothing"
    return ids


def mismatches(db: Path, api: Emulator, names: list[str]) -> dict[str, str]:
    """For each resource in ``names`` whose table does not hold exactly the API's records
    once, what is wrong; empty when every one landed exactly. Lets a table-driven test that
    syncs many resources at once report every failing case, not just the first."""
    present = tables(db)
    wrong: dict[str, str] = {}
    for name in names:
        expected = api_ids(api, name)
        landed = landed_ids(db, name) if name in present else []
        if landed != expected:
            missing = sorted(set(expected) - set(landed))
            extra = sorted(set(landed) - set(expected))
            doubled = sorted(i for i, n in Counter(landed).items() if n > 1)
            wrong[name] = (
                f"{len(landed)} rows for {len(expected)} records; missing {missing[:5]}, "
                f"unexpected {extra[:5]}, duplicated {doubled[:5]}"
            )
    return wrong


def snapshot(db: Path, dataset: str = DATASET) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, without dlt's per-load columns, in a stable order."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    for table in sorted(tables(db, dataset)):
        columns = [
            row[0]
            for row in query(
                db,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                dataset,
                table,
            )
            if not row[0].startswith("_dlt")
        ]
        selected = ", ".join(f'"{c}"' for c in columns)
        result[table] = query(db, f'SELECT {selected} FROM {dataset}."{table}" ORDER BY ALL')
    return result
