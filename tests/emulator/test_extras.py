"""The emulator's server side of OAuth2 client credentials, session cookies, form bodies, header
and body cursors, and children it does not have."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator_helpers import SECRET, client, ids, resource, source

from restsync.emulator import Emulator, EmulatorOptions

PATH = "/api/v1/items"


def _oauth() -> dict[str, Any]:
    return {
        "type": "oauth2_client_credentials",
        "access_token_url": "https://api.example.com/oauth/token",
        "client_id": "me",
        "client_secret": SECRET,
        "access_token_request_data": {"audience": "items"},
    }


async def test_token_endpoint_hands_out_tokens_the_endpoints_accept_until_they_expire() -> None:
    api = Emulator(source(resource("items"), auth=_oauth()), EmulatorOptions(token_lifetime=0.2))
    form = {"grant_type": "client_credentials", "client_id": "me", "client_secret": SECRET}
    async with client(api) as http:
        refused = await http.post("/oauth/token", data={**form, "client_secret": "wrong"})
        missing = await http.post("/oauth/token", data=form)  # no audience
        granted = await http.post("/oauth/token", data={**form, "audience": "items"})
        token = granted.json()["access_token"]
        without = await http.get(PATH)
        with_token = await http.get(PATH, headers={"Authorization": f"Bearer {token}"})
        await asyncio.sleep(0.2 + 1.0)  # the lifetime and the emulator's grace
        expired = await http.get(PATH, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert missing.status_code == 400
    assert granted.json()["expires_in"] == 0.2
    assert (without.status_code, with_token.status_code, expired.status_code) == (401, 200, 401)


async def test_session_cookie_required() -> None:
    api = Emulator(source(resource("items"), headers={"Cookie": "sid=abc; theme=dark"}))
    async with client(api) as http:
        partial = await http.get(PATH, headers={"Cookie": "sid=abc"})
        full = await http.get(PATH, headers={"Cookie": "theme=dark; sid=abc"})
    assert partial.status_code == 401
    assert "theme" in partial.json()["message"]
    assert full.status_code == 200


async def test_form_body_checked() -> None:
    items = resource("items", method="POST", data={"status": "active", "n": 3})
    api = Emulator(source(items))
    async with client(api) as http:
        right = await http.post(PATH, data={"status": "active", "n": "3"})
        wrong = await http.post(PATH, data={"status": "closed", "n": "3"})
        as_json = await http.post(PATH, json={"status": "active", "n": 3})
    assert right.status_code == 200
    assert wrong.status_code == 400
    assert as_json.status_code == 400


async def test_header_cursor_and_body_cursor() -> None:
    header = resource("items", paginator={"type": "header_cursor", "cursor_key": "X-Next"})
    body = resource(
        "users",
        method="POST",
        json={"q": 1},
        paginator={"type": "cursor", "cursor_path": "next", "cursor_body_path": "page.after"},
    )
    api = Emulator(source(header, body), EmulatorOptions(records=12, page_size=5))
    async with client(api) as http:
        first = await http.get(PATH)
        second = await http.get(PATH, params={"cursor": first.headers["X-Next"]})
        page = await http.post("/api/v1/users", json={"q": 1})
        following = await http.post(
            "/api/v1/users", json={"q": 1, "page": {"after": page.json()["next"]}}
        )
    assert ids(second.json()) == [6, 7, 8, 9, 10]  # a bare list: the cursor is in a header
    assert ids(following.json()["data"]) == [6, 7, 8, 9, 10]


async def test_missing_children_answer_404_and_are_not_expected() -> None:
    parent = resource("items", paginator={"type": "single_page"})
    child = resource(
        "notes",
        path="items/{resources.items.id}/notes",
        paginator={"type": "single_page"},
    )
    api = Emulator(source(parent, child), EmulatorOptions(records=9, missing_children_every=3))
    async with client(api) as http:
        gone = await http.get(f"{PATH}/3/notes")
        there = await http.get(f"{PATH}/4/notes")
    assert gone.status_code == 404
    assert there.status_code == 200
    assert {r["items_id"] for r in api.records("notes")} <= {1, 2, 4, 5, 7, 8}
