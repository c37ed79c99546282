"""Secrets through a whole dlt pipeline, against real loopback servers: no configured secret, in
any encoding, in the error, in what dlt keeps of it (``pipeline.last_trace`` and the trace file
in the pipelines folder), and no credential sent to an origin the config does not name."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from restsync import rest_api_source
from support import query, serve_url

SECRET = "k3y/with+plus&é-ZX81"
TOKEN = "t0ken/with+plus&-ZX81"  # headers carry ASCII


def _forms(secret: str) -> list[str]:
    """The ways an API or a library may write ``secret`` down."""
    forms = [secret, quote(secret, safe=""), quote(secret, safe="").lower(), quote_plus(secret)]
    forms += [json.dumps(secret)[1:-1], html.escape(secret)]
    return forms


def _assert_nowhere(error: BaseException, pipeline: dlt.Pipeline, root: Path) -> None:
    """The secret in none of its forms: not in the error (nor its causes), the trace, any file."""
    texts = []
    current: BaseException | None = error
    while current is not None:
        texts.append(str(current))
        current = current.__cause__ or current.__context__
    texts.append(str(pipeline.last_trace))
    texts.append(repr(pipeline.last_trace.asdict()))
    for form in _forms(SECRET):
        assert all(form not in text for text in texts), form
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix != ".duckdb"]
    assert any(p.name == "trace.pickle" for p in files), "dlt wrote no trace file"
    for path in files:
        data = path.read_bytes()
        for form in _forms(SECRET):
            assert form.encode() not in data, (path, form)


def _echo_app(status: int) -> Starlette:
    """Answers ``status`` with a body that echoes the request in several encodings, as APIs do."""

    async def weather(request: Request) -> JSONResponse:
        appid = request.query_params.get("appid", "")
        body = {
            "error": f"invalid appid {appid}",
            "request": str(request.url),
            "html": html.escape(appid),
        }
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/weather", weather)])


@pytest.mark.parametrize("status", [401, 500], ids=["401", "500-retried"])
def test_a_secret_param_is_masked_in_the_error_and_the_trace(
    status: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OWM_KEY", SECRET)
    with serve_url(_echo_app(status)) as url:
        config = {
            "client": {
                "base_url": url + "/",
                "retry": {"max_retries": 1, "initial_backoff": 0.01},
            },
            "resources": [
                {
                    "name": "weather",
                    "endpoint": {
                        "path": "weather",
                        "params": {"appid": {"secret": "owm_key"}, "q": "Oslo"},
                        "paginator": {"type": "single_page"},
                    },
                }
            ],
        }
        pipeline = dlt.pipeline(
            pipeline_name="echo",
            destination=dlt.destinations.duckdb(str(tmp_path / "echo.duckdb")),
        )
        with pytest.raises(PipelineStepFailed) as caught:
            pipeline.run(rest_api_source(config))
    assert f"HTTP {status}" in str(caught.value)
    assert "appid=***" in str(caught.value)
    _assert_nowhere(caught.value, pipeline, tmp_path)


def _looping_app() -> Starlette:
    """A json_link API whose next link echoes the request's query (the API key with it) and
    points back at itself: the pagination loop error quotes the link."""

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        query = f"page=2&api_key={quote_plus(request.query_params['api_key'])}"
        return JSONResponse(
            {"items": [{"id": page * 10 + i} for i in range(3)], "next": f"/items?{query}"}
        )

    return Starlette(routes=[Route("/items", items)])


def test_the_pagination_loop_error_holds_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_KEY", SECRET)
    with serve_url(_looping_app()) as url:
        config = {
            "client": {
                "base_url": url + "/",
                "auth": {
                    "type": "api_key",
                    "name": "api_key",
                    "api_key": {"secret": "api_key"},
                    "location": "query",
                },
            },
            "resources": [
                {
                    "name": "items",
                    "endpoint": {
                        "path": "items",
                        "data_selector": "items",
                        "paginator": {"type": "json_link", "next_url_path": "next"},
                    },
                }
            ],
        }
        pipeline = dlt.pipeline(
            pipeline_name="looping",
            destination=dlt.destinations.duckdb(str(tmp_path / "loop.duckdb")),
        )
        with pytest.raises(PipelineStepFailed) as caught:
            pipeline.run(rest_api_source(config))
    assert "points back at a page already fetched" in str(caught.value)
    _assert_nowhere(caught.value, pipeline, tmp_path)


def _pages_app(seen: list[dict[str, Any]], next_url: str | None) -> Starlette:
    async def items(request: Request) -> JSONResponse:
        seen.append({"headers": dict(request.headers), "query": dict(request.query_params)})
        page = int(request.query_params.get("page", "1"))
        body = {"items": [{"id": page * 100 + i} for i in range(5)], "next": next_url}
        return JSONResponse(body)

    return Starlette(routes=[Route("/items", items)])


@pytest.mark.parametrize(
    "auth",
    [
        {"type": "bearer", "token": TOKEN},
        {"type": "api_key", "name": "X-Key", "api_key": TOKEN},
        {"type": "api_key", "name": "key", "api_key": TOKEN, "location": "query"},
        {"type": "http_basic", "username": "ann", "password": TOKEN},
    ],
    ids=["bearer", "header_key", "query_key", "basic"],
)
def test_a_next_link_to_another_origin_loads_without_credentials_there(
    auth: dict[str, Any], tmp_path: Path
) -> None:
    home_seen: list[dict[str, Any]] = []
    foreign_seen: list[dict[str, Any]] = []
    basic = base64.b64encode(f"ann:{TOKEN}".encode()).decode()
    with (
        serve_url(_pages_app(foreign_seen, None)) as foreign,
        serve_url(_pages_app(home_seen, f"{foreign}/items?page=2")) as home,
    ):
        config = {
            "client": {"base_url": home + "/", "auth": auth},
            "resources": [
                {
                    "name": "items",
                    "endpoint": {
                        "path": "items",
                        "data_selector": "items",
                        "paginator": {"type": "json_link", "next_url_path": "next"},
                    },
                }
            ],
        }
        db = tmp_path / "links.duckdb"
        pipeline = dlt.pipeline(pipeline_name="links", destination=dlt.destinations.duckdb(str(db)))
        pipeline.run(rest_api_source(config))
    ids = [row[0] for row in query(db, f"SELECT id FROM {pipeline.dataset_name}.items ORDER BY id")]
    assert ids == [100, 101, 102, 103, 104, 200, 201, 202, 203, 204]
    forms = [*_forms(TOKEN), basic]
    assert len(home_seen) == 1
    assert any(form in repr(home_seen) for form in forms)
    assert [seen["query"] for seen in foreign_seen] == [{"page": "2"}]
    assert not any(form in repr(foreign_seen) for form in forms)
