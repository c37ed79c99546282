"""The body is shaped so the configured data selector finds exactly the records."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from emulator_helpers import client, resource, source

from restsync._exceptions import ConfigError
from restsync.emulator import Emulator, EmulatorOptions

Records = list[dict[str, Any]]

ENVELOPES: list[tuple[str, Any, Callable[[Records], Any]]] = [
    ("tuple-of-keys", ("data", "campaigns"), lambda rs: {"data": {"campaigns": rs}}),
    ("dotted-keys", "data.items", lambda rs: {"data": {"items": rs}}),
    ("single-key", "results", lambda rs: {"results": rs}),
    ("dotted-wildcard", "list.*.record", lambda rs: {"list": [{"record": r} for r in rs]}),
    ("jsonpath-wildcard", "$.list[*].record", lambda rs: {"list": [{"record": r} for r in rs]}),
    ("jsonpath-key", "$.data", lambda rs: {"data": rs}),
    ("jsonpath-trailing-wildcard", "$.data[*]", lambda rs: {"data": rs}),
    ("jsonpath-quoted-key", "$['the data'].items", lambda rs: {"the data": {"items": rs}}),
    ("jsonpath-root", "$", lambda rs: rs),
    ("jsonpath-root-wildcard", "$[*]", lambda rs: rs),
    (
        "nested-wildcards",
        "pages.*.rows.*",
        lambda rs: {"pages": [{"rows": [r]} for r in rs]},
    ),
    ("auto", None, lambda rs: rs),
    ("empty-tuple-is-auto", (), lambda rs: rs),
]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [(s, e) for _, s, e in ENVELOPES],
    ids=[i for i, _, _ in ENVELOPES],
)
async def test_body_puts_records_where_the_selector_looks(
    selector: Any, expected: Callable[[Records], Any]
) -> None:
    config = source(resource("campaigns", data_selector=selector))
    emulator = Emulator(config, EmulatorOptions(records=4))
    async with client(emulator) as http:
        response = await http.get("/api/v1/campaigns")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected(emulator.records("campaigns"))


async def test_envelope_option_wraps_auto_selected_records_with_status_fields() -> None:
    config = source(resource("prospects"))
    options = EmulatorOptions(records=3, envelopes={"prospects": "data.prospects"})
    emulator = Emulator(config, options)
    async with client(emulator) as http:
        body = (await http.get("/api/v1/prospects")).json()
    assert body == {
        "data": {"prospects": emulator.records("prospects")},
        "status": "success",
        "message": "OK",
    }


async def test_envelope_option_is_ignored_when_the_config_names_a_selector() -> None:
    config = source(resource("prospects", data_selector="items"))
    emulator = Emulator(config, EmulatorOptions(records=2, envelopes={"prospects": "x.y"}))
    async with client(emulator) as http:
        body = (await http.get("/api/v1/prospects")).json()
    assert body == {"items": emulator.records("prospects")}


async def test_auto_selector_with_a_body_paginator_puts_records_under_data() -> None:
    paginator = {"type": "cursor", "cursor_path": "meta.next", "cursor_param": "c"}
    emulator = Emulator(source(resource("events", paginator=paginator)), EmulatorOptions(records=3))
    async with client(emulator) as http:
        body = (await http.get("/api/v1/events")).json()
    assert body == {"data": emulator.records("events"), "meta": {"next": None}}


async def test_total_lands_next_to_the_records() -> None:
    paginator = {"type": "offset", "limit": 2, "total_path": "data.total"}
    config = source(resource("items", data_selector="data.items", paginator=paginator))
    emulator = Emulator(config, EmulatorOptions(records=5, include_total=True))
    async with client(emulator) as http:
        body = (await http.get("/api/v1/items", params={"offset": 4, "limit": 2})).json()
    assert body == {"data": {"items": emulator.records("items")[4:], "total": 5}}


BAD_SELECTORS = [
    ("recursive-descent", "$..items", "recursive descent"),
    ("index", "$.items[0]", "'[0]' is not supported"),
    ("filter", "$.items[?(@.a)]", "not supported"),
    ("trailing-dot", "data.", "ends with '.'"),
]


@pytest.mark.parametrize(
    ("selector", "message"),
    [(s, m) for _, s, m in BAD_SELECTORS],
    ids=[i for i, *_ in BAD_SELECTORS],
)
def test_selectors_the_emulator_cannot_build_are_config_errors(selector: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        Emulator(source(resource("items"), resource("other", data_selector=selector)))
    assert caught.value.location == "resources[1].endpoint.data_selector"


def test_root_list_selector_cannot_carry_a_cursor() -> None:
    paginator = {"type": "cursor"}
    with pytest.raises(ConfigError, match="whole body a list") as caught:
        Emulator(source(resource("items", data_selector="$", paginator=paginator)))
    assert caught.value.location == "resources[0].endpoint.data_selector"


def test_records_and_total_on_the_same_key_collide() -> None:
    paginator = {"type": "page_number", "base_page": 1, "total_path": "data"}
    config = source(resource("items", data_selector="data", paginator=paginator))
    with pytest.raises(ConfigError, match="collide"):
        Emulator(config, EmulatorOptions(include_total=True))
