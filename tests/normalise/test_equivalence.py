"""The fast path lands exactly what dlt's dict path (``RESTSYNC_ARROW=0``) lands, on generated
pages: nested objects and lists (of scalars, of objects, of lists), values of mixed types in
one field, nulls, fields that appear late, unicode keys and keys that collide once dlt has
normalised them. Two syncs each (merge on ``id``), the second with changed values and lists
that shrank or vanished: the same tables, columns, types and rows, nested rows included. On
DuckDB (parquet) and on PostgreSQL, where the fast path writes the CSV files dlt loads."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from restsync import sync
from restsync._exceptions import RestSyncError
from support import items_config

# keys that collide after dlt's snake_case naming (Name/name, a.b/a b/a_b), unicode keys, a
# key that flattens onto a nested object's column (owner__id vs owner.id), and ``payload``,
# hinted json (kept whole, whatever it holds)
KEYS = ["name", "Name", "a.b", "a b", "a_b", "größe", "名前", "owner__id", "score", "at", "payload"]
TIMESTAMPS = ["2024-05-01T10:00:00Z", "2024-05-02T11:30:00.250+02:00", "2024-06-01 08:00:00"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=6),
    st.sampled_from(TIMESTAMPS),
)
objects = st.dictionaries(st.sampled_from(["id", "label", "Label", "n"]), scalars, max_size=3)
values = st.one_of(
    scalars,
    objects,
    st.lists(scalars, max_size=3),
    st.lists(objects, max_size=3),
    st.lists(st.lists(st.integers(0, 9), max_size=2), max_size=2),
    st.fixed_dictionaries({"id": scalars}, optional={"tags": st.lists(st.text(max_size=3))}),
    # a list within an object, and objects with lists of their own within a list: nested
    # tables two levels down, named through the object
    st.fixed_dictionaries({}, optional={"inner": st.lists(scalars, max_size=3), "n": scalars}),
    st.lists(
        st.fixed_dictionaries({"sku": scalars}, optional={"serials": st.lists(scalars)}),
        max_size=3,
    ),
)
records = st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=5), max_size=6)
pages = st.lists(records, min_size=1, max_size=3)
# pages without lists: those that take the fast path whole (objects within objects, mixed
# types, nulls, colliding keys), so each draw is about the Arrow side
flat_values = st.one_of(scalars, objects, st.fixed_dictionaries({"inner": objects}))
flat_records = st.lists(
    st.dictionaries(st.sampled_from(KEYS), flat_values, max_size=5), min_size=1, max_size=6
)
flat_pages = st.lists(flat_records, min_size=1, max_size=3)


def _with_ids(generated: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Unique ids over all pages, so merging keeps every record."""
    counter = iter(range(1, 1_000_000))
    return [[{"id": next(counter), **record} for record in page] for page in generated]


def _changed(first: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The second sync's pages: every list shrank by one element (or vanished), the rest as it
    was, plus the records of the last page left out."""
    changed = []
    for page in first[:-1] or first:
        changed.append(
            [
                {key: value[:-1] if isinstance(value, list) else value for key, value in r.items()}
                for r in page
            ]
        )
    return changed


def _app(state: dict[str, Any]) -> Starlette:
    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        served = state["pages"]
        return JSONResponse({"items": served[page - 1] if page <= len(served) else []})

    return Starlette(routes=[Route("/items", items)])


def _zero(value: Any) -> Any:
    """-0.0 as 0.0: equal in SQL, and dlt's dict path does not keep the sign either."""
    return 0.0 if isinstance(value, float) and value == 0 else value


#: a query on the database a sync loaded into: (column names, rows)
Query = Callable[[str], tuple[list[str], list[tuple[Any, ...]]]]


def _duckdb(db: Path) -> Query:
    def run(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        with duckdb.connect(str(db), read_only=True) as connection:
            cursor = connection.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()

    return run


def _postgres(url: str) -> Query:
    def run(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            assert cursor.description is not None
            return [d[0] for d in cursor.description], cursor.fetchall()

    return run


def _canonical(run: Query, dataset: str) -> dict[str, Any]:
    """Every table's columns with their types and its rows, with dlt's random row ids
    replaced by where the row sits (record id, then table and list position)."""
    _, found = run(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = '{dataset}' AND table_name NOT LIKE '_dlt%'"
    )
    place: dict[str, Any] = {}
    result: dict[str, Any] = {}
    for table in sorted((row[0] for row in found), key=lambda name: name.count("__")):
        _, described = run(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{dataset}' AND table_name = '{table}'"
        )
        names, rows = run(f'SELECT * FROM "{dataset}"."{table}"')
        data = sorted(n for n in names if not n.startswith("_dlt_"))
        canonical = []
        for row in rows:
            values = dict(zip(names, row, strict=True))
            if "_dlt_parent_id" in values:
                where = (place[values["_dlt_parent_id"]], table, values["_dlt_list_idx"])
            else:
                where = ("id", values["id"])
            place[values["_dlt_id"]] = where
            canonical.append((repr(where), repr([_zero(values[n]) for n in data])))
        result[table] = (sorted(described), sorted(canonical))
    return result


def _load(
    folder: Path,
    arrow: str,
    runs: list[list[list[dict[str, Any]]]],
    mp: pytest.MonkeyPatch,
    postgres_url: str | None = None,
) -> Any:
    """Both syncs of ``runs`` into DuckDB, or into a dataset of its own on PostgreSQL (dropped
    afterwards), and what landed."""
    mp.setenv("RESTSYNC_ARROW", arrow)
    state: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=_app(state))
    config = items_config("gen")
    config["resources"][0]["columns"] = {"payload": {"data_type": "json"}}
    db = folder / f"arrow{arrow}.duckdb"
    dataset = "gen" if postgres_url is None else f"gen_{uuid.uuid4().hex[:10]}"
    if postgres_url is not None:
        mp.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
    try:
        for served in runs:
            state["pages"] = served
            sync(
                config,
                destination="duckdb" if postgres_url is None else "postgres",
                dataset=dataset,
                duckdb_file=db,
                transport=transport,
                pipeline_name=f"gen{arrow}",
                pipelines_dir=folder / f"pipelines{arrow}",
            )
        if postgres_url is None:
            return _canonical(_duckdb(db), dataset)
        return _canonical(_postgres(postgres_url), dataset)
    except RestSyncError as exc:
        return ("failed", type(exc).__name__)
    finally:
        if postgres_url is not None:
            with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
                for schema in (dataset, f"{dataset}_staging"):
                    cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# more examples for a longer search: HYPOTHESIS_EXAMPLES=500 pytest tests/normalise
BOUNDED = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@BOUNDED
@given(generated=pages)
def test_fast_path_lands_what_the_dict_path_lands(generated: list[list[dict[str, Any]]]) -> None:
    _assert_equivalent(generated)


@BOUNDED
@given(generated=flat_pages)
def test_pages_without_lists_land_what_the_dict_path_lands(
    generated: list[list[dict[str, Any]]],
) -> None:
    _assert_equivalent(generated)


@pytest.mark.postgres
@settings(
    BOUNDED,
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "6")),
    suppress_health_check=[*BOUNDED.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(generated=pages)
def test_fast_path_lands_what_the_dict_path_lands_on_postgres(
    generated: list[list[dict[str, Any]]], postgres_url: str
) -> None:
    _assert_equivalent(generated, postgres_url)


def _assert_equivalent(
    generated: list[list[dict[str, Any]]], postgres_url: str | None = None
) -> None:
    first = _with_ids(generated)
    runs = [first, _changed(first)]
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        dicts = _load(Path(folder), "0", runs, mp, postgres_url)
        arrow = _load(Path(folder), "1", runs, mp, postgres_url)
    assert arrow == dicts
