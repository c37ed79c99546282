"""The configs a benchmark runs: the built-in connectors as restsync reads them, and the same
APIs fixed by hand into the dialect dlt's own ``rest_api_source`` accepts.

What the hand fixes are, and why (dlt 1.31 reads configs literally):

- CRM: the seed's paginator never says where pages start (dlt would start at 0 and, against an
  API whose page 0 is empty, stop at once) and uses ``limit_param``/``limit``, which dlt's
  ``page_number`` paginator does not know: ``base_page: 1``, ``limit: 100`` moved into the
  endpoint params, ``total_path: None`` (the API sends no total; dlt stops at the first empty
  page). ``list.*.record`` is written as the JSONPath ``list[*].record``.
- sales engagement: ``start_from_page`` is ``base_page``; the records sit in
  ``data.prospects`` (the seed's ``[]`` would load whole envelopes and never stop paging).
- credentials are inline: dlt has no ``{secret: NAME}`` references.
"""

from __future__ import annotations

import copy
from typing import Any

from restsync import connectors

CRM_TOKEN = "bench-access-token"
SALES_KEY = "bench-api-key"
CRM_SECRETS = {"access_token": CRM_TOKEN}
SALES_SECRETS = {"api_key": SALES_KEY}


def crm_config(*, requests_per_second: float | None = None) -> dict[str, Any]:
    """The ``crm`` connector's config, optionally with a client rate limit."""
    config = copy.deepcopy(connectors.get("crm").config)
    if requests_per_second is not None:
        config["client"].setdefault("limits", {})["requests_per_second"] = requests_per_second
    return config


def crm_resources() -> list[str]:
    return list(connectors.get("crm").resource_names)


def crm_dlt_config(base_url: str) -> dict[str, Any]:
    """The CRM seed fixed by hand for dlt's ``rest_api_source``."""
    connector = connectors.get("crm").config
    defaults = connector["resource_defaults"]
    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "bearer", "token": CRM_TOKEN},
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "columns": copy.deepcopy(defaults["columns"]),
            "endpoint": {
                "params": {"limit": 100},
                "data_selector": "list[*].record",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "base_page": 1,
                    "total_path": None,
                },
            },
        },
        "resources": [
            {"name": r["name"], "endpoint": {"path": r["endpoint"]["path"]}}
            for r in connector["resources"]
        ],
    }


def _prospects(config: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in config["resources"] if r["name"] == "prospects")


def prospects_config() -> dict[str, Any]:
    """The ``sales_engagement`` connector reduced to its ``prospects`` resource."""
    config = copy.deepcopy(connectors.get("sales_engagement").config)
    config["resources"] = [_prospects(config)]
    return config


def prospects_dlt_config(base_url: str, *, maximum_page: int | None = None) -> dict[str, Any]:
    """``prospects`` fixed by hand for dlt; ``maximum_page`` (exclusive, dlt's meaning) cuts
    the run short so dlt's slow path loads only part of the same API."""
    resource = _prospects(connectors.get("sales_engagement").config)
    paginator: dict[str, Any] = {
        "type": "page_number",
        "page_param": "page",
        "base_page": 1,
        "total_path": None,
    }
    if maximum_page is not None:
        paginator["maximum_page"] = maximum_page
    return {
        "client": {
            "base_url": base_url,
            "auth": {
                "type": "api_key",
                "name": "X-API-KEY",
                "api_key": SALES_KEY,
                "location": "header",
            },
        },
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {
                "name": "prospects",
                "columns": copy.deepcopy(resource["columns"]),
                "endpoint": {
                    "path": "/prospects",
                    "data_selector": "data.prospects",
                    "paginator": paginator,
                },
            }
        ],
    }
