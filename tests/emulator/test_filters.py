"""The emulator's ``since`` / ``until`` filters: an endpoint with an incremental answers with the
records whose cursor field lies in the range the query asks for, paginated over those only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from emulator_helpers import client, resource, source

from restsync.emulator import Emulator, EmulatorOptions

PATH = "/api/v1/items"


def _in(value: str, start: str | None, end: str | None) -> bool:
    return (start is None or value >= start) and (end is None or value < end)


async def _fetch_all(api: Emulator, query: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    async with client(api) as http:
        for page in range(1, 50):
            response = await http.get(PATH, params={**query, "page": page})
            assert response.status_code == 200
            batch = response.json()["data"]
            if not batch:
                return records
            records.extend(batch)
    raise AssertionError("the pages never ended")


def _items(**endpoint: Any) -> Emulator:
    config = source(
        resource(
            "items",
            data_selector="data",
            paginator={"type": "page_number", "base_page": 1},
            primary_key="id",
            **endpoint,
        )
    )
    return Emulator(config, EmulatorOptions(records=80, page_size=10))


ENDPOINTS: dict[str, dict[str, Any]] = {
    "start-and-end-param": {
        "incremental": {
            "cursor_path": "updated_at",
            "start_param": "since",
            "end_param": "until",
        }
    },
    "type-incremental-param": {
        "params": {"since": {"type": "incremental", "cursor_path": "updated_at"}}
    },
    "placeholders": {
        "params": {"since": "{incremental.start_value}", "until": "{incremental.end_value}"},
        "incremental": {"cursor_path": "updated_at"},
    },
}


@pytest.mark.parametrize("form", list(ENDPOINTS), ids=list(ENDPOINTS))
async def test_since_keeps_records_at_or_after_the_value(form: str) -> None:
    api = _items(**ENDPOINTS[form])
    every = api.records("items")
    stamps = sorted(r["updated_at"] for r in every)
    since = stamps[40]
    got = await _fetch_all(api, {"since": since})
    want = [r for r in every if r["updated_at"] >= since]
    assert got == want
    assert 0 < len(got) < len(every)


async def test_until_is_exclusive_and_combines_with_since() -> None:
    api = _items(**ENDPOINTS["start-and-end-param"])
    every = api.records("items")
    stamps = sorted(r["updated_at"] for r in every)
    since, until = stamps[10], stamps[50]
    got = await _fetch_all(api, {"since": since, "until": until})
    assert [r["id"] for r in got] == [r["id"] for r in every if _in(r["updated_at"], since, until)]
    assert until not in {r["updated_at"] for r in got}
    assert since in {r["updated_at"] for r in got}


async def test_unix_seconds_are_read_as_instants_for_a_timestamp_field() -> None:
    api = _items(**ENDPOINTS["start-and-end-param"])
    every = api.records("items")
    since = sorted(r["updated_at"] for r in every)[60]
    seconds = int(datetime.fromisoformat(since).timestamp())
    got = await _fetch_all(api, {"since": str(seconds)})
    assert got == [r for r in every if r["updated_at"] >= since]


async def test_numeric_cursors_compare_as_numbers() -> None:
    api = _items(incremental={"cursor_path": "id", "start_param": "after"})
    got = await _fetch_all(api, {"after": "75"})
    assert [r["id"] for r in got] == [75, 76, 77, 78, 79, 80]  # not "8" > "75" as text


async def test_without_the_parameter_every_record_is_served() -> None:
    api = _items(**ENDPOINTS["start-and-end-param"])
    assert await _fetch_all(api, {}) == api.records("items")


def test_records_of_a_first_sync_start_at_the_initial_value() -> None:
    initial = "2023-01-01T12:00:00Z"
    api = _items(incremental={"cursor_path": "updated_at", "initial_value": initial})
    everything = _items().records("items")
    assert api.records("items") == [r for r in everything if r["updated_at"] >= initial]
    assert len(api.records("items")) < len(everything)
