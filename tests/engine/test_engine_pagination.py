"""End to end, into DuckDB: every selector form, paginator and auth type lands every record of
the emulated API exactly once.

A sync costs about half a second of dlt's own work whatever it loads, so each table below
becomes the resources of ONE source synced once; ``mismatches`` names every resource (table
row) that went wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.sync_harness import (
    SECRET,
    Recorder,
    config,
    emulator,
    landed_ids,
    mismatches,
    resource,
    run,
)

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}
CURSOR = {"type": "cursor", "cursor_path": "meta.next_cursor", "cursor_param": "cursor"}
JSON_LINK = {"type": "json_link", "next_url_path": "next"}

# name -> (data_selector, paginator, the emulator's envelope when the selector is auto-detected)
SELECTORS: dict[str, tuple[Any, dict[str, Any], str | None]] = {
    "keys": (["data", "items"], PAGE_NUMBER_1, None),
    "empty_list_bare_list": ([], PAGE_NUMBER_1, None),
    "empty_list_data_beside_cursor": ([], CURSOR, None),
    "empty_list_nested_envelope": ([], {"type": "single_page"}, "payload.rows"),
    "absent_detects": (None, {"type": "offset", "limit": 20}, None),
    "dotted": ("body.items", JSON_LINK, None),
    "dotted_wildcard_then_key": ("list.*.record", PAGE_NUMBER_1, None),
    "dotted_trailing_wildcard": ("data.*", {"type": "offset", "limit": 20}, None),
    "jsonpath_wildcard": ("$.results[*]", CURSOR, None),
    "jsonpath_wildcard_then_key": ("$.list[*].record", {"type": "header_link"}, None),
    "jsonpath_quoted_key": ("$['the data'].rows", PAGE_NUMBER_1, None),
    "jsonpath_root": ("$", PAGE_NUMBER_1, None),
}


def test_every_selector_form_lands_every_record_once(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    source = config(
        *(
            resource(name, paginator=paginator, data_selector=selector)
            for name, (selector, paginator, _) in SELECTORS.items()
        )
    )
    envelopes = {name: env for name, (_, _, env) in SELECTORS.items() if env}
    api = emulator(source, records=137, page_size=20, envelopes=envelopes)

    result = run(source, api, db)

    assert mismatches(db, api, list(SELECTORS)) == {}
    detected = {note.split(":")[0] for note in result.notes if "no data_selector" in note}
    # "$" is the whole body, as in dlt; only an empty selector means "detect it"
    auto = {name for name, (selector, _, _) in SELECTORS.items() if selector in (None, [])}
    assert detected == auto


PAGINATORS: dict[str, dict[str, Any]] = {
    "single_page": {"type": "single_page"},
    "page_number_base_0": {"type": "page_number", "base_page": 0},
    "page_number_base_1": PAGE_NUMBER_1,
    "page_number_renamed_param": {"type": "page_number", "base_page": 1, "page_param": "p"},
    "page_number_limit": {
        "type": "page_number",
        "base_page": 1,
        "limit_param": "per_page",
        "limit": 15,
    },
    "page_number_total_path": {"type": "page_number", "base_page": 1, "total_path": "meta.pages"},
    "page_number_has_more": {"type": "page_number", "base_page": 1, "has_more_path": "more"},
    "offset": {"type": "offset", "limit": 20},
    "offset_total_path": {"type": "offset", "limit": 20, "total_path": "meta.count"},
    "offset_renamed_params": {
        "type": "offset",
        "limit": 20,
        "offset_param": "skip",
        "limit_param": "take",
    },
    "cursor": CURSOR,
    "json_link": JSON_LINK,
    "json_link_nested": {"type": "json_link", "next_url_path": "links.next"},
    "header_link": {"type": "header_link"},
}


@pytest.mark.parametrize("include_total", [False, True], ids=["total_absent", "total_present"])
def test_every_paginator_lands_every_record_once(include_total: bool, tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    source = config(*(resource(name, paginator=p) for name, p in PAGINATORS.items()))
    api = emulator(source, records=143, page_size=20, include_total=include_total)
    recorder = Recorder(api.app)

    run(source, recorder, db)

    assert mismatches(db, api, list(PAGINATORS)) == {}
    requests = {
        name: sum(p.endswith(f"/{name}") for p, _ in recorder.completed) for name in PAGINATORS
    }
    assert requests.pop("single_page") == 1
    paged_once = {name for name, count in requests.items() if count < 143 // 20}
    assert not paged_once, f"these did not page through the API: {paged_once}"


# name -> (how the API pages, the client's paginator: absent or auto, the note that says so)
AUTO: dict[str, tuple[dict[str, Any], dict[str, Any] | None, str]] = {
    "header_link_absent": ({"type": "header_link"}, None, "header_link"),
    "header_link_auto": ({"type": "header_link"}, {"type": "auto"}, "header_link"),
    "json_link_absent": (JSON_LINK, None, "json_link"),
    "json_link_auto": (JSON_LINK, {"type": "auto"}, "json_link"),
    "json_link_nested": ({"type": "json_link", "next_url_path": "links.next"}, None, "json_link"),
    "next_url": ({"type": "json_link", "next_url_path": "next_url"}, {"type": "auto"}, "json_link"),
    "one_page_absent": ({"type": "single_page"}, None, "single_page"),
    "one_page_auto": ({"type": "single_page"}, {"type": "auto"}, "single_page"),
}


def test_auto_paginator_detects_how_the_api_pages(tmp_path: Path) -> None:
    """The API pages one way; the config does not say how (no paginator, or ``auto``)."""
    db = tmp_path / "api.duckdb"
    served = config(*(resource(name, paginator=api) for name, (api, _, _) in AUTO.items()))
    api = emulator(served, records=95, page_size=20)
    source = config(*(resource(name, paginator=client) for name, (_, client, _) in AUTO.items()))

    result = run(source, api, db)

    assert mismatches(db, api, list(AUTO)) == {}
    for name, (_, _, chosen) in AUTO.items():
        assert f"{name}: no paginator configured; detected '{chosen}'" in result.notes


# (records, limit) -> one resource each; where pages start is an emulator option, so each way
# an API can answer page 0 is one sync
DETECTION_RESOURCES = {
    f"r{records}_limit_{limit or 'none'}": (records, limit)
    for records in (7, 20, 137)
    for limit in (None, 25)
}


@pytest.mark.parametrize(
    ("first_page", "before_first", "how"),
    [
        (1, "empty", "page 0 was empty, so pages start at 1"),
        (1, "alias", "page 0 repeats page 1, so pages start at 1"),
        (1, "error", "page 0 was refused with HTTP 400, so pages start at 1"),
        (0, "empty", "page 0 holds its own records, so pages start at 0"),
    ],
    ids=["page_0_empty", "page_0_alias", "page_0_error", "pages_from_0"],
)
def test_page_number_without_base_page_detects_where_pages_start(
    first_page: int, before_first: str, how: str, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    resources = []
    for name, (_, limit) in DETECTION_RESOURCES.items():
        paginator: dict[str, Any] = {"type": "page_number"}
        if limit is not None:
            paginator |= {"limit_param": "limit", "limit": limit}
        resources.append(resource(name, paginator=paginator))
    source = config(*resources)
    api = emulator(
        source,
        records={name: records for name, (records, _) in DETECTION_RESOURCES.items()},
        page_size=20,
        first_page=first_page,
        page_before_first=before_first,
    )

    result = run(source, api, db)

    assert mismatches(db, api, list(DETECTION_RESOURCES)) == {}
    for name, (records, limit) in DETECTION_RESOURCES.items():
        page_0_has_records = first_page == 0 or before_first == "alias"
        # a short page 0 that holds every record ends paging at once: either base is right
        note = (
            "page 0 held every record"
            if page_0_has_records and limit is not None and records < limit
            else how
        )
        assert f"{name}: the first page number is not configured: {note}" in result.notes


AUTHS: dict[str, dict[str, Any]] = {
    "api_key_header": {"type": "api_key", "name": "X-API-KEY", "api_key": SECRET},
    "api_key_query": {"type": "api_key", "name": "api_key", "api_key": SECRET, "location": "query"},
    "api_key_default_header": {"type": "api_key", "api_key": SECRET},
    "bearer": {"type": "bearer", "token": SECRET},
    "http_basic": {"type": "http_basic", "username": "ada", "password": SECRET},
}
AUTH_PAGINATORS = [
    CURSOR,
    JSON_LINK,
    PAGE_NUMBER_1,
    {"type": "header_link"},
    {"type": "offset", "limit": 20},
]


def test_every_auth_type_lands_every_record_once(tmp_path: Path) -> None:
    """Each auth type as an endpoint's own auth, plus one as the client's."""
    db = tmp_path / "api.duckdb"
    resources = []
    for (name, auth), paginator in zip(AUTHS.items(), AUTH_PAGINATORS, strict=True):
        item = resource(name, paginator=paginator)
        item["endpoint"]["auth"] = auth
        resources.append(item)
    resources.append(resource("client_auth", paginator=JSON_LINK))
    source = config(*resources, auth=AUTHS["api_key_query"])
    api = emulator(source, records=88, page_size=20)

    run(source, api, db)

    assert mismatches(db, api, [*AUTHS, "client_auth"]) == {}
    assert set(api.stats.responses_by_status) == {200}


# name -> (paginator, query parameter, the values a correct client sends, dlt's semantics)
LIMITS: dict[str, tuple[dict[str, Any], str, set[str]]] = {
    "maximum_page": (
        {"type": "page_number", "base_page": 1, "maximum_page": 4},
        "page",
        {"1", "2", "3"},
    ),
    "page_and_maximum_page": (
        {"type": "page_number", "base_page": 1, "page": 2, "maximum_page": 5},
        "page",
        {"2", "3", "4"},
    ),
    "maximum_page_base_0": (
        {"type": "page_number", "base_page": 0, "maximum_page": 2},
        "page",
        {"0", "1"},
    ),
    "maximum_offset": (
        {"type": "offset", "limit": 10, "maximum_offset": 45},
        "offset",
        {"0", "10", "20", "30", "40"},
    ),
    "offset_and_maximum_offset": (
        {"type": "offset", "limit": 10, "offset": 20, "maximum_offset": 50},
        "offset",
        {"20", "30", "40"},
    ),
}


def test_pagination_limits_stop_where_dlt_stops(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    source = config(*(resource(name, paginator=p) for name, (p, _, _) in LIMITS.items()))
    api = emulator(source, records=300, page_size=10)
    recorder = Recorder(api.app)

    run(source, recorder, db)

    assert mismatches(db, api, list(LIMITS)) == {}
    for name, (_, param, sent) in LIMITS.items():
        assert set(recorder.values(param, f"/{name}")) == sent, name
        assert len(landed_ids(db, name)) == 10 * len(sent), name
