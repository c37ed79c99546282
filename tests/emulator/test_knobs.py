"""Misbehaviour on request: faults, fail_first, rate limits, latency, broken bodies; and stats."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
from emulator_helpers import client, ids, resource, source

from restsync._exceptions import ConfigError
from restsync.emulator import Emulator, EmulatorOptions

PAGES = {"type": "page_number", "base_page": 1}


def items(**options: Any) -> Emulator:
    config = source(
        resource("items", data_selector=("data", "items"), paginator=PAGES),
        resource("other"),
    )
    return Emulator(config, EmulatorOptions(**{"records": 120, **options}))


async def test_fail_first_fails_each_url_n_times_then_serves_it() -> None:
    emulator = items(fail_first=2)
    statuses: dict[int, list[int]] = {}
    async with client(emulator) as http:
        for _ in range(3):
            for page in (1, 2):
                response = await http.get("/api/v1/items", params={"page": page})
                statuses.setdefault(page, []).append(response.status_code)
                if response.status_code == 503:
                    assert response.headers["retry-after"] == "0"
                    assert response.json()["error"] == "injected_fault"
    assert statuses == {1: [503, 503, 200], 2: [503, 503, 200]}
    stats = emulator.stats
    assert (stats.requests, stats.faults, stats.throttled) == (6, 4, 0)
    assert stats.responses_by_status == {503: 4, 200: 2}
    assert stats.requests_by_path == {"/api/v1/items": 6}


@pytest.mark.parametrize(
    ("options", "status", "retry_after"),
    [
        ({"fail_status": 429, "retry_after": None}, 429, None),
        ({"fail_status": 429, "retry_after": 1.5}, 429, "1.5"),
        ({"fail_status": 503, "retry_after": 2}, 503, "2"),
        ({"fail_status": 500, "retry_after": 2}, 500, None),
    ],
    ids=["429-no-header", "429-fractional", "503-integer", "500-never-has-one"],
)
async def test_fault_status_and_retry_after(
    options: dict[str, Any], status: int, retry_after: str | None
) -> None:
    emulator = items(fail_first=1, **options)
    async with client(emulator) as http:
        response = await http.get("/api/v1/items")
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    assert emulator.stats.throttled == (1 if status == 429 else 0)


async def statuses_of(emulator: Emulator, count: int) -> list[int]:
    async with client(emulator) as http:
        return [(await http.get("/api/v1/other")).status_code for _ in range(count)]


async def test_fault_rate_is_seeded_and_uses_the_given_statuses() -> None:
    options = {"fault_rate": 0.3, "fault_statuses": (500, 429), "seed": 7}
    first = await statuses_of(items(**options), 200)
    again = await statuses_of(items(**options), 200)
    other_seed = await statuses_of(items(**{**options, "seed": 8}), 200)
    assert first == again
    assert first != other_seed
    assert set(first) == {200, 500, 429}
    assert 30 <= sum(s != 200 for s in first) <= 90


async def test_fault_rate_one_fails_everything_and_counts() -> None:
    emulator = items(fault_rate=1.0, fault_statuses=(502,))
    assert await statuses_of(emulator, 5) == [502] * 5
    assert emulator.stats.faults == 5


async def test_rate_limit_answers_429_with_retry_after_beyond_the_rate() -> None:
    emulator = items(rate_limit=2)  # a burst of 2, then one request per 0.5 s
    async with client(emulator) as http:
        burst = [await http.get("/api/v1/other") for _ in range(8)]
        await asyncio.sleep(0.7)  # 1.4 tokens
        later = [(await http.get("/api/v1/other")).status_code for _ in range(2)]
    assert [r.status_code for r in burst] == [200] * 2 + [429] * 6
    limited = burst[-1]
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["x-ratelimit-limit"] == "2"
    assert limited.json()["error"] == "rate_limited"
    assert later == [200, 429]
    assert emulator.stats.throttled == 7
    assert emulator.stats.faults == 0


async def test_latency_overlaps_concurrent_requests() -> None:
    emulator = items(latency=0.2)
    async with client(emulator) as http:
        started = time.perf_counter()
        responses = await asyncio.gather(*(http.get("/api/v1/other") for _ in range(10)))
        elapsed = time.perf_counter() - started
    assert all(r.status_code == 200 for r in responses)
    assert elapsed >= 0.2  # the latency was applied
    assert emulator.stats.max_in_flight == 10  # all ten at once: the latencies overlapped
    assert emulator.stats.in_flight == 0


async def test_jitter_lets_requests_finish_out_of_order() -> None:
    emulator = items(latency_jitter=0.2, seed=3)
    finished: list[int] = []
    async with client(emulator) as http:

        async def fetch(page: int) -> None:
            await http.get("/api/v1/items", params={"page": page})
            finished.append(page)

        await asyncio.gather(*(fetch(page) for page in range(1, 11)))
    assert sorted(finished) == list(range(1, 11))
    assert finished != list(range(1, 11))


async def test_broken_html_page() -> None:
    emulator = items(broken={"items": "html"})
    async with client(emulator) as http:
        response = await http.get("/api/v1/items")
        healthy = await http.get("/api/v1/other")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")
    assert healthy.headers["content-type"] == "application/json"


async def test_broken_not_json() -> None:
    emulator = items(broken={"items": "not_json"})
    async with client(emulator) as http:
        response = await http.get("/api/v1/items")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


@pytest.mark.parametrize(
    ("selector", "renamed"),
    [
        (("data", "campaigns"), lambda rs: {"data": {"items": rs}}),
        ("data.items", lambda rs: {"data": {"results": rs}}),
        ("list.*.record", lambda rs: {"items": [{"record": r} for r in rs]}),
        (None, lambda rs: {"items": rs}),
    ],
    ids=["tuple", "items-becomes-results", "wrapped", "bare-list"],
)
async def test_broken_renamed_key_moves_the_list(selector: Any, renamed: Any) -> None:
    config = source(resource("campaigns", data_selector=selector))
    emulator = Emulator(config, EmulatorOptions(records=3, broken={"campaigns": "renamed_key"}))
    async with client(emulator) as http:
        body = (await http.get("/api/v1/campaigns")).json()
    assert body == renamed(emulator.records("campaigns"))


async def test_broken_401_rejects_even_good_credentials() -> None:
    auth = {"type": "bearer", "token": "t0k"}
    config = source(resource("items"), resource("other"), auth=auth)
    emulator = Emulator(config, EmulatorOptions(broken={"items": "401"}))
    async with client(emulator, headers={"Authorization": "Bearer t0k"}) as http:
        broken = await http.get("/api/v1/items")
        fine = await http.get("/api/v1/other")
    assert (broken.status_code, fine.status_code) == (401, 200)


async def test_stats_reset_starts_from_zero() -> None:
    emulator = items(fail_first=1)
    await statuses_of(emulator, 3)
    assert emulator.stats.requests == 3
    emulator.stats.reset()
    stats = emulator.stats
    assert (stats.requests, stats.faults, stats.responses_by_status) == (0, 0, {})
    assert (stats.requests_by_path, stats.max_in_flight) == ({}, 0)


async def test_options_can_change_between_syncs() -> None:
    emulator = items(records=30)
    async with client(emulator) as http:
        before = (await http.get("/api/v1/other")).json()
        emulator.options = EmulatorOptions(records=30, generation=1, fail_first=1)
        failed = await http.get("/api/v1/other")
        after = (await http.get("/api/v1/other")).json()
    assert failed.status_code == 503
    assert ids(after) == [*ids(before), 31]
    assert after[9] != before[9]  # id 10 was edited
    assert emulator.stats.requests == 3  # stats survive


OPTION_ERRORS = [
    ({"page_size": 0}, "emulator.page_size"),
    ({"fault_rate": 1.5}, "emulator.fault_rate"),
    ({"fault_statuses": (200,)}, "emulator.fault_statuses"),
    ({"rate_limit": 0}, "emulator.rate_limit"),
    ({"records": -1}, "emulator.records"),
    ({"page_before_first": "wrap"}, "emulator.page_before_first"),
    ({"shape": "nested"}, "emulator.shape"),
    ({"broken": {"items": "slow"}}, "emulator.broken.items"),
]


@pytest.mark.parametrize(
    ("options", "location"), OPTION_ERRORS, ids=[loc for _, loc in OPTION_ERRORS]
)
def test_bad_options_are_config_errors(options: dict[str, Any], location: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EmulatorOptions(**options)
    assert caught.value.location == location


@pytest.mark.parametrize("option", ["broken", "envelopes", "records"])
def test_options_naming_unknown_resources_are_config_errors(option: str) -> None:
    value = {"broken": "html", "envelopes": "data", "records": 3}[option]
    with pytest.raises(ConfigError, match="did you mean 'items'") as caught:
        items(**{option: {"itemz": value}})
    assert caught.value.location == f"emulator.{option}"
