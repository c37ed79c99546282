"""The two seed configs exactly as their documents write them, with ``dlt.secrets[...]``
replaced by literal strings, plus a small helper to build variants of a minimal config."""

from __future__ import annotations

import copy
from typing import Any

SALES_TOKEN = "sales-key-Zq81x"
CRM_TOKEN = "crm-token-Hf27p"

SALES_SEED: dict[str, Any] = {
    "client": {
        "base_url": "https://api.example.com/api/v1/",
        "auth": {
            "type": "api_key",
            "name": "X-API-KEY",
            "api_key": SALES_TOKEN,
            "location": "header",
        },
    },
    "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
    "resources": [
        {
            "name": "campaigns",
            "endpoint": {
                "path": "/campaigns",
                "data_selector": ["data", "campaigns"],
                "paginator": {"type": "single_page"},
            },
        },
        {
            "name": "prospects",
            "endpoint": {
                "path": "/prospects",
                "data_selector": [],
                "paginator": {"type": "page_number", "page_param": "page", "start_from_page": 1},
            },
        },
    ],
}


def _crm_resource(name: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "endpoint": {
            "path": path,
            "data_selector": "list.*.record",
            "paginator": {
                "type": "page_number",
                "page_param": "page",
                "limit_param": "limit",
                "limit": 100,
            },
        },
    }


CRM_SEED: dict[str, Any] = {
    "client": {
        "base_url": "https://api.example.com",
        "auth": {"type": "bearer", "token": CRM_TOKEN},
    },
    "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
    "resources": [
        _crm_resource("accounts", "/accounts"),
        _crm_resource("contacts", "/contacts"),
        _crm_resource("opportunities", "/opportunities"),
        _crm_resource("documents", "/opportunity_lines"),
        _crm_resource("campaigns", "/campaigns"),
        _crm_resource("cases", "/cases"),
        _crm_resource("activities", "/activities"),
        _crm_resource("opportunity_histories", "/opportunityhistories"),
        _crm_resource("opportunity_lines", "/opportunity_lines"),
    ],
}

BASE_URL = "https://api.example.com"


def config(*resources: Any, **top: Any) -> dict[str, Any]:
    """A minimal valid config; keyword ``client`` entries are merged into the client dict."""
    client = {"base_url": BASE_URL, **top.pop("client", {})}
    return {"client": client, "resources": list(resources) or ["items"], **top}


def seed(which: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(which)
