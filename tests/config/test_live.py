"""Live objects at the config boundary: a requests.Session becomes the plain parts restsync
honours; callables and paginator objects stay live at the places dlt calls them."""

from __future__ import annotations

from typing import Any

import requests
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from restsync.config import CustomPaginator, HttpBasicAuth, validate


def _config(client: dict[str, Any], **resource: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": "https://api.example.com/v1", **client},
        "resources": [{"name": "items", **resource}],
    }


def test_session_headers_cookies_and_auth_become_client_settings() -> None:
    session = requests.Session()
    session.headers.update({"X-Tenant": "acme", "Accept": "application/json"})
    session.cookies.set("sid", "s3ss10n", domain="api.example.com")
    session.cookies.set("other", "elsewhere", domain="other.example.org")
    session.auth = ("ann", "pa55word")
    config = validate(_config({"session": session, "headers": {"X-Tenant": "mine"}}))
    headers = config.client.headers
    assert headers["X-Tenant"] == "mine"  # the config's own headers win
    assert headers["Accept"] == "application/json"
    assert headers["Cookie"] == "sid=s3ss10n"  # only the cookies meant for base_url's host
    assert "User-Agent" not in headers  # requests' defaults are not the user's
    assert isinstance(config.client.auth, HttpBasicAuth)
    assert config.client.auth.username == "ann"


def test_config_auth_wins_over_the_session_auth() -> None:
    session = requests.Session()
    session.auth = ("ann", "pa55word")
    config = validate(_config({"session": session, "auth": {"token": "t0ken"}}))
    assert config.client.auth is not None
    assert config.client.auth.type == "bearer"


def test_callables_and_paginator_objects_stay_live_and_the_dict_is_untouched() -> None:
    def keep(record: dict[str, Any]) -> bool:
        return True

    class MyLinks(JSONLinkPaginator):
        """A user's subclass stays live (a fresh dlt JSONLinkPaginator becomes json_link)."""

    paginator = MyLinks(next_url_path="links.next")
    raw = _config(
        {},
        endpoint={"paginator": paginator, "response_actions": [keep]},
        processing_steps=[{"filter": keep}],
    )
    config = validate(raw)
    endpoint = config.resources[0].endpoint
    assert isinstance(endpoint.paginator, CustomPaginator)
    assert endpoint.paginator.instance is paginator
    assert endpoint.response_actions == (keep,)
    assert config.resources[0].processing_steps[0].filter is keep
    assert raw["resources"][0]["endpoint"]["paginator"] is paginator
