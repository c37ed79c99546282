"""Server-side pagination: walking each paginator to its end yields exactly ``records()``."""

from __future__ import annotations

import math
import re
from typing import Any

import httpx
import pytest
from emulator_helpers import client, ids, resource, source

from restsync.emulator import Emulator, EmulatorOptions

N = 237
PATH = "/api/v1/items"


async def walk_pages(
    http: httpx.AsyncClient, params: dict[str, Any], page_param: str, first: int
) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    """Ask page after page until an empty one."""
    records: list[dict[str, Any]] = []
    responses = []
    page = first
    while True:
        response = await http.get(PATH, params={**params, page_param: page})
        assert response.status_code == 200, response.text
        responses.append(response)
        batch = response.json()["data"]
        if not batch:
            return records, responses
        records += batch
        page += 1


async def walk_links(
    http: httpx.AsyncClient, next_of: Any, params: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    """Follow next links (or cursors) until there is none; ``next_of(response)`` returns the
    next request's URL and params, or None."""
    records: list[dict[str, Any]] = []
    responses = []
    request: tuple[str, dict[str, Any]] | None = (PATH, params or {})
    while request is not None:
        # httpx replaces a URL's query with params={}: pass None to keep a next link's query
        response = await http.get(request[0], params=request[1] or None)
        assert response.status_code == 200, response.text
        responses.append(response)
        body = response.json()
        records += body["data"] if isinstance(body, dict) else body
        request = next_of(response)
        assert len(responses) < 100, "pagination does not end"
    return records, responses


def items(paginator: dict[str, Any], **options: Any) -> Emulator:
    config = source(resource("items", data_selector="data", paginator=paginator))
    return Emulator(config, EmulatorOptions(**{"records": N, **options}))


PAGE_NUMBER_CASES = [
    ("base-1-limit", {"base_page": 1, "limit_param": "limit", "limit": 40}, {"limit": 40}, 1, {}),
    ("base-0", {"base_page": 0}, {}, 0, {}),
    ("base-unknown-first-page-1", {}, {}, 1, {}),
    ("base-unknown-first-page-0", {}, {}, 0, {"first_page": 0}),
    ("custom-param-names", {"page_param": "p", "base_page": 1}, {}, 1, {"page_size": 7}),
    ("server-page-size", {"base_page": 1, "limit_param": "per_page"}, {}, 1, {"page_size": 100}),
]


@pytest.mark.parametrize(
    ("paginator", "params", "first", "options"),
    [c[1:] for c in PAGE_NUMBER_CASES],
    ids=[c[0] for c in PAGE_NUMBER_CASES],
)
async def test_page_number_walk_collects_every_record_once(
    paginator: dict[str, Any], params: dict[str, Any], first: int, options: dict[str, Any]
) -> None:
    emulator = items({"type": "page_number", **paginator}, **options)
    async with client(emulator) as http:
        records, responses = await walk_pages(
            http, params, paginator.get("page_param", "page"), first
        )
    assert records == emulator.records("items")
    assert ids(records) == list(range(1, N + 1))
    size = params.get("limit") or options.get("page_size", 50)
    assert len(responses) == math.ceil(N / size) + 1  # the last one is the empty page


async def test_page_number_total_pages_and_has_more() -> None:
    paginator = {
        "type": "page_number",
        "base_page": 1,
        "limit_param": "limit",
        "total_path": "meta.total_pages",
        "has_more_path": "meta.has_more",
    }
    emulator = items(paginator, include_total=True)
    async with client(emulator) as http:
        first = (await http.get(PATH, params={"page": 1, "limit": 40})).json()
        last = (await http.get(PATH, params={"page": 6, "limit": 40})).json()
        past = (await http.get(PATH, params={"page": 7, "limit": 40})).json()
    assert first["meta"] == {"total_pages": 6, "has_more": True}
    assert ids(last["data"]) == list(range(201, N + 1))
    assert last["meta"] == {"total_pages": 6, "has_more": False}
    assert past == {"data": [], "meta": {"total_pages": 6, "has_more": False}}


async def test_total_is_sent_when_the_config_cannot_stop_without_it() -> None:
    paginator = {"type": "page_number", "base_page": 1, "stop_after_empty_page": False}
    emulator = items(paginator)  # include_total is off, but the config promises a total
    async with client(emulator) as http:
        body = (await http.get(PATH, params={"page": 1})).json()
    assert body["total"] == math.ceil(N / 50)


@pytest.mark.parametrize(
    ("mode", "status", "expected_ids"),
    [("alias", 200, list(range(1, 51))), ("empty", 200, []), ("error", 400, None)],
    ids=["alias", "empty", "error"],
)
async def test_page_before_first_when_base_page_is_unknown(
    mode: str, status: int, expected_ids: list[int] | None
) -> None:
    emulator = items({"type": "page_number"}, page_before_first=mode, first_page=1)
    async with client(emulator) as http:
        response = await http.get(PATH, params={"page": 0})
    assert response.status_code == status
    if expected_ids is None:
        assert response.json()["error"] == "bad_request"
    else:
        assert ids(response.json()["data"]) == expected_ids


async def test_page_before_first_does_not_apply_when_the_config_knows_the_base() -> None:
    emulator = items({"type": "page_number", "base_page": 1}, page_before_first="error")
    async with client(emulator) as http:
        response = await http.get(PATH, params={"page": 0})
    assert response.status_code == 200
    assert response.json()["data"] == []


async def test_missing_page_param_means_the_first_page() -> None:
    emulator = items({"type": "page_number", "base_page": 3})
    async with client(emulator) as http:
        body = (await http.get(PATH)).json()
    assert ids(body["data"]) == list(range(1, 51))


@pytest.mark.parametrize("include_total", [True, False], ids=["with-total", "without-total"])
async def test_offset_walk_collects_every_record_once(include_total: bool) -> None:
    emulator = items({"type": "offset", "limit": 30}, include_total=include_total)
    records: list[dict[str, Any]] = []
    async with client(emulator) as http:
        offset = 0
        while True:
            body = (await http.get(PATH, params={"offset": offset, "limit": 30})).json()
            assert ("total" in body) is include_total
            if include_total:
                assert body["total"] == N
            if not body["data"]:
                break
            records += body["data"]
            offset += 30
    assert records == emulator.records("items")
    assert ids(records) == list(range(1, N + 1))


async def test_cursor_walk_ends_with_a_null_cursor() -> None:
    paginator = {"type": "cursor", "cursor_path": "cursors.next", "cursor_param": "cursor"}
    emulator = items(paginator)

    def next_of(response: httpx.Response) -> tuple[str, dict[str, Any]] | None:
        cursor = response.json()["cursors"]["next"]
        return None if cursor is None else (PATH, {"cursor": cursor})

    async with client(emulator) as http:
        records, responses = await walk_links(http, next_of)
    assert records == emulator.records("items")
    assert len(responses) == math.ceil(N / 50)
    assert responses[-1].json()["cursors"] == {"next": None}
    cursors = [r.json()["cursors"]["next"] for r in responses[:-1]]
    assert all(isinstance(c, str) and not c.isdigit() for c in cursors)  # opaque


async def test_cursor_page_size_follows_the_limit_param() -> None:
    emulator = items({"type": "cursor", "cursor_param": "after_id"})
    async with client(emulator) as http:
        body = (await http.get(PATH, params={"limit": 100})).json()
        body2 = (
            await http.get(PATH, params={"limit": 100, "after_id": body["cursors"]["next"]})
        ).json()
    assert ids(body["data"]) == list(range(1, 101))
    assert ids(body2["data"]) == list(range(101, 201))


async def test_json_link_walk_follows_absolute_next_urls() -> None:
    emulator = items({"type": "json_link", "next_url_path": "links.next"})

    def next_of(response: httpx.Response) -> tuple[str, dict[str, Any]] | None:
        url = response.json()["links"]["next"]
        return None if url is None else (url, {})

    async with client(emulator) as http:
        records, responses = await walk_links(http, next_of, {"limit": 60, "sort": "id"})
    assert records == emulator.records("items")
    assert len(responses) == math.ceil(N / 60)
    first_next = httpx.URL(responses[0].json()["links"]["next"])
    assert str(first_next).startswith("http://emulator.test/api/v1/items?")
    assert first_next.params["sort"] == "id"  # the request's own params travel along
    assert responses[-1].json()["links"]["next"] is None


async def test_header_link_walk_follows_rfc8288_links() -> None:
    emulator = items({"type": "header_link"})

    def next_of(response: httpx.Response) -> tuple[str, dict[str, Any]] | None:
        header = response.headers.get("link")
        if header is None:
            return None
        match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
        assert match, header
        return match.group(1), {}

    async with client(emulator) as http:
        records, responses = await walk_links(http, next_of)
    assert records == emulator.records("items")
    assert len(responses) == math.ceil(N / 50)
    assert "link" not in responses[-1].headers


async def test_header_link_uses_the_configured_rel() -> None:
    emulator = items({"type": "header_link", "links_next_key": "following"})
    async with client(emulator) as http:
        response = await http.get(PATH)
    assert response.headers["link"].endswith('; rel="following"')


@pytest.mark.parametrize(
    ("paginator", "params"),
    [
        ({"type": "page_number", "base_page": 1}, {"page": 99}),
        ({"type": "offset", "limit": 10}, {"offset": 10_000, "limit": 10}),
    ],
    ids=["page-number", "offset"],
)
async def test_pages_past_the_end_are_empty(
    paginator: dict[str, Any], params: dict[str, Any]
) -> None:
    emulator = items(paginator)
    async with client(emulator) as http:
        response = await http.get(PATH, params=params)
    assert response.status_code == 200
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    ("paginator", "params", "message"),
    [
        ({"type": "page_number", "base_page": 1}, {"page": "two"}, "'page' must be an integer"),
        ({"type": "page_number", "base_page": 1}, {"page": -1}, "'page' must be >= 0"),
        ({"type": "offset", "limit": 10}, {"limit": 0}, "'limit' must be >= 1"),
        ({"type": "cursor"}, {"cursor": "not-a-cursor"}, "invalid cursor"),
    ],
    ids=["page-not-int", "page-negative", "limit-zero", "bad-cursor"],
)
async def test_malformed_page_requests_are_400(
    paginator: dict[str, Any], params: dict[str, Any], message: str
) -> None:
    emulator = items(paginator)
    async with client(emulator) as http:
        response = await http.get(PATH, params=params)
    assert response.status_code == 400
    assert message in response.json()["message"]


async def test_single_page_returns_everything_at_once() -> None:
    emulator = items({"type": "single_page"})
    async with client(emulator) as http:
        body = (await http.get(PATH, params={"page": 3})).json()
    assert ids(body["data"]) == list(range(1, N + 1))


WINDOW_CASES = [
    # dlt semantics: start at page/offset, stop before maximum_page/maximum_offset
    (
        "maximum-page",
        {
            "type": "page_number",
            "base_page": 1,
            "limit_param": "limit",
            "limit": 40,
            "maximum_page": 3,
        },
        list(range(1, 81)),
    ),
    (
        "start-page",
        {"type": "page_number", "base_page": 1, "page": 5, "limit_param": "limit", "limit": 40},
        list(range(161, N + 1)),
    ),
    (
        "maximum-offset",
        {"type": "offset", "limit": 30, "offset": 20, "maximum_offset": 100},
        list(range(21, 111)),
    ),
    (
        "maximum-below-start-still-one-page",
        {"type": "offset", "limit": 30, "offset": 60, "maximum_offset": 10},
        list(range(61, 91)),
    ),
]


@pytest.mark.parametrize(
    ("paginator", "expected"), [c[1:] for c in WINDOW_CASES], ids=[c[0] for c in WINDOW_CASES]
)
def test_records_reflect_the_configured_window(
    paginator: dict[str, Any], expected: list[int]
) -> None:
    assert ids(items(paginator).records("items")) == expected


async def test_a_page_deep_into_a_million_records_is_generated_on_demand() -> None:
    emulator = items({"type": "page_number", "base_page": 1}, records={"items": 1_000_000})
    async with client(emulator) as http:
        body = (await http.get(PATH, params={"page": 20_000})).json()
    assert ids(body["data"]) == list(range(999_951, 1_000_001))
