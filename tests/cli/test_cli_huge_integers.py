"""``restsync run`` on a body holding an integer beyond 64 bits: without a declaration the run
fails with the resource, the field and the declaration that makes it load, loading nothing;
with the column declared ``decimal`` or ``text`` the exact value lands (dlt alone fails either
way: it writes the record before it applies the column's type)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
import yaml
from cli_support import Invoke, assert_quiet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from support import serve_url

WIDE = 99999999999999999999999  # 23 digits
UNSIGNED = 2**64 - 1  # orjson reads it, dlt's bigint (signed) cannot hold it
BODY = (
    '{"data": ['
    f'{{"id": 1, "big": {WIDE}, "meta": {{"n": {UNSIGNED}}}, "tags": [{{"v": 1}}]}}, '
    '{"id": 2, "big": 5, "meta": {"n": 1}, "tags": [{"v": 2}]}'
    "]}"
).encode()


def api(body: bytes = BODY) -> Starlette:
    async def items(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/items", items), Route("/other", items)])


def write_config(folder: Path, columns: dict[str, Any] | None) -> Path:
    items: dict[str, Any] = {
        "name": "items",
        "endpoint": {"path": "items", "data_selector": "data", "paginator": "single_page"},
    }
    if columns is not None:
        items["columns"] = columns
    other = {
        "name": "other",
        "endpoint": {"path": "other", "data_selector": "data", "paginator": "single_page"},
        "columns": {"big": {"data_type": "text"}, "meta__n": {"data_type": "text"}},
    }
    spec = {"client": {"base_url": "http://api.test/"}, "resources": [other, items]}
    path = folder / "wide.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(params=["1", "0"], ids=["arrow", "dicts"])
def fast_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTSYNC_ARROW", request.param)


def data_tables(db: Path) -> list[tuple[str, int]]:
    """(table, rows) of each data table in the DuckDB file (none when it does not exist)."""
    if not db.exists():
        return []
    with duckdb.connect(str(db), read_only=True) as connection:
        names = connection.sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'shop' AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\'"
        ).fetchall()
        return [
            (name, connection.sql(f'SELECT COUNT(*) FROM shop."{name}"').fetchall()[0][0])
            for (name,) in names
        ]


@pytest.mark.parametrize(
    ("columns", "field", "advice"),
    [
        (
            None,
            "field 'big' holds 99999999999999999999999, an integer beyond 64 bits",
            "as `big: {data_type: decimal}` (exact up to 29 digits) or `big: {data_type: text}`",
        ),
        (
            {"big": {"data_type": "decimal"}},
            f"field 'meta.n' holds {UNSIGNED}, an integer beyond 64 bits",
            "as `meta__n: {data_type: decimal}`",
        ),
        (
            {"big": {"data_type": "decimal", "precision": 22, "scale": 0}, "meta__n": {}},
            "field 'big' holds 99999999999999999999999",
            "the decimal column 'big' holds 22 digits before the point, the value has 23",
        ),
    ],
    ids=["undeclared", "nested_object_field", "decimal_too_narrow"],
)
@pytest.mark.usefixtures("fast_path")
def test_an_integer_beyond_64_bits_says_which_field_and_what_to_declare(
    columns: dict[str, Any] | None, field: str, advice: str, invoke: Invoke, tmp_path: Path
) -> None:
    path = write_config(tmp_path, columns)
    db = tmp_path / "out.duckdb"

    with serve_url(api()) as url:
        result = invoke(
            "run", str(path), "--base-url", url, "--duckdb-file", str(db), "--dataset", "shop"
        )

    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"error: resource 'items': {field}"), result.stderr
    assert "nothing of 'items' is loaded" in result.stderr
    assert advice in result.stderr.split("what to do:", 1)[1]
    for dlt_words in ("too large to convert", "exceeds 64-bit", "bug in restsync"):
        assert dlt_words not in result.stderr
    assert_quiet(result.stderr)
    # nothing of the run landed, not even the resource that read its body fine
    assert all(rows == 0 for _, rows in data_tables(db)), data_tables(db)


def test_an_integer_beyond_64_bits_inside_a_list_says_the_columns_do_not_reach_it(
    invoke: Invoke, tmp_path: Path
) -> None:
    body = BODY.replace(b'"tags": [{"v": 1}]', f'"tags": [{{"v": {WIDE}}}]'.encode())
    path = write_config(tmp_path, {"big": {"data_type": "text"}, "meta__n": {"data_type": "text"}})
    db = tmp_path / "out.duckdb"

    with serve_url(api(body)) as url:
        result = invoke(
            "run", str(path), "--base-url", url, "--duckdb-file", str(db), "--dataset", "shop"
        )

    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(
        f"error: resource 'items': field 'tags.[].v' holds {WIDE}, an integer beyond 64 bits"
    ), result.stderr
    assert "lands in a nested table, which the resource's columns do not reach" in result.stderr
    assert data_tables(db) == [] or all(rows == 0 for _, rows in data_tables(db))


def landed(destination: str, where: str, dataset: str, sql: str) -> list[tuple[Any, ...]]:
    if destination == "duckdb":
        with duckdb.connect(where, read_only=True) as connection:
            return connection.sql(sql.format(dataset=dataset)).fetchall()
    with psycopg2.connect(where) as connection, connection.cursor() as cursor:
        cursor.execute(sql.format(dataset=dataset))
        return cursor.fetchall()


@pytest.mark.parametrize(
    ("data_type", "big", "n"),
    [
        ("decimal", [Decimal(WIDE), Decimal(5)], [Decimal(UNSIGNED), Decimal(1)]),
        ("text", [str(WIDE), "5"], [str(UNSIGNED), "1"]),
    ],
)
@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
@pytest.mark.usefixtures("fast_path")
def test_a_column_declared_decimal_or_text_loads_the_exact_value(
    data_type: str,
    big: list[Any],
    n: list[Any],
    destination: str,
    request: pytest.FixtureRequest,
    invoke: Invoke,
    tmp_path: Path,
) -> None:
    if destination == "duckdb":
        where, dataset = str(tmp_path / "out.duckdb"), "shop"
        options = ["--duckdb-file", where, "--dataset", dataset]
    else:
        where = request.getfixturevalue("postgres_url")
        dataset = request.getfixturevalue("postgres_dataset")
        options = ["--destination", "postgres", "--dataset", dataset]
    declared = {"data_type": data_type}
    path = write_config(tmp_path, {"big": declared, "meta__n": declared})

    with serve_url(api()) as url:
        result = invoke("run", str(path), "--base-url", url, *options)

    assert result.exit_code == 0, result.output
    rows = landed(
        destination, where, dataset, 'SELECT big, meta__n FROM "{dataset}".items ORDER BY id'
    )
    assert [row[0] for row in rows] == big
    assert [row[1] for row in rows] == n
    # the nested table and the other resource landed too
    tags = landed(destination, where, dataset, 'SELECT COUNT(*) FROM "{dataset}".items__tags')
    assert tags == [(2,)]
    assert landed(destination, where, dataset, 'SELECT big FROM "{dataset}".other ORDER BY id') == [
        (str(WIDE),),
        ("5",),
    ]
