"""End to end: incremental loading in every form dlt's rest_api has, against the emulator served
over loopback HTTP, side by side with dlt's own ``rest_api_source``.

Each form runs twice: the first run loads everything from the initial value; then the API
changes (edited records move past the cursor, new records appear) and the second run must ask
only for what changed (the query the server saw carries the cursor dlt stored) and leave the
destination exact. dlt loads the same API through the same config into another DuckDB file:
the tables, rows and stored state must be the same.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import psycopg2
import pytest
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.sync_harness import BreakPage, Recorder, query, tables
from restsync import ConfigError, LoadError, ResponseError, load_config, rest_api_source, sync
from restsync.emulator import Emulator, EmulatorOptions, serve_app

DATASET = "incremental"
INITIAL = "2023-01-01T00:00:00Z"
RECORDS = 60
#: every edit moves a record's updated_at by a month per generation: past the first cursor
LATER = EmulatorOptions(records=RECORDS, page_size=25, generation=31)
FIRST = EmulatorOptions(records=RECORDS, page_size=25)


def epoch(value: str) -> int:
    """A ``convert``: ISO text to Unix seconds (the emulator reads numbers so)."""
    return int(datetime.fromisoformat(value).timestamp())


def _endpoint(**extra: Any) -> dict[str, Any]:
    return {
        "path": "items",
        "data_selector": "data",
        "paginator": {"type": "page_number", "base_page": 1, "total_path": None},
        **extra,
    }


#: form -> (endpoint, how the start value appears in the query)
FORMS: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[str], str]]] = {
    "endpoint-start-param": (
        lambda: _endpoint(
            incremental={
                "cursor_path": "updated_at",
                "start_param": "since",
                "initial_value": INITIAL,
            }
        ),
        str,
    ),
    "param-type-incremental": (
        lambda: _endpoint(
            params={
                "since": {
                    "type": "incremental",
                    "cursor_path": "updated_at",
                    "initial_value": INITIAL,
                }
            }
        ),
        str,
    ),
    "placeholder-start-value": (
        lambda: _endpoint(
            params={"since": "{incremental.start_value}"},
            incremental={"cursor_path": "updated_at", "initial_value": INITIAL},
        ),
        str,
    ),
    "placeholder-last-value": (
        lambda: _endpoint(
            params={"since": "{incremental.last_value}"},
            incremental={"cursor_path": "updated_at", "initial_value": INITIAL},
        ),
        str,
    ),
    "live-object-param": (
        lambda: _endpoint(
            params={"since": dlt.sources.incremental("updated_at", initial_value=INITIAL)}
        ),
        str,
    ),
    "lag": (
        lambda: _endpoint(
            incremental={
                "cursor_path": "updated_at",
                "start_param": "since",
                "initial_value": INITIAL,
                "lag": 86_400,
            }
        ),
        lambda value: value if value == INITIAL else "",  # a day earlier: as dlt computes it
    ),
    "convert": (
        lambda: _endpoint(
            incremental={
                "cursor_path": "updated_at",
                "start_param": "since",
                "initial_value": INITIAL,
                "convert": epoch,
            }
        ),
        lambda value: str(epoch(value)),
    ),
}


def source_config(endpoint: dict[str, Any], disposition: str, base_url: str) -> dict[str, Any]:
    return {
        "client": {"base_url": base_url},
        "resources": [
            {
                "name": "items",
                "primary_key": "id",
                "write_disposition": disposition,
                "endpoint": endpoint,
            }
        ],
    }


@contextmanager
def served(api: Emulator) -> Iterator[tuple[str, Recorder]]:
    """``api`` over loopback HTTP, every request noted; yields the base URL and the notes."""
    recorder = Recorder(api.app)
    with serve_app(recorder) as port:
        yield f"http://127.0.0.1:{port}/", recorder


def emulator_for(endpoint: dict[str, Any]) -> Emulator:
    return Emulator(load_config(source_config(endpoint, "merge", "http://api.test/")), FIRST)


def last_cursor(records: list[dict[str, Any]]) -> str:
    return max(r["updated_at"] for r in records if r["updated_at"] >= INITIAL)


def expected_rows(
    first: list[dict[str, Any]],
    later: list[dict[str, Any]],
    disposition: str,
    since: str | None = None,
) -> list[tuple[int, str]]:
    """(id, name) of every row the destination must hold after both runs: the first run's
    records, then those the API holds at or after the stored cursor (or ``since``, for a
    lag), less the ones dlt already loaded at the boundary (same key, same cursor value)."""
    cursor = since or last_cursor(first)
    at_boundary = {r["id"] for r in first if r["updated_at"] == cursor}
    changed = [
        r
        for r in later
        if r["updated_at"] >= cursor and not (r["updated_at"] == cursor and r["id"] in at_boundary)
    ]
    if disposition == "merge":
        rows = {r["id"]: r["name"] for r in first}
        rows.update({r["id"]: r["name"] for r in changed})
        return sorted(rows.items())
    return sorted([(r["id"], r["name"]) for r in first + changed])


def landed(db: Path) -> list[tuple[int, str]]:
    return [
        (row[0], row[1]) for row in query(db, f"SELECT id, name FROM {DATASET}.items ORDER BY 1, 2")
    ]


def content(db: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every data table's columns (by name: the Arrow path orders flattened columns unlike
    dlt's normaliser) and rows, without dlt's per-load columns."""
    result = {}
    for table in sorted(tables(db, DATASET)):
        names = query(
            db,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            DATASET,
            table,
        )
        columns = sorted(row[0] for row in names if not row[0].startswith("_dlt"))
        selected = ", ".join(f'"{c}"' for c in columns)
        rows = query(db, f'SELECT {selected} FROM {DATASET}."{table}" ORDER BY ALL')
        result[table] = (columns, rows)
    return result


def run_dlt(
    make: Callable[[str], Any], base_url: str, db: Path, name: str, pipelines: Path
) -> dict[str, Any]:
    """Run a source made by ``make(base_url)`` through a dlt pipeline into ``db``; returns the
    resource's stored incremental state."""
    pipeline = dlt.pipeline(
        name,
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name=DATASET,
        pipelines_dir=str(pipelines),
    )
    pipeline.run(make(base_url))
    state: dict[str, Any] = pipeline.state["sources"]["rest_api"]["resources"]["items"]
    return state["incremental"]


@pytest.mark.parametrize("form", list(FORMS), ids=list(FORMS))
def test_each_form_asks_only_for_what_changed_and_matches_dlt(form: str, tmp_path: Path) -> None:
    make_endpoint, sent = FORMS[form]
    api = emulator_for(make_endpoint())
    first = api.records("items")
    ours, theirs = tmp_path / "restsync.duckdb", tmp_path / "dlt.duckdb"

    def restsync_source(base_url: str) -> Any:
        return rest_api_source(source_config(make_endpoint(), "merge", base_url))

    def dlt_source(base_url: str) -> Any:
        return dlt_rest_api_source(source_config(make_endpoint(), "merge", base_url))

    with served(api) as (base_url, recorder):
        states, asked = [], []
        for make, db, name in ((restsync_source, ours, "ours"), (dlt_source, theirs, "theirs")):
            api.options = FIRST
            recorder.completed.clear()
            run_dlt(make, base_url, db, name, tmp_path)
            assert set(recorder.values("since")) == {sent(INITIAL)}
            assert landed(db) == sorted((r["id"], r["name"]) for r in first)

            api.options = LATER
            recorder.completed.clear()
            states.append(run_dlt(make, base_url, db, name, tmp_path))
            asked.append(set(recorder.values("since")))
        later = api.records("items")

    # the second run asks only from the cursor dlt stored in the first (less the lag)
    assert asked[0] == asked[1]
    since = None
    if form == "lag":
        (since,) = asked[0]
        assert since < last_cursor(first)
    else:
        assert asked[0] == {sent(last_cursor(first))}

    assert landed(ours) == expected_rows(first, later, "merge", since)
    assert content(ours) == content(theirs)
    assert states[0] == states[1]
    assert states[0]["updated_at"]["last_value"] == last_cursor(later)


@pytest.mark.parametrize("form", ["endpoint-start-param", "param-type-incremental"])
def test_append_loads_no_duplicate_at_the_boundary(form: str, tmp_path: Path) -> None:
    make_endpoint, _ = FORMS[form]
    api = emulator_for(make_endpoint())
    first = api.records("items")
    db = tmp_path / "api.duckdb"
    with served(api) as (base_url, recorder):
        config = source_config(make_endpoint(), "append", base_url)
        sync(config, duckdb_file=db, dataset=DATASET)
        api.options = LATER
        recorder.completed.clear()
        sync(config, duckdb_file=db, dataset=DATASET)
        later = api.records("items")
    cursor = last_cursor(first)
    assert set(recorder.values("since")) == {cursor}
    # the API sends the boundary record again (since is inclusive); dlt drops it
    assert any(r["updated_at"] == cursor for r in later)
    rows = landed(db)
    assert rows == expected_rows(first, later, "append")
    assert len(rows) > RECORDS  # the edited records came as new rows


def test_end_value_loads_a_closed_window_and_keeps_no_state(tmp_path: Path) -> None:
    """initial_value..end_value is a backfill: both bounds are sent, dlt keeps only rows in
    the range, and the next run asks for the same range again (no state is stored)."""
    end = "2023-01-10T00:00:00Z"
    endpoint = _endpoint(
        incremental={
            "cursor_path": "updated_at",
            "start_param": "since",
            "end_param": "until",
            "initial_value": INITIAL,
            "end_value": end,
        }
    )
    api = emulator_for(endpoint)
    db = tmp_path / "api.duckdb"
    with served(api) as (base_url, recorder):
        config = source_config(endpoint, "merge", base_url)
        for _ in range(2):
            recorder.completed.clear()
            sync(config, duckdb_file=db, dataset=DATASET)
            assert set(recorder.values("since")) == {INITIAL}
            assert set(recorder.values("until")) == {end}
    expected = sorted((r["id"], r["name"]) for r in api.records("items") if r["updated_at"] < end)
    assert 0 < len(expected) < RECORDS
    assert landed(db) == expected


@pytest.mark.parametrize(
    ("range_start", "range_end"),
    [("closed", "open"), ("open", "closed")],
    ids=["default", "flipped"],
)
def test_range_bounds_decide_which_boundary_rows_dlt_keeps(
    range_start: str, range_end: str, tmp_path: Path
) -> None:
    """The API sends everything (no start_param): dlt alone filters, keeping the rows at
    initial_value only for a closed start and those at end_value only for a closed end."""
    api = emulator_for(_endpoint())
    values = sorted({r["updated_at"] for r in api.records("items")})
    low, high = values[5], values[20]
    endpoint = _endpoint(
        incremental={
            "cursor_path": "updated_at",
            "initial_value": low,
            "end_value": high,
            "range_start": range_start,
            "range_end": range_end,
        }
    )
    db = tmp_path / "api.duckdb"
    with served(api) as (base_url, _):
        sync(source_config(endpoint, "merge", base_url), duckdb_file=db, dataset=DATASET)
    stamps = [row[0] for row in query(db, f"SELECT updated_at FROM {DATASET}.items")]
    got = sorted(stamp.strftime("%Y-%m-%dT%H:%M:%SZ") for stamp in stamps)
    lower_ok = (lambda v: v >= low) if range_start == "closed" else (lambda v: v > low)
    upper_ok = (lambda v: v < high) if range_end == "open" else (lambda v: v <= high)
    want = sorted(
        r["updated_at"]
        for r in api.records("items")
        if lower_ok(r["updated_at"]) and upper_ok(r["updated_at"])
    )
    assert got == want
    assert (low in got) == (range_start == "closed")
    assert (high in got) == (range_end == "closed")


def test_a_failed_extract_does_not_advance_the_cursor(tmp_path: Path) -> None:
    endpoint = FORMS["endpoint-start-param"][0]()
    api = emulator_for(endpoint)
    first = api.records("items")
    broken = BreakPage(api.app, "/items", "page", "2")
    broken.broken = False
    db = tmp_path / "api.duckdb"
    recorder = Recorder(broken)
    with serve_app(recorder) as port:
        config = source_config(endpoint, "merge", f"http://127.0.0.1:{port}/")
        sync(config, duckdb_file=db, dataset=DATASET)
        api.options = LATER
        broken.broken = True
        with pytest.raises(ResponseError):
            sync(config, duckdb_file=db, dataset=DATASET)
        broken.broken = False
        recorder.completed.clear()
        sync(config, duckdb_file=db, dataset=DATASET)
        later = api.records("items")
    assert set(recorder.values("since")) == {last_cursor(first)}
    assert landed(db) == expected_rows(first, later, "merge")


def _lock(db: Path) -> subprocess.Popen[str]:
    """Another process holding DuckDB's write lock on ``db``: loads into it fail."""
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        "print('ok', flush=True); sys.stdin.read()"
    )
    locker = subprocess.Popen(
        [sys.executable, "-c", code, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None
    assert locker.stdout.readline().strip() == "ok"
    return locker


def test_a_failed_load_commits_no_state_and_the_next_run_completes_it(tmp_path: Path) -> None:
    """The load fails after the pages were extracted: the destination keeps the old rows and
    the old state; the next run loads the pending package (its rows and the new state, as
    dlt does) and the run after that asks from the new cursor."""
    endpoint = FORMS["endpoint-start-param"][0]()
    api = emulator_for(endpoint)
    first = api.records("items")
    db = tmp_path / "api.duckdb"
    lockers: list[subprocess.Popen[str]] = []

    def lock_once_extracted(event: Any) -> None:
        if event.kind == "done" and not lockers:
            lockers.append(_lock(db))

    def stored_states() -> int:
        return int(query(db, f"SELECT COUNT(*) FROM {DATASET}._dlt_pipeline_state")[0][0])

    with served(api) as (base_url, recorder):
        config = source_config(endpoint, "merge", base_url)
        sync(config, duckdb_file=db, dataset=DATASET)
        assert stored_states() == 1
        api.options = LATER
        later = api.records("items")
        try:
            with pytest.raises(LoadError):
                sync(config, duckdb_file=db, dataset=DATASET, on_event=lock_once_extracted)
        finally:
            for locker in lockers:
                locker.communicate("")
        assert lockers
        assert landed(db) == sorted((r["id"], r["name"]) for r in first)
        assert stored_states() == 1

        sync(config, duckdb_file=db, dataset=DATASET)  # loads what the failed run extracted
        assert landed(db) == expected_rows(first, later, "merge")
        assert stored_states() == 2

        recorder.completed.clear()
        sync(config, duckdb_file=db, dataset=DATASET)
    assert set(recorder.values("since")) == {last_cursor(later)}
    assert landed(db) == expected_rows(first, later, "merge")


def test_row_order_stops_one_resource_and_the_others_finish(tmp_path: Path) -> None:
    """With row_order, dlt closes a resource once its rows pass end_value; another resource
    of the same source still loads completely."""
    end = "2023-01-01T02:00:00Z"  # created_at grows by 15 s a record: about 480 of 1,200
    ordered = _endpoint(
        incremental={
            "cursor_path": "created_at",
            "initial_value": INITIAL,
            "end_value": end,
            "row_order": "asc",
        }
    )
    config: dict[str, Any] = {
        "client": {"base_url": "http://api.test/"},
        "resources": [
            {
                "name": "others",
                "primary_key": "id",
                "max_table_nesting": 1,  # page by page to dlt, as the incremental one
                "endpoint": {**_endpoint(), "path": "others"},
            },
            {"name": "items", "primary_key": "id", "endpoint": ordered},
        ],
    }
    api = Emulator(load_config(config), EmulatorOptions(records=RECORDS * 20, page_size=25))
    db = tmp_path / "api.duckdb"
    with served(api) as (base_url, _):
        config["client"]["base_url"] = base_url
        result = sync(config, duckdb_file=db, dataset=DATASET)
    created = [r["created_at"] for r in api.records("items") if r["created_at"] < end]
    assert result.tables["items"] == len(created) < RECORDS * 20
    assert result.tables["others"] == RECORDS * 20


def test_a_live_incremental_at_endpoint_level_is_refused_as_dlt_refuses_it() -> None:
    endpoint = _endpoint(incremental=dlt.sources.incremental("updated_at", initial_value=INITIAL))
    config = source_config(endpoint, "merge", "http://127.0.0.1:1/")
    with pytest.raises(Exception, match="incremental"):
        dlt_rest_api_source(config)
    with pytest.raises(ConfigError) as caught:
        rest_api_source(config)
    assert caught.value.location == "resources[0].endpoint.incremental"


def test_the_callers_config_is_not_modified() -> None:
    endpoint = FORMS["param-type-incremental"][0]()
    config = source_config(endpoint, "merge", "http://127.0.0.1:1/")
    before = repr(config)
    rest_api_source(config)
    assert repr(config) == before


def test_counts_of_rows_land_once(tmp_path: Path) -> None:
    """Two runs against an unchanged API: the second adds nothing (dlt drops the boundary
    rows it already loaded), for append too."""
    endpoint = FORMS["endpoint-start-param"][0]()
    api = emulator_for(endpoint)
    db = tmp_path / "api.duckdb"
    with served(api) as (base_url, _):
        config = source_config(endpoint, "append", base_url)
        sync(config, duckdb_file=db, dataset=DATASET)
        sync(config, duckdb_file=db, dataset=DATASET)
    ids = [row[0] for row in landed(db)]
    assert not [i for i, n in Counter(ids).items() if n > 1]
    assert len(ids) == RECORDS


def test_children_of_an_incremental_parent_are_fetched_for_the_rows_dlt_keeps(
    tmp_path: Path,
) -> None:
    """dlt feeds a child only the parent rows its incremental lets through: on the second run
    the boundary item (sent again, already loaded) gets no new request for its notes, so an
    append child table holds no duplicate; restsync asks for the same children as dlt."""

    def config(base_url: str) -> dict[str, Any]:
        return {
            "client": {"base_url": base_url},
            "resources": [
                {
                    "name": "items",
                    "primary_key": "id",
                    "write_disposition": "merge",
                    "endpoint": FORMS["endpoint-start-param"][0](),
                },
                {
                    "name": "notes",
                    "primary_key": "id",
                    "write_disposition": "append",
                    "endpoint": {
                        "path": "items/{item_id}/notes",
                        "params": {
                            "item_id": {"type": "resolve", "resource": "items", "field": "id"}
                        },
                        "paginator": {"type": "single_page"},
                    },
                },
            ],
        }

    api = Emulator(load_config(config("http://api.test/")), FIRST)
    first = api.records("items")
    ours, theirs = tmp_path / "restsync.duckdb", tmp_path / "dlt.duckdb"
    asked: list[list[str]] = []
    with served(api) as (base_url, recorder):
        for make, db, name in (
            (lambda url: rest_api_source(config(url)), ours, "ours"),
            (lambda url: dlt_rest_api_source(config(url)), theirs, "theirs"),
        ):
            api.options = FIRST
            run_dlt(make, base_url, db, name, tmp_path)
            api.options = LATER
            recorder.completed.clear()
            run_dlt(make, base_url, db, name, tmp_path)
            asked.append(sorted(path for path, _ in recorder.completed if path.endswith("/notes")))
    assert asked[0] == asked[1]
    assert 0 < len(asked[0]) < RECORDS
    # the item at the cursor came again but was loaded already: no request for its notes
    cursor = last_cursor(first)
    boundary = [r["id"] for r in first if r["updated_at"] == cursor]
    assert boundary
    assert not [i for i in boundary if f"/items/{i}/notes" in asked[0]]
    assert content(ours) == content(theirs)


@pytest.mark.postgres
def test_merges_changes_into_postgres(postgres_url: str, postgres_dataset: str) -> None:
    endpoint = FORMS["param-type-incremental"][0]()
    api = emulator_for(endpoint)
    first = api.records("items")
    with served(api) as (base_url, recorder):
        config = source_config(endpoint, "merge", base_url)
        sync(config, destination="postgres", dataset=postgres_dataset)
        api.options = LATER
        recorder.completed.clear()
        sync(config, destination="postgres", dataset=postgres_dataset)
        later = api.records("items")
    assert set(recorder.values("since")) == {last_cursor(first)}
    with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute(f'SELECT id, name FROM "{postgres_dataset}".items ORDER BY 1, 2')
        rows = cursor.fetchall()
    assert rows == expected_rows(first, later, "merge")


def _body_app(seen: list[Any]) -> Starlette:
    """Answers POST /search with three records, noting each request's path, headers and
    JSON body."""

    async def search(request: Request) -> JSONResponse:
        seen.append((request.url.path, dict(request.headers), await request.json()))
        return JSONResponse({"data": [{"id": i, "seq": i} for i in (4, 5, 6)]})

    return Starlette(routes=[Route("/{rest:path}", search, methods=["POST"])])


def test_placeholders_fill_path_headers_and_json_keeping_a_lone_value_s_type(
    tmp_path: Path,
) -> None:
    seen: list[Any] = []
    endpoint = {
        "path": "search/{incremental.start_value}",
        "method": "POST",
        "data_selector": "data",
        "paginator": "single_page",
        "headers": {"X-From": "{incremental.start_value}"},
        "json": {"after": "{incremental.start_value}", "label": "after {incremental.start_value}"},
        "incremental": {"cursor_path": "seq", "initial_value": 5},
    }
    with serve_app(_body_app(seen)) as port:
        config = source_config(endpoint, "merge", f"http://127.0.0.1:{port}/")
        sync(config, duckdb_file=tmp_path / "api.duckdb", dataset=DATASET)
    ((path, headers, body),) = seen
    assert path == "/search/5"
    assert headers["x-from"] == "5"
    assert body == {"after": 5, "label": "after 5"}
    # dlt kept the rows at or after the initial value
    rows = query(tmp_path / "api.duckdb", f"SELECT id FROM {DATASET}.items ORDER BY 1")
    assert rows == [(5,), (6,)]


def test_an_unknown_incremental_placeholder_is_a_config_error() -> None:
    endpoint = _endpoint(
        params={"since": "{incremental.begin}"},
        incremental={"cursor_path": "updated_at", "initial_value": INITIAL},
    )
    with pytest.raises(ConfigError) as caught:
        rest_api_source(source_config(endpoint, "merge", "http://127.0.0.1:1/"))
    assert caught.value.location == "resources[0].endpoint.params.since"
    assert "{incremental.begin}" in str(caught.value)


def test_incremental_placeholders_need_endpoint_incremental_as_in_dlt() -> None:
    """dlt offers the ``incremental`` context only with ``endpoint.incremental``, not with a
    ``type: incremental`` parameter."""
    endpoint = _endpoint(
        params={
            "since": {"type": "incremental", "cursor_path": "updated_at", "initial_value": INITIAL},
            "label": "from {incremental.start_value}",
        }
    )
    config = source_config(endpoint, "merge", "http://127.0.0.1:1/")
    with pytest.raises(Exception, match=r"incremental\.start_value"):
        dlt_rest_api_source(config)
    with pytest.raises(ConfigError) as caught:
        rest_api_source(config)
    assert caught.value.location == "resources[0].endpoint.params.label"
