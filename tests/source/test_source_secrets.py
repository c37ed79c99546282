"""A secret in the config never shows up anywhere a sync leaves traces: raised errors (even when
the API echoes the credentials back), log records at DEBUG, progress events, the DuckDB file
(dlt's ``_dlt_pipeline_state`` included) and dlt's working folder."""

from __future__ import annotations

import base64
import json
import logging
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.sync_harness import (
    DATASET,
    SECRET,
    config,
    emulator,
    mismatches,
    query,
    resource,
    run,
)
from restsync import APIError, FatalAPIError, ProgressEvent, ResponseError, RetriableAPIError

QUERY_KEY = {"type": "api_key", "name": "api_key", "api_key": SECRET, "location": "query"}
AUTHS: dict[str, dict[str, Any]] = {
    "query_key": QUERY_KEY,
    "header_key": {"type": "api_key", "name": "X-API-KEY", "api_key": SECRET},
    "bearer": {"type": "bearer", "token": SECRET},
    "basic": {"type": "http_basic", "username": "ada", "password": SECRET},
}


def secret_forms() -> list[str]:
    """The secret as it may appear: raw, URL-encoded, inside basic auth's base64."""
    basic = base64.b64encode(f"ada:{SECRET}".encode()).decode()
    return [SECRET, SECRET.replace("-", "%2D"), basic]


def assert_no_secret(text: str, where: str) -> None:
    for form in secret_forms():
        assert form not in text, f"the secret leaked into {where}"


def test_a_sync_leaves_the_secret_in_no_log_event_state_or_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "api.duckdb"
    resources = []
    for name, auth in AUTHS.items():
        item = resource(name, paginator={"type": "json_link", "next_url_path": "next"})
        item["endpoint"]["auth"] = auth
        resources.append(item)
    source = config(*resources, auth=QUERY_KEY)
    api = emulator(source, records=45, page_size=20)
    events: list[ProgressEvent] = []

    run(source, api, db, on_event=events.append)

    assert mismatches(db, api, list(AUTHS)) == {}
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    assert_no_secret(caplog.text, "the log")
    assert_no_secret(repr(events), "progress events")
    (state,) = query(db, f"SELECT state FROM {DATASET}._dlt_pipeline_state")
    decoded = zlib.decompress(base64.b64decode(state[0])).decode()
    assert json.loads(decoded)["pipeline_name"]  # really decoded the state
    assert_no_secret(decoded, "_dlt_pipeline_state")
    assert_no_secret(db.read_bytes().decode("latin-1"), "the DuckDB file")
    for folder, _, files in os.walk(os.environ["DLT_DATA_DIR"]):
        for file in files:
            path = Path(folder, file)
            assert_no_secret(path.read_bytes().decode("latin-1"), str(path))


async def echo(request: Request) -> Response:
    """Answers with everything the client sent, credentials included, as some APIs do in
    their error pages; the status and content type come from the path."""
    sent = f"{request.method} {request.url} headers={dict(request.headers)}"
    status = int(request.path_params["status"])
    if request.path_params["kind"] == "html":
        return Response(
            f"<html><body><pre>{sent}</pre></body></html>", status, media_type="text/html"
        )
    return Response(
        json.dumps({"error": "nope", "request": sent}), status, media_type="application/json"
    )


ECHO = Starlette(routes=[Route("/v1/{kind}/{status}", echo)])


@pytest.mark.parametrize(
    ("path", "error_type"),
    [
        ("/html/200", ResponseError),
        ("/json/500", RetriableAPIError),
        ("/json/401", FatalAPIError),
        ("/json/404", FatalAPIError),
    ],
    ids=["not_json_body", "server_error_body", "unauthorized_body", "not_found_body"],
)
@pytest.mark.parametrize("auth", list(AUTHS))
def test_errors_never_hold_the_secret_even_when_the_api_echoes_it(
    path: str,
    error_type: type[APIError],
    auth: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    source = config(
        resource("echo", path, paginator={"type": "single_page"}, params={"token": SECRET}),
        auth=AUTHS[auth],
        retry={"max_retries": 1},
    )

    with pytest.raises(error_type) as caught:
        run(source, ECHO, tmp_path / "api.duckdb")

    text = str(caught.value)
    assert "nope" in text or "<html>" in text, "the error does not show the body it redacts"
    assert "***" in text
    assert_no_secret(text, "the error")
    assert_no_secret(caught.value.url, "the error's url")
    assert_no_secret(caplog.text, "the log")
