"""Which URL paths the emulator serves: dlt's joining of base_url and path, shared paths,
child resources under path templates or query params, and 404s."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import client, ids, resource, source

from restsync._exceptions import ConfigError
from restsync.emulator import Emulator, EmulatorOptions

JOINS = [
    ("base-with-slash", "https://h.example/api/v1/", "/campaigns", "/api/v1/campaigns"),
    ("base-without-slash", "https://h.example/api/v1", "/campaigns", "/api/v1/campaigns"),
    ("relative-path", "https://h.example/api/v1/", "campaigns", "/api/v1/campaigns"),
    ("bare-host", "https://h.example", "/accounts", "/accounts"),
    ("empty-path-is-base", "https://h.example/api/list/", "", "/api/list"),
    ("absolute-url-path", "https://h.example/api/", "https://h.example/other/x", "/other/x"),
]


@pytest.mark.parametrize(
    ("base_url", "path", "served"), [j[1:] for j in JOINS], ids=[j[0] for j in JOINS]
)
async def test_paths_join_like_dlt(base_url: str, path: str, served: str) -> None:
    emulator = Emulator(source(resource("things", path), base_url=base_url), EmulatorOptions(3))
    async with client(emulator) as http:
        response = await http.get(served)
        with_slash = await http.get(served.rstrip("/") + "/")
    assert response.status_code == 200
    assert ids(response.json()) == [1, 2, 3]
    assert with_slash.json() == response.json()


async def test_unknown_path_is_a_json_404() -> None:
    emulator = Emulator(source(resource("campaigns")))
    async with client(emulator) as http:
        response = await http.get("/api/v1/campains")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found"
    assert "/api/v1/campaigns" in body["message"]


async def test_resources_sharing_a_path_serve_the_same_data() -> None:
    config = source(
        resource("documents", "/opportunity_lines", data_selector="list.*.record"),
        resource("opportunity_lines", "/opportunity_lines", data_selector="list.*.record"),
    )
    emulator = Emulator(config, EmulatorOptions(records={"opportunity_lines": 7}))
    async with client(emulator) as http:
        body = (await http.get("/api/v1/opportunity_lines")).json()
    served = [item["record"] for item in body["list"]]
    assert served == emulator.records("documents") == emulator.records("opportunity_lines")
    assert len(served) == 7


def notes_config(path: str, params: dict[str, Any], **endpoint: Any) -> Any:
    return source(
        resource("campaigns", data_selector="data"),
        resource("notes", path, params=params, **endpoint),
    )


async def test_child_path_template_serves_notes_per_parent() -> None:
    config = notes_config("/campaigns/{resources.campaigns.id}/notes", {})
    emulator = Emulator(config, EmulatorOptions(records=40))
    collected: list[dict[str, Any]] = []
    counts = []
    async with client(emulator) as http:
        parents = (await http.get("/api/v1/campaigns")).json()["data"]
        for parent in parents:
            response = await http.get(f"/api/v1/campaigns/{parent['id']}/notes")
            assert response.status_code == 200
            counts.append(len(response.json()))
            collected += response.json()
    assert collected == emulator.records("notes")
    assert set(counts) == {0, 1, 2, 3}
    assert len(set(ids(collected))) == len(collected)  # keys never clash across parents
    assert all(note["campaigns_id"] in range(1, 41) for note in collected)


async def test_child_records_depend_only_on_the_parent_value() -> None:
    config = notes_config("/campaigns/{resources.campaigns.id}/notes", {})
    first, second = Emulator(config), Emulator(config, EmulatorOptions(records=5))
    async with client(first) as a, client(second) as b:
        for parent in ("3", "17", "abc-uuid"):
            path = f"/api/v1/campaigns/{parent}/notes"
            assert (await a.get(path)).json() == (await b.get(path)).json()


async def test_child_resolved_as_query_param() -> None:
    config = notes_config("/notes", {"campaign": "{resources.campaigns.id}"})
    emulator = Emulator(config, EmulatorOptions(records=12))
    collected: list[dict[str, Any]] = []
    async with client(emulator) as http:
        missing = await http.get("/api/v1/notes")
        for parent_id in range(1, 13):
            collected += (await http.get("/api/v1/notes", params={"campaign": parent_id})).json()
    assert missing.status_code == 400
    assert "'campaign' is required" in missing.json()["message"]
    assert collected == emulator.records("notes")


async def test_child_resource_paginates_per_parent() -> None:
    paginator = {"type": "offset", "limit": 2}
    config = notes_config(
        "/campaigns/{resources.campaigns.id}/notes",
        {},
        paginator=paginator,
        data_selector="data",
    )
    emulator = Emulator(config, EmulatorOptions(records=20))
    collected: list[dict[str, Any]] = []
    async with client(emulator) as http:
        for parent_id in range(1, 21):
            offset = 0
            while batch := (
                await http.get(
                    f"/api/v1/campaigns/{parent_id}/notes", params={"offset": offset, "limit": 2}
                )
            ).json()["data"]:
                collected += batch
                offset += 2
    assert collected == emulator.records("notes")


def test_grandchildren_follow_the_chain() -> None:
    config = source(
        resource("campaigns"),
        resource("notes", "/campaigns/{resources.campaigns.id}/notes"),
        resource("replies", "/notes/{resources.notes.id}/replies"),
    )
    emulator = Emulator(config, EmulatorOptions(records=30))
    note_ids = set(ids(emulator.records("notes")))
    replies = emulator.records("replies")
    assert replies
    assert {reply["notes_id"] for reply in replies} <= note_ids


def test_nested_parent_field() -> None:
    config = notes_config("/owners/{resources.campaigns.owner.id}/notes", {})
    emulator = Emulator(config, EmulatorOptions(records=10))
    owners = [c["owner"]["id"] for c in emulator.records("campaigns")]
    assert {n["campaigns_id"] for n in emulator.records("notes")} <= set(owners)


def test_records_of_an_unknown_resource_suggest_the_right_name() -> None:
    emulator = Emulator(source(resource("campaigns")))
    with pytest.raises(ConfigError, match="did you mean 'campaigns'"):
        emulator.records("campaign")
