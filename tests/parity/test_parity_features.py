"""Side by side, over loopback against the served emulator: processing steps, response actions,
OAuth2 client credentials, the header_cursor paginator, a cursor sent in the JSON body, form
bodies, a requests.Session and live paginator objects load the same tables through dlt's
``rest_api_source`` and restsync's; and what lands is what the API holds."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import (
    BasePaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parity.harness import Parity, load_both, read_tables
from restsync.config import load_config
from restsync.emulator import EmulatorOptions, RunningEmulator, serve
from support import serve_url

BASE = "http://api.test/v1"


def _resource(name: str, **endpoint: Any) -> dict[str, Any]:
    return {"name": name, "primary_key": "id", "endpoint": {"path": name, **endpoint}}


def _config(*resources: dict[str, Any], **client: Any) -> dict[str, Any]:
    return {"client": {"base_url": BASE, **client}, "resources": list(resources)}


@contextmanager
def _served(config: Mapping[str, Any], **options: Any) -> Iterator[RunningEmulator]:
    with serve(load_config(config), EmulatorOptions(**options)) as running:
        yield running


def _moved(config: dict[str, Any], url: str) -> dict[str, Any]:
    return {**config, "client": {**config["client"], "base_url": url}}


def _ids(table: Any, column: str = "id") -> list[Any]:
    index = sorted(table.columns).index(column)
    return sorted(row[index] for row in table.rows)


PAGED = {"type": "page_number", "base_page": 1, "total_path": None}


def _even(record: dict[str, Any]) -> bool:
    return int(record["id"]) % 2 == 0


def _tagged(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "tag": f"item-{record['id']}"}


def _twice(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield record
    yield {**record, "id": record["id"] + 10_000}


def test_processing_steps_run_in_order_and_children_read_processed_parents(
    tmp_path: Path,
) -> None:
    config = _config(
        {
            **_resource("items", data_selector="data", paginator=PAGED),
            "processing_steps": [{"filter": _even}, {"map": _tagged}],
        },
        {
            "name": "notes",
            "primary_key": "id",
            "include_from_parent": ["tag"],
            "endpoint": {
                "path": "items/{item_id}/notes",
                "data_selector": "data",
                "paginator": "single_page",
                "params": {"item_id": {"type": "resolve", "resource": "items", "field": "id"}},
            },
            "processing_steps": [
                {"filter": lambda note: note["_items_tag"] != "item-4"},
                {"yield_map": _twice},
            ],
        },
    )
    with _served(config, records=30, page_size=7) as api:
        tables = load_both(_moved(config, api.url), tmp_path)
        evens = [n for n in range(1, 31) if n % 2 == 0]
        assert _ids(tables["items"]) == evens
        # the child was asked for the processed parents only: the even ids
        asked = sorted(p for p in api.stats.requests_by_path if p.endswith("/notes"))
        assert asked == sorted(f"/v1/items/{n}/notes" for n in evens)
        notes = tables["notes"]
        tags = [row[sorted(notes.columns).index("_items_tag")] for row in notes.rows]
        expected = [
            r
            for r in api.emulator.records("notes")
            if r["items_id"] in evens and r["items_id"] != 4
        ]
        assert len(tags) == 2 * len(expected) > 0
        assert set(tags) == {f"item-{r['items_id']}" for r in expected}


def _redact_email(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    response._content = response.content.replace(b"@", b" at ")


def test_response_actions_ignore_missing_children_and_change_bodies(tmp_path: Path) -> None:
    config = _config(
        _resource("items", data_selector="data", paginator=PAGED),
        {
            "name": "notes",
            "primary_key": "id",
            "endpoint": {
                "path": "items/{item_id}/notes",
                "data_selector": "data",
                "paginator": "single_page",
                "params": {"item_id": {"type": "resolve", "resource": "items", "field": "id"}},
                "response_actions": [
                    {"status_code": 404, "action": "ignore"},
                    {"content": "@", "action": _redact_email},
                ],
            },
        },
    )
    with _served(config, records=24, page_size=10, missing_children_every=3) as api:
        tables = load_both(_moved(config, api.url), tmp_path)
        # each tool asked for the notes of items 3, 6, ... 24 once and ignored the 404s
        assert api.stats.responses_by_status.get(404) == 2 * 8
        expected = api.emulator.records("notes")
        assert _ids(tables["notes"]) == sorted(r["id"] for r in expected)
        text = repr(tables["notes"].rows)
        assert "@" not in text
        assert " at " in text or not any("@" in repr(r) for r in expected)


def _oauth(url: str) -> dict[str, Any]:
    return {
        "type": "oauth2_client_credentials",
        "access_token_url": f"{url}/oauth/token",
        "client_id": "restsync-client",
        "client_secret": "Zq7-oauth-secret-4471",
        "access_token_request_data": {"audience": "items-api"},
    }


def test_oauth2_client_credentials_one_token_shared_by_concurrent_requests(
    tmp_path: Path,
) -> None:
    config = _config(
        _resource("items", data_selector="data", paginator=PAGED),
        _resource("users", data_selector="data", paginator=PAGED),
        auth=_oauth("http://api.test"),
    )
    with _served(config, records=120, page_size=10, latency=0.02) as api:
        moved = _moved(config, api.url)
        moved["client"]["auth"] = _oauth(api.url.removesuffix("/v1"))
        parity = Parity(tmp_path)
        parity.pipelines["restsync"].run(parity.source("restsync", moved))
        # 24 pages over two resources, many at once: one token for all of them
        assert api.emulator._state.tokens.issued == 1
        assert api.stats.responses_by_status.get(401) is None
        parity.pipelines["dlt"].run(parity.source("dlt", moved))
        tables = parity.assert_same()
        assert _ids(tables["items"]) == list(range(1, 121))


def test_oauth2_token_is_fetched_again_once_it_expired(tmp_path: Path) -> None:
    config = _config(
        _resource("items", data_selector="data", paginator=PAGED),
        auth=_oauth("http://api.test"),
    )
    with _served(config, records=40, page_size=4, latency=0.1, token_lifetime=0.25) as api:
        moved = _moved(config, api.url)
        moved["client"]["auth"] = _oauth(api.url.removesuffix("/v1"))
        moved["client"]["limits"] = {"page_window": 1}  # ten pages, one after another
        parity = Parity(tmp_path)
        parity.pipelines["restsync"].run(parity.source("restsync", moved))
        assert api.emulator._state.tokens.issued >= 2
        tables = read_tables(parity.files["restsync"])
        assert _ids(tables["items"]) == list(range(1, 41))


def test_header_cursor_paginator(tmp_path: Path) -> None:
    paginator = {"type": "header_cursor", "cursor_key": "X-Next-Cursor", "cursor_param": "after"}
    config = _config(_resource("items", data_selector="data", paginator=paginator))
    with _served(config, records=23, page_size=5) as api:
        tables = load_both(_moved(config, api.url), tmp_path)
        assert _ids(tables["items"]) == list(range(1, 24))
        assert api.stats.requests_by_path["/v1/items"] == 2 * 5


def test_cursor_sent_in_the_json_body(tmp_path: Path) -> None:
    paginator = {
        "type": "cursor",
        "cursor_path": "meta.next_token",
        "cursor_body_path": "page.token",
    }
    config = _config(
        _resource(
            "items",
            method="POST",
            json={"query": "all", "page": {"size": 5}},
            data_selector="data",
            paginator=paginator,
        )
    )
    with _served(config, records=18, page_size=5) as api:
        tables = load_both(_moved(config, api.url), tmp_path)
        assert _ids(tables["items"]) == list(range(1, 19))
        assert api.stats.requests_by_path["/v1/items"] == 2 * 4


def test_form_encoded_and_raw_bodies(tmp_path: Path) -> None:
    config = _config(
        _resource(
            "items",
            method="POST",
            data={"status": "active", "fields": ["id", "name"], "page_size": 9},
            data_selector="data",
        ),
        _resource("users", method="POST", data="kind=all", data_selector="data"),
    )
    with _served(config, records=12) as api:
        tables = load_both(_moved(config, api.url), tmp_path)
        assert _ids(tables["items"]) == list(range(1, 13))
        assert _ids(tables["users"]) == list(range(1, 13))
        assert api.stats.responses_by_status.get(400) is None


def test_session_headers_cookies_and_basic_auth(tmp_path: Path) -> None:
    session = requests.Session()
    session.headers["X-Tenant"] = "acme"
    session.cookies.set("sid", "Zq7-session-cookie-4471")
    config = _config(_resource("items", data_selector="data"))
    config["client"]["headers"] = {"Cookie": "sid=Zq7-session-cookie-4471"}
    with _served(config, records=9) as api:
        moved = _moved(config, api.url)
        del moved["client"]["headers"]
        moved["client"]["session"] = session
        tables = load_both(moved, tmp_path)
        assert _ids(tables["items"]) == list(range(1, 10))
        assert api.stats.responses_by_status.get(401) is None
        # without the session's cookie the API refuses: the cookie is what got us in
        bare = requests.get(f"{api.url}/items", timeout=10)
        assert bare.status_code == 401


class EvenPages(BasePaginator):
    """A user's paginator: asks for pages 2, 4, 6... (``p``) until one comes back empty."""

    def __init__(self) -> None:
        super().__init__()
        self.page = 2

    def init_request(self, request: requests.Request) -> None:
        request.params["p"] = self.page

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        assert response.json()["data"] == data
        self._has_next_page = bool(data)
        self.page += 2

    def update_request(self, request: requests.Request) -> None:
        request.params["p"] = self.page


def test_live_paginators_run_sequentially_through_their_own_methods(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(
        _resource(
            "items",
            data_selector="data",
            paginator={**PAGED, "page_param": "p", "base_page": 1},
        ),
        _resource(
            "users",
            data_selector="data",
            paginator={"type": "cursor", "cursor_path": "meta.next"},
        ),
    )
    with _served(config, records=40, page_size=6) as api:
        live = _moved(config, api.url)
        live["resources"][0]["endpoint"]["paginator"] = EvenPages()
        live["resources"][1]["endpoint"]["paginator"] = JSONResponseCursorPaginator(
            cursor_path="meta.next", cursor_param="cursor"
        )
        with caplog.at_level(logging.INFO, logger="restsync"):
            tables = load_both(live, tmp_path)
        # pages 2, 4, 6: records 7-12, 19-24, 31-36; page 8 is empty
        expected = [n for n in range(1, 41) if ((n - 1) // 6 + 1) % 2 == 0]
        assert _ids(tables["items"]) == expected
        assert _ids(tables["users"]) == list(range(1, 41))
        messages = [r.getMessage() for r in caplog.records if r.name == "restsync"]
        assert "resource 'items': paginator EvenPages runs sequentially" in messages
        assert (
            "resource 'users': paginator JSONResponseCursorPaginator runs sequentially" in messages
        )


def _holey_api() -> Starlette:
    """Pages 1, 2, 4 and 5 hold five records each; page 3 answers 404; past 5, empty pages."""

    async def items(request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        if page == 3:
            return JSONResponse({"error": "page withdrawn"}, status_code=404)
        ids = range(page * 10, page * 10 + 5) if page <= 5 else range(0)
        return JSONResponse({"data": [{"id": n, "page": page} for n in ids]})

    return Starlette(routes=[Route("/items", items)])


def test_an_ignored_page_ends_a_windowed_sequence_there(tmp_path: Path) -> None:
    config = {
        "client": {"base_url": "http://api.test"},
        "resources": [
            _resource(
                "items",
                data_selector="data",
                paginator=PAGED,
                response_actions=[{"status_code": 404, "action": "ignore"}],
            )
        ],
    }
    with serve_url(_holey_api()) as url:
        tables = load_both(_moved(config, url), tmp_path)
    # dlt's client stops paginating at the ignored page; pages fetched past it are dropped
    assert _ids(tables["items"]) == [10, 11, 12, 13, 14, 20, 21, 22, 23, 24]


def test_dlt_paginator_objects_run_as_dlt_runs_them(tmp_path: Path) -> None:
    config = _config(
        _resource("items", data_selector="data", paginator=PAGED),
        _resource("users", data_selector="data", paginator={"type": "offset", "limit": 4}),
        _resource("orders", data_selector="data", paginator={"type": "json_link"}),
        _resource("tags", paginator={"type": "header_link"}),
    )
    with _served(config, records=17, page_size=5) as api:
        live = _moved(config, api.url)
        endpoints = [r["endpoint"] for r in live["resources"]]
        endpoints[0]["paginator"] = PageNumberPaginator(base_page=1, total_path=None)
        endpoints[1]["paginator"] = OffsetPaginator(limit=4, total_path=None)
        endpoints[2]["paginator"] = JSONLinkPaginator(next_url_path="next")
        endpoints[3]["paginator"] = HeaderLinkPaginator()
        tables = load_both(live, tmp_path)
        for name in ("items", "users", "orders", "tags"):
            assert _ids(tables[name]) == list(range(1, 18)), name


def _notes_by_body_api() -> Starlette:
    """``/items``: three items; ``POST /notes`` with ``{"item": id, "page": {"after": n}}``:
    five notes per item, two per page, the next position at ``next``."""

    async def items(request: Request) -> JSONResponse:
        return JSONResponse({"data": [{"id": n} for n in (1, 2, 3)]})

    async def notes(request: Request) -> JSONResponse:
        body = await request.json()
        item = int(body["item"])
        start = int(body.get("page", {}).get("after") or 0)
        chunk = [{"id": item * 100 + n, "item": item} for n in range(start, min(start + 2, 5))]
        following = start + 2 if start + 2 < 5 else None
        return JSONResponse({"data": chunk, "next": following and str(following)})

    return Starlette(routes=[Route("/items", items), Route("/notes", notes, methods=["POST"])])


def test_child_cursor_in_a_body_that_holds_the_parent_id(tmp_path: Path) -> None:
    config = {
        "client": {"base_url": "http://api.test"},
        "resources": [
            _resource("items", data_selector="data", paginator="single_page"),
            {
                "name": "notes",
                "primary_key": "id",
                "endpoint": {
                    "path": "notes",
                    "method": "POST",
                    "json": {"item": "{resources.items.id}"},
                    "data_selector": "data",
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "next",
                        "cursor_body_path": "page.after",
                    },
                },
            },
        ],
    }
    with serve_url(_notes_by_body_api()) as url:
        tables = load_both(_moved(config, url), tmp_path)
    assert _ids(tables["notes"]) == [i * 100 + n for i in (1, 2, 3) for n in range(5)]


def test_oauth2_auth_object_as_dlt_users_write_it(tmp_path: Path) -> None:
    config = _config(
        _resource("items", data_selector="data", paginator=PAGED),
        auth=_oauth("http://api.test"),
    )
    with _served(config, records=30, page_size=10) as api:
        moved = _moved(config, api.url)
        fields = _oauth(api.url.removesuffix("/v1"))
        del fields["type"]
        # a plain session: the harness deep-copies configs, which dlt's own session does not
        # survive (it loses its timeout)
        moved["client"]["auth"] = OAuth2ClientCredentials(**fields, session=requests.Session())
        tables = load_both(moved, tmp_path)
        assert _ids(tables["items"]) == list(range(1, 31))
        assert api.emulator._state.tokens.issued == 2  # one per tool
