"""The configs a benchmark runs: the seeds' own code blocks as written (restsync's drop-in
path and ``restsync.sync`` both run them), and the same APIs fixed by hand into the dialect
dlt's own ``rest_api_source`` accepts.

The emulators serve the built-in connectors (``crm``, ``sales_engagement``): their column
hints shape the generated records, on top of which the ``realistic`` record shape adds lists,
nested objects and mixed types. The clients get no column hints at all, as in the seeds, so
restsync and dlt both infer every table and type from the data, and must agree on it.

What the hand fixes for dlt are, and why (dlt 1.31 reads configs literally):

- CRM: the seed's paginator never says where pages start (dlt would start at 0 and, against an
  API whose page 0 is empty, stop at once) and uses ``limit_param``/``limit``, which dlt's
  ``page_number`` paginator does not know: ``base_page: 1``, ``limit: 100`` moved into the
  endpoint params, ``total_path: None`` (the API sends no total; dlt stops at the first empty
  page). ``list.*.record`` is written as the JSONPath ``list[*].record``.
- sales engagement: ``start_from_page`` is ``base_page``; the records sit in
  ``data.prospects`` (the seed's ``[]`` would load whole envelopes and never stop paging).
- credentials are inline in every config: the seeds' ``dlt.secrets[...]`` become the values.
"""

from __future__ import annotations

import copy
from typing import Any

from restsync import connectors

CRM_TOKEN = "bench-access-token"
SALES_KEY = "bench-api-key"
CRM_SECRETS = {"access_token": CRM_TOKEN}
SALES_SECRETS = {"api_key": SALES_KEY}

#: the CRM seed's resources, in its order: (name, endpoint path)
CRM_SEED_RESOURCES = (
    ("accounts", "/accounts"),
    ("contacts", "/contacts"),
    ("opportunities", "/opportunities"),
    ("documents", "/opportunity_lines"),
    ("campaigns", "/campaigns"),
    ("cases", "/cases"),
    ("activities", "/activities"),
    ("opportunity_histories", "/opportunityhistories"),
    ("opportunity_lines", "/opportunity_lines"),
)


def crm_config(*, requests_per_second: float | None = None) -> dict[str, Any]:
    """The ``crm`` connector's config (what the emulator serves), optionally with a client
    rate limit."""
    config = copy.deepcopy(connectors.get("crm").config)
    if requests_per_second is not None:
        config["client"].setdefault("limits", {})["requests_per_second"] = requests_per_second
    return config


def crm_resources() -> list[str]:
    return [name for name, _ in CRM_SEED_RESOURCES]


def crm_seed_config(base_url: str) -> dict[str, Any]:
    """Seed 002's ``rest_api_source`` dict as written (the token inline)."""
    return {
        "client": {"base_url": base_url, "auth": {"type": "bearer", "token": CRM_TOKEN}},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {
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
            for name, path in CRM_SEED_RESOURCES
        ],
    }


def crm_dlt_config(base_url: str) -> dict[str, Any]:
    """The CRM seed fixed by hand for dlt's ``rest_api_source``."""
    return {
        "client": {"base_url": base_url, "auth": {"type": "bearer", "token": CRM_TOKEN}},
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
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
            {"name": name, "endpoint": {"path": path}} for name, path in CRM_SEED_RESOURCES
        ],
    }


def prospects_config() -> dict[str, Any]:
    """The ``sales_engagement`` connector reduced to its ``prospects`` resource (what the
    emulator serves)."""
    config = copy.deepcopy(connectors.get("sales_engagement").config)
    config["resources"] = [r for r in config["resources"] if r["name"] == "prospects"]
    return config


_SALES_AUTH = {"type": "api_key", "name": "X-API-KEY", "api_key": SALES_KEY, "location": "header"}


def _prospects(
    base_url: str, selector: Any, paginator: dict[str, Any], maximum_page: int | None
) -> dict[str, Any]:
    if maximum_page is not None:
        paginator["maximum_page"] = maximum_page
    return {
        "client": {"base_url": base_url, "auth": dict(_SALES_AUTH)},
        "resource_defaults": {"primary_key": "id", "write_disposition": "merge"},
        "resources": [
            {
                "name": "prospects",
                "endpoint": {
                    "path": "/prospects",
                    "data_selector": selector,
                    "paginator": paginator,
                },
            }
        ],
    }


def prospects_seed_config(base_url: str, *, maximum_page: int | None = None) -> dict[str, Any]:
    """Seed 000's ``rest_api_source`` dict as written (the API key inline), reduced to its
    ``prospects`` resource; ``maximum_page`` (exclusive, dlt's meaning) cuts a run short."""
    paginator = {"type": "page_number", "page_param": "page", "start_from_page": 1}
    return _prospects(base_url, [], paginator, maximum_page)


def prospects_dlt_config(base_url: str, *, maximum_page: int | None = None) -> dict[str, Any]:
    """``prospects`` fixed by hand for dlt; ``maximum_page`` as in ``prospects_seed_config``."""
    paginator = {"type": "page_number", "page_param": "page", "base_page": 1, "total_path": None}
    return _prospects(base_url, "data.prospects", paginator, maximum_page)
