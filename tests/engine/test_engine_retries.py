"""End to end: what a sync does when the API fails: waits as told, retries exactly as
configured, gives up with an error that says where and why, and never retries bad
credentials."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from engine.sync_harness import (
    SECRET,
    Recorder,
    config,
    emulator,
    mismatches,
    resource,
    run,
    tables,
)
from restsync import FatalAPIError, RetriableAPIError, load_config, sync
from restsync.emulator import EmulatorOptions, serve

PAGE_NUMBER_1 = {"type": "page_number", "base_page": 1}


def test_429_waits_as_long_as_retry_after_says(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    source = config(resource("items", paginator={"type": "single_page"}))
    api = emulator(source, records=30, fail_first=1, fail_status=429, retry_after=0.3)
    recorder = Recorder(api.app)

    run(source, recorder, db)

    assert mismatches(db, api, ["items"]) == {}
    assert api.stats.responses_by_status == {429: 1, 200: 1}
    first, second = recorder.started
    # the configured backoff is 10 ms: only Retry-After explains a wait this long
    assert second - first >= 0.3


@pytest.mark.parametrize(
    ("status", "fail_first", "max_retries"),
    [(500, 2, 3), (502, 3, 3), (503, 1, 1), (504, 2, 2)],
    ids=["500_burst_of_2", "502_burst_as_long_as_retries", "503_once", "504_twice"],
)
def test_5xx_bursts_within_the_retries_load_everything(
    status: int, fail_first: int, max_retries: int, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    source = config(resource("items", paginator=PAGE_NUMBER_1), retry={"max_retries": max_retries})
    api = emulator(
        source,
        records=95,
        page_size=20,
        fail_first=fail_first,
        fail_status=status,
        retry_after=None,
    )
    recorder = Recorder(api.app)

    run(source, recorder, db)

    assert mismatches(db, api, ["items"]) == {}
    retried = [status] * fail_first + [200]
    for url, statuses in recorder.statuses.items():
        # a page past the end may be dropped while it waits for its retry: a prefix
        assert statuses == retried[: len(statuses)], url
    answered = {url for url, statuses in recorder.statuses.items() if statuses[-1] == 200}
    assert {f"/v1/items?page={n}" for n in range(1, 7)} <= answered  # 5 pages, then empty


@pytest.mark.parametrize(
    ("status", "retry_after"), [(503, None), (429, None)], ids=["503", "429_without_retry_after"]
)
def test_giving_up_after_the_retries_names_resource_url_and_status(
    status: int, retry_after: float | None, tmp_path: Path
) -> None:
    db = tmp_path / "api.duckdb"
    auth = {"type": "api_key", "name": "api_key", "api_key": SECRET, "location": "query"}
    source = config(
        resource("items", paginator={"type": "single_page"}, params={"since": "2024-01-01"}),
        resource("others", paginator={"type": "single_page"}),
        auth=auth,
        retry={"max_retries": 2},
    )
    api = emulator(
        source,
        records={"items": 30, "others": 30},
        fail_first=3,
        fail_status=status,
        retry_after=retry_after,
    )

    with pytest.raises(RetriableAPIError) as caught:
        run(source, api, db)

    error = caught.value
    text = str(error)
    assert error.resource in {"items", "others"}
    assert error.status == status
    assert f"resource '{error.resource}'" in text
    assert f"(HTTP {status})" in text
    assert "gave up after 2 retries" in text
    assert error.url in text
    assert re.search(rf"/v1/{error.resource}\?.*api_key=\*\*\*", error.url), error.url
    assert SECRET not in text
    assert api.stats.requests_by_path[f"/v1/{error.resource}"] == 3
    assert tables(db) == set()


def test_429_with_retry_after_paces_instead_of_using_up_the_retries(tmp_path: Path) -> None:
    """An API that says how long to wait is setting the pace, not failing: five such answers
    in a row do not exhaust two retries, and every record lands."""
    db = tmp_path / "api.duckdb"
    source = config(resource("items", paginator=PAGE_NUMBER_1), retry={"max_retries": 2})
    api = emulator(source, records=45, page_size=20, fail_first=5, fail_status=429, retry_after=0)

    run(source, api, db)

    assert mismatches(db, api, ["items"]) == {}
    assert api.stats.responses_by_status[429] >= 5 * 3


def test_pacing_still_gives_up_when_the_api_never_lets_up(tmp_path: Path) -> None:
    db = tmp_path / "api.duckdb"
    source = config(resource("items", paginator={"type": "single_page"}), retry={"max_retries": 1})
    api = emulator(source, records=5, fail_first=50, fail_status=429, retry_after=0)

    with pytest.raises(RetriableAPIError, match="gave up after 10 retries"):
        run(source, api, db)

    assert api.stats.requests_by_path["/v1/items"] == 11
    assert tables(db) == set()


def test_a_rate_limited_api_loads_completely_without_a_configured_rate(tmp_path: Path) -> None:
    """Over loopback, four resources against an API allowing 20 requests/s (429 +
    Retry-After beyond) and a client told nothing about it: every record lands, and after
    the first 429s the client paces itself at what the API let through (without that,
    about a third of the requests are answered 429 here)."""
    db = tmp_path / "api.duckdb"
    page_number = {"type": "page_number", "base_page": 1}
    source = config(
        *[resource(f"r{i}", paginator=page_number) for i in range(4)], retry={"max_retries": 2}
    )
    options = EmulatorOptions(records=150, page_size=10, rate_limit=20)
    with serve(load_config(source), options) as running:
        sync(source, base_url=running.url, duckdb_file=db)
        api = running.emulator
        assert mismatches(db, api, [f"r{i}" for i in range(4)]) == {}
        assert 0 < api.stats.throttled <= api.stats.requests // 4, api.stats


WRONG_CREDENTIALS: list[tuple[dict[str, Any], str]] = [
    (
        {"type": "api_key", "name": "X-API-KEY", "api_key": SECRET},
        "client.auth is an api_key sent in the header 'X-API-KEY'",
    ),
    (
        {"type": "api_key", "name": "key", "api_key": SECRET, "location": "query"},
        "client.auth is an api_key sent in the query 'key'",
    ),
    ({"type": "bearer", "token": SECRET}, "client.auth is a bearer token"),
    (
        {"type": "http_basic", "username": "ada", "password": SECRET},
        "client.auth is http_basic for user 'ada'",
    ),
]


@pytest.mark.parametrize(
    ("auth", "named"),
    WRONG_CREDENTIALS,
    ids=["api_key_header", "api_key_query", "bearer", "http_basic"],
)
def test_401_fails_at_once_naming_the_auth_type_not_the_secret(
    auth: dict[str, Any], named: str, tmp_path: Path
) -> None:
    """The API expects other credentials than the config holds: one request, no retry."""
    db = tmp_path / "api.duckdb"
    source = config(resource("items", paginator=PAGE_NUMBER_1), auth=auth)
    server_secret = "the-server-wants-THIS-one"
    expected = {key: server_secret if value == SECRET else value for key, value in auth.items()}
    api = emulator(config(resource("items", paginator=PAGE_NUMBER_1), auth=expected))

    with pytest.raises(FatalAPIError) as caught:
        run(source, api, db)

    error = caught.value
    text = str(error)
    assert error.status == 401
    assert error.resource == "items"
    assert "rejected the credentials" in text
    assert named in text
    assert SECRET not in text
    assert server_secret not in text
    assert api.stats.requests_by_path == {"/v1/items": 1}
    assert tables(db) == set()
