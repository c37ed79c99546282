"""End to end over loopback: URLs and values that reach the engine from an API's answers or
its data, never through config validation, and cannot be requested as they are. A next-page
link (body or ``Link`` header, or what a live paginator sets), a redirect, an endpoint path
filled from a parent record, a cursor that is no value: each fails the run at once (no
retries, no waiting) with a ``restsync`` error naming the resource, the masked URL or value and
what to check; nothing of the run is loaded. dlt fails on each of the same APIs too (checked
here for the links), with an error naming neither resource nor page. Every run is bounded
(``support.bounded``), so a run that waits fails its test instead of blocking the suite."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlt
import pytest
import requests
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.sync_harness import SECRET, config, landed_ids, resource, tables
from restsync import ConfigError, FatalAPIError, ResponseError, SyncResult, load_config, sync
from support import bounded, serve_url

API_KEY = {"type": "api_key", "name": "api_key", "api_key": SECRET, "location": "query"}
#: credentials an API wrote into a link of its own: not configured, masked all the same
LINK_PASSWORD = "hunter2-in-the-link"
LINK_TOKEN = "tok-in-the-link-77"

SOURCES = {"json_link": "next_url_path 'next'", "header_link": 'the Link header\'s rel="next"'}
PAGINATORS = {
    "json_link": {"type": "json_link", "next_url_path": "next"},
    "header_link": {"type": "header_link"},
}

LINKS = [
    ("http://[::1", "http://[::1", "it does not parse as a URL (Invalid IPv6 URL)"),
    (
        "http://127.0.0.1:abc/v1/items?p=2",
        "http://127.0.0.1:abc/v1/items?p=2",
        "its port 'abc' is not a number from 0 to 65535",
    ),
    (
        "http://127.0.0.1:99999/v1/items?p=2",
        "http://127.0.0.1:99999/v1/items?p=2",
        "its port '99999' is not a number from 0 to 65535",
    ),
    (
        f"ftp://127.0.0.1/v1/items?p=2&api_key={SECRET}",
        "ftp://127.0.0.1/v1/items?p=2&api_key=***",
        "its scheme is 'ftp', and only http and https can be requested",
    ),
    (
        "mailto:ops@example.com",
        "mailto:ops@example.com",
        "its scheme is 'mailto', and only http and https can be requested",
    ),
    ("http://", "http://", "it names no host"),
    (
        f"http://user:{LINK_PASSWORD}@[::1/v1/items?token={LINK_TOKEN}",
        "http://user:***@[::1/v1/items?token=***",
        "it does not parse as a URL (Invalid IPv6 URL)",
    ),
]
LINK_IDS = ["ipv6", "port_letters", "port_range", "ftp", "mailto", "no_host", "credentials"]


def texts(error: BaseException) -> str:
    """``error`` and every exception it chains, as text."""
    found, current = [], error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.append(str(current))
        current = current.__cause__ or current.__context__
    return "\n".join(found)


def linking_app(style: str, link: object) -> Starlette:
    """``/v1/items``: page 1 (ids 1, 2) points to the next page with ``link`` in the body's
    ``next`` or the ``Link`` header; ``?p=2`` is a last page (id 3). ``/v1/other``: one page."""

    async def items(request: Request) -> JSONResponse:
        if request.query_params.get("p") == "2":
            return JSONResponse({"data": [{"id": 3}], "next": None})
        if style == "header_link":
            return JSONResponse(
                {"data": [{"id": 1}, {"id": 2}]}, headers={"Link": f"<{link}>; rel=next"}
            )
        return JSONResponse({"data": [{"id": 1}, {"id": 2}], "next": link})

    async def other(request: Request) -> JSONResponse:
        return JSONResponse({"data": [{"id": 7}]})

    return Starlette(routes=[Route("/v1/items", items), Route("/v1/other", other)])


def linked_config(paginator: Any) -> dict[str, Any]:
    return config(
        resource("other", paginator={"type": "single_page"}),
        resource("items", paginator=paginator),
        auth=API_KEY,
    )


def synced(spec: Any, url: str, db: Path) -> Callable[[], SyncResult]:
    return lambda: sync(spec, base_url=f"{url}/v1", duckdb_file=db)


def dlt_fails(spec: dict[str, Any], url: str, folder: Path) -> None:
    """dlt's own ``rest_api_source`` on the same API raises too (restsync refuses nothing dlt
    loads)."""
    dlt_spec = copy.deepcopy(spec)
    dlt_spec["client"] = {"base_url": f"{url}/v1/", "auth": dict(API_KEY)}
    pipeline = dlt.pipeline(
        "dlt_bad_urls", destination=dlt.destinations.duckdb(str(folder / "dlt.duckdb"))
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - dlt raises what requests raised
        bounded(lambda: pipeline.run(dlt_rest_api_source(dlt_spec)))


@pytest.mark.parametrize("style", ["json_link", "header_link"])
@pytest.mark.parametrize(("link", "shown", "problem"), LINKS, ids=LINK_IDS)
def test_a_next_link_that_cannot_be_requested_fails_the_run_at_once(
    style: str, link: str, shown: str, problem: str, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    spec = linked_config(PAGINATORS[style])
    with serve_url(linking_app(style, link)) as url:
        with pytest.raises(ResponseError) as caught:
            bounded(synced(spec, url, db))
        dlt_fails(spec, url, tmp_path)

    error = caught.value
    assert str(error).splitlines()[0] == (
        f"resource 'items': the response to page 1 links the next page ({SOURCES[style]}) to "
        f"{shown!r}, which cannot be requested: {problem}"
    )
    assert error.url == f"{url}/v1/items?api_key=***"
    assert error.hint.startswith("the API's link is broken, or not where endpoint.paginator")
    for secret in (SECRET, LINK_PASSWORD, LINK_TOKEN):
        assert secret not in texts(error)
    # the healthy resource was fetched whole, but nothing of the run is loaded
    assert tables(db) == set()


@pytest.mark.parametrize(
    ("link", "kind"),
    [
        (2, "a number"),
        (["http://127.0.0.1/v1/items?p=2"], "a list of 1 strings"),
        ({"href": "x"}, "an object with keys href (string)"),
    ],
    ids=["number", "list", "object"],
)
def test_a_next_link_that_is_not_a_string_fails_instead_of_ending_the_sequence(
    link: object, kind: str, tmp_path: Path
) -> None:
    """Read as "no next page", such a link would load page 1 alone and drop the rest."""
    db = tmp_path / "api.duckdb"
    spec = linked_config(PAGINATORS["json_link"])
    with serve_url(linking_app("json_link", link)) as url:
        with pytest.raises(ResponseError) as caught:
            bounded(synced(spec, url, db))
        dlt_fails(spec, url, tmp_path)

    assert str(caught.value).splitlines()[0] == (
        "resource 'items': the response to page 1 gives no URL for the next page "
        f"(next_url_path 'next'): it is {kind}, not a URL"
    )
    assert tables(db) == set()


class NextFromBody(BasePaginator):
    """A user's paginator: the next request goes to the body's ``next``, as it is."""

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        self._next = response.json().get("next")
        self._has_next_page = bool(self._next)

    def update_request(self, request: requests.Request) -> None:
        request.url = self._next


def test_a_live_paginators_unusable_next_url_fails_naming_the_paginator(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    link = f"http://user:{LINK_PASSWORD}@127.0.0.1:abc/v1/items?p=2"
    spec = linked_config(PAGINATORS["json_link"])
    spec["resources"][1]["endpoint"]["paginator"] = NextFromBody()
    with serve_url(linking_app("json_link", link)) as url, pytest.raises(ResponseError) as caught:
        bounded(synced(spec, url, db))

    assert str(caught.value).splitlines()[0] == (
        "resource 'items': the response to page 1 links the next page (paginator "
        "NextFromBody's update_request) to 'http://user:***@127.0.0.1:abc/v1/items?p=2', "
        "which cannot be requested: its port 'abc' is not a number from 0 to 65535"
    )
    assert caught.value.hint == (
        "check the URL NextFromBody.update_request sets from the response (request.url)"
    )
    assert LINK_PASSWORD not in texts(caught.value)
    assert tables(db) == set()


def redirecting_app(location: str, hits: list[str]) -> Starlette:
    async def items(request: Request) -> Response:
        hits.append(request.url.path)
        return Response(status_code=302, headers={"Location": location})

    async def other(request: Request) -> JSONResponse:
        return JSONResponse({"data": [{"id": 7}]})

    return Starlette(routes=[Route("/v1/items", items), Route("/v1/other", other)])


@pytest.mark.parametrize(
    ("location", "shown", "problem"),
    [
        (
            f"http://127.0.0.1:abc/v1/items?token={LINK_TOKEN}",
            "http://127.0.0.1:abc/v1/items?token=***",
            "its port 'abc' is not a number from 0 to 65535",
        ),
        (
            "http://[::1/v1/items",
            "http://[::1/v1/items",
            "it does not parse as a URL (Invalid IPv6 URL)",
        ),
        (
            "mailto:ops@example.com",
            "mailto:ops@example.com",
            "its scheme is 'mailto', and only http and https can be requested",
        ),
        ("http://", "http://", "it names no host"),
    ],
    ids=["port_letters", "ipv6", "mailto", "no_host"],
)
def test_a_redirect_that_cannot_be_followed_fails_at_once_without_retries(
    location: str, shown: str, problem: str, tmp_path: Path
) -> None:
    """httpx reads such a Location as a broken connection (retried, then "check that the API
    host is reachable"), or names nothing at all."""
    db = tmp_path / "api.duckdb"
    hits: list[str] = []
    spec = config(
        resource("other", paginator={"type": "single_page"}),
        resource("items", paginator={"type": "single_page"}),
    )
    with serve_url(redirecting_app(location, hits)) as url, pytest.raises(FatalAPIError) as caught:
        bounded(synced(spec, url, db))

    assert str(caught.value).splitlines()[0] == (
        f"resource 'items': the API redirected (HTTP 302) to {shown!r}, which cannot be "
        f"requested: {problem}"
    )
    assert caught.value.url == f"{url}/v1/items"
    assert hits == ["/v1/items"]  # asked once: retrying cannot mend the header
    assert LINK_TOKEN not in texts(caught.value)
    assert tables(db) == set()


def parent_links_app() -> Starlette:
    """``/v1/posts``: posts whose ``self`` is the URL of their details, the second one
    unusable; ``/v1/posts/N``: the details."""

    async def posts(request: Request) -> JSONResponse:
        base = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(
            {
                "data": [
                    {"id": 1, "self": f"{base}/v1/posts/1"},
                    {"id": 2, "self": f"http://user:{LINK_PASSWORD}@127.0.0.1:abc/v1/posts/2"},
                ]
            }
        )

    async def detail(request: Request) -> JSONResponse:
        return JSONResponse({"id": int(request.path_params["n"]), "body": "text"})

    return Starlette(routes=[Route("/v1/posts", posts), Route("/v1/posts/{n:int}", detail)])


def test_an_endpoint_url_filled_from_a_parent_record_that_cannot_be_requested_fails(
    tmp_path: Path,
) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(
        resource("posts", paginator={"type": "single_page"}),
        resource("details", "{resources.posts.self}", data_selector="$"),
    )
    with serve_url(parent_links_app()) as url, pytest.raises(FatalAPIError) as caught:
        bounded(synced(spec, url, db))

    shown = "http://user:***@127.0.0.1:abc/v1/posts/2"
    assert str(caught.value).splitlines()[0] == (
        f"resource 'details': the URL {shown!r} cannot be requested: its port 'abc' is not a "
        "number from 0 to 65535"
    )
    assert caught.value.url == shown
    assert caught.value.hint == (
        "check client.base_url and endpoint.path, and the fields of 'posts' records that fill it"
    )
    assert LINK_PASSWORD not in texts(caught.value)
    assert tables(db) == set()


def cursor_app(cursor: object, seen: list[list[str]]) -> Starlette:
    """``/v1/items``: page 1 (ids 1, 2) hands out ``cursor``; a request carrying a cursor
    gets the last page (id 3). ``seen`` collects the cursor values of each request."""

    async def items(request: Request) -> JSONResponse:
        sent = request.query_params.getlist("cursor")
        seen.append(sent)
        if sent:
            return JSONResponse({"data": [{"id": 3}], "cursor": None})
        return JSONResponse({"data": [{"id": 1}, {"id": 2}], "cursor": cursor})

    return Starlette(routes=[Route("/v1/items", items)])


CURSOR = {"type": "cursor", "cursor_path": "cursor", "cursor_param": "cursor"}


@pytest.mark.parametrize(
    ("cursor", "held"),
    [({"after": 2}, "an object with keys after (number)"), (True, "a boolean (true)")],
    ids=["object", "boolean"],
)
def test_a_cursor_that_is_no_value_to_send_fails_naming_it(
    cursor: object, held: str, tmp_path: Path
) -> None:
    """dlt sends an object's keys (``cursor=after``) or ``True``, and loads whatever comes."""
    db = tmp_path / "api.duckdb"
    seen: list[list[str]] = []
    spec = config(resource("items", paginator=CURSOR))
    with serve_url(cursor_app(cursor, seen)) as url, pytest.raises(ResponseError) as caught:
        bounded(synced(spec, url, db))

    assert str(caught.value).splitlines()[0] == (
        f"resource 'items': cursor_path 'cursor' holds {held}, which cannot be sent as the "
        "cursor in the query parameter 'cursor'; point cursor_path at the value the API wants "
        "back"
    )
    assert seen == [[]]  # nothing was sent with it
    assert tables(db) == set()


@pytest.mark.parametrize(
    ("cursor", "sent"),
    [([1, 2], ["1", "2"]), (12345678901234567890123, ["12345678901234567890123"])],
    ids=["list", "integer_beyond_64_bits"],
)
def test_a_list_or_huge_integer_cursor_is_sent_as_dlt_sends_it(
    cursor: object, sent: list[str], tmp_path: Path
) -> None:
    """A list goes as a repeated parameter; an integer beyond 64 bits exactly (the loop guard
    failed on it: ``Integer exceeds 64-bit range``)."""
    db = tmp_path / "api.duckdb"
    seen: list[list[str]] = []
    spec = config(resource("items", paginator=CURSOR))
    with serve_url(cursor_app(cursor, seen)) as url:
        result = bounded(synced(spec, url, db))

    assert seen == [[], sent]
    assert dict(result.tables) == {"items": 3}
    assert landed_ids(db, "items") == [1, 2, 3]


def totals_app(total: object) -> Starlette:
    async def items(request: Request) -> JSONResponse:
        first = request.query_params.get("offset", "0") == "0"
        return JSONResponse({"data": [{"id": 1}] if first else [], "total": total})

    return Starlette(routes=[Route("/v1/items", items)])


def test_a_total_that_is_a_list_fails_instead_of_reading_its_first_item(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    spec = config(
        resource("items", paginator={"type": "offset", "limit": 1, "total_path": "total"})
    )
    with serve_url(totals_app([3])) as url, pytest.raises(ResponseError) as caught:
        bounded(synced(spec, url, db))

    assert str(caught.value).splitlines()[0] == (
        "resource 'items': 'total' holds [3], not a whole number"
    )
    assert tables(db) == set()


def test_a_failure_while_the_engine_starts_ends_the_run_instead_of_waiting(
    tmp_path: Path,
) -> None:
    """Whatever fails before the first request reaches the resources' consumers: dlt waits on
    them, and used to wait forever (a client header outside ASCII did that). Here a config
    changed after validation makes opening the HTTP client fail."""
    db = tmp_path / "api.duckdb"
    with serve_url(linking_app("json_link", None)) as url:
        spec = config(resource("items", paginator={"type": "single_page"}), base_url=f"{url}/v1")
        valid = load_config(spec)
        client = valid.client.model_copy(update={"auth_origins": ("https://x.test:abc",)})
        broken = valid.model_copy(update={"client": client})
        with pytest.raises(ConfigError) as caught:
            bounded(lambda: sync(broken, duckdb_file=db))

    assert str(caught.value) == "client: the HTTP client cannot be opened: Invalid port: 'abc'"
    assert tables(db) == set()


def headers_app(seen: list[list[tuple[bytes, bytes]]]) -> Starlette:
    async def items(request: Request) -> JSONResponse:
        seen.append([(k, v) for k, v in request.scope["headers"] if k.startswith(b"x-")])
        return JSONResponse({"data": [{"id": 1}]})

    return Starlette(routes=[Route("/v1/items", items)])


@pytest.mark.parametrize("value", ["Société", "✓ checked"], ids=["latin1", "beyond_latin1"])
def test_header_values_outside_ascii_are_sent_as_utf8(value: str, tmp_path: Path) -> None:
    """httpx refuses them (the run waited forever on a client header); dlt, through requests,
    sends Latin-1 and fails beyond it. restsync's wire (aiohttp) writes header text as UTF-8."""
    db = tmp_path / "api.duckdb"
    seen: list[list[tuple[bytes, bytes]]] = []
    spec = config(resource("items", paginator={"type": "single_page"}))
    spec["client"]["headers"] = {"X-Client": value}
    spec["resources"][0]["endpoint"]["headers"] = {"X-End": value}
    with serve_url(headers_app(seen)) as url:
        result = bounded(synced(spec, url, db))

    encoded = value.encode()
    assert seen == [[(b"x-client", encoded), (b"x-end", encoded)]]
    assert dict(result.tables) == {"items": 1}
