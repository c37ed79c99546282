"""normalize: the dialect rewrites, resource_defaults merging, secrets, and refusals."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from config_samples import CRM_SEED, SALES_SEED, config, seed

from restsync import ConfigError
from restsync.config import normalize


def _endpoint(raw: dict[str, Any], index: int = 0) -> Any:
    return normalize(raw)["resources"][index]["endpoint"]


REWRITES = [
    (
        "resource-as-string",
        config("campaigns"),
        lambda n: n["resources"][0],
        {"name": "campaigns", "endpoint": {"path": "campaigns"}},
    ),
    (
        "endpoint-as-string",
        config({"name": "a", "endpoint": "/things"}),
        lambda n: n["resources"][0]["endpoint"],
        {"path": "/things"},
    ),
    (
        "no-endpoint-reads-name",
        config({"name": "users"}),
        lambda n: n["resources"][0]["endpoint"],
        {"path": "users"},
    ),
    (
        "endpoint-without-path-reads-name",
        config({"name": "users", "endpoint": {"params": {"a": 1}}}),
        lambda n: n["resources"][0]["endpoint"]["path"],
        "users",
    ),
    (
        "paginator-string",
        config({"name": "a", "endpoint": {"paginator": "single_page"}}),
        lambda n: n["resources"][0]["endpoint"]["paginator"],
        {"type": "single_page"},
    ),
    (
        "client-paginator-string-stays-on-client",
        config(client={"paginator": "auto"}),
        lambda n: (n["client"]["paginator"], "paginator" in n["resources"][0]["endpoint"]),
        ({"type": "auto"}, False),
    ),
    (
        "start-from-page-is-base-page",
        config(
            {"name": "a", "endpoint": {"paginator": {"type": "page_number", "start_from_page": 1}}}
        ),
        lambda n: n["resources"][0]["endpoint"]["paginator"],
        {"type": "page_number", "base_page": 1},
    ),
    (
        "json-response-is-json-link",
        config({"name": "a", "endpoint": {"paginator": {"type": "json_response"}}}),
        lambda n: n["resources"][0]["endpoint"]["paginator"],
        {"type": "json_link"},
    ),
    (
        "api-key-param-is-query",
        config(client={"auth": {"type": "api_key", "api_key": "k", "location": "param"}}),
        lambda n: n["client"]["auth"]["location"],
        "query",
    ),
    (
        "bearer-inferred-from-token",
        config(client={"auth": {"token": "t"}}),
        lambda n: n["client"]["auth"],
        {"type": "bearer", "token": "t"},
    ),
    (
        "selector-list-is-tuple",
        config({"name": "a", "endpoint": {"data_selector": ["data", "items"]}}),
        lambda n: n["resources"][0]["endpoint"]["data_selector"],
        ("data", "items"),
    ),
    (
        "selector-empty-list-is-auto",
        config({"name": "a", "endpoint": {"data_selector": []}}),
        lambda n: n["resources"][0]["endpoint"]["data_selector"],
        None,
    ),
    (
        "selector-dollar-is-the-whole-body",
        config({"name": "a", "endpoint": {"data_selector": "$"}}),
        lambda n: n["resources"][0]["endpoint"]["data_selector"],
        "$",
    ),
    (
        "selector-empty-string-is-auto",
        config({"name": "a", "endpoint": {"data_selector": ""}}),
        lambda n: n["resources"][0]["endpoint"]["data_selector"],
        None,
    ),
    (
        "selector-jsonpath-kept",
        config({"name": "a", "endpoint": {"data_selector": "$.list[*].record"}}),
        lambda n: n["resources"][0]["endpoint"]["data_selector"],
        "$.list[*].record",
    ),
    (
        "json-key-kept",
        config({"name": "a", "endpoint": {"method": "POST", "json": {"q": 1}}}),
        lambda n: n["resources"][0]["endpoint"]["json"],
        {"q": 1},
    ),
    (
        "source-name-kept",
        config(name="crm"),
        lambda n: n["name"],
        "crm",
    ),
    (
        "include-from-parent-kept",
        config("users", {"name": "posts", "include_from_parent": ["id"]}),
        lambda n: n["resources"][1]["include_from_parent"],
        ["id"],
    ),
]


@pytest.mark.parametrize(
    ("raw", "pick", "expected"), [case[1:] for case in REWRITES], ids=[c[0] for c in REWRITES]
)
def test_dialect_rewrites(raw: dict[str, Any], pick: Any, expected: Any) -> None:
    assert pick(normalize(raw)) == expected


DEFAULTS_CASES = [
    (
        "resource-values-win",
        {"primary_key": "id", "write_disposition": "merge"},
        {"name": "a", "write_disposition": "replace"},
        {"primary_key": "id", "write_disposition": "replace"},
    ),
    (
        "endpoint-merged-key-by-key",
        {"endpoint": {"paginator": {"type": "single_page"}, "data_selector": "data"}},
        {"name": "a", "endpoint": {"path": "/a", "data_selector": "items"}},
        {
            "endpoint": {
                "path": "/a",
                "data_selector": "items",
                "paginator": {"type": "single_page"},
            }
        },
    ),
    (
        "params-merged",
        {"endpoint": {"params": {"per_page": 50, "sort": "id"}}},
        {"name": "a", "endpoint": {"params": {"sort": "name"}}},
        {"endpoint": {"path": "a", "params": {"per_page": 50, "sort": "name"}}},
    ),
    (
        "defaults-endpoint-for-string-resource",
        {"endpoint": {"params": {"per_page": 50}}},
        "a",
        {"endpoint": {"path": "a", "params": {"per_page": 50}}},
    ),
    (
        "defaults-paginator-string",
        {"endpoint": {"paginator": "single_page"}},
        {"name": "a"},
        {"endpoint": {"path": "a", "paginator": {"type": "single_page"}}},
    ),
]


@pytest.mark.parametrize(
    ("defaults", "resource", "expected"),
    [case[1:] for case in DEFAULTS_CASES],
    ids=[case[0] for case in DEFAULTS_CASES],
)
def test_resource_defaults_merge_like_dlt(
    defaults: dict[str, Any], resource: Any, expected: dict[str, Any]
) -> None:
    normalized = normalize(config(resource, resource_defaults=defaults))
    # kept beside the merged resources: validated on its own, as dlt does
    assert normalized["resource_defaults"].keys() == defaults.keys()
    merged = normalized["resources"][0]
    assert {key: merged[key] for key in expected} == expected


def test_resources_do_not_share_default_dicts() -> None:
    normalized = normalize(config("a", "b", resource_defaults={"endpoint": {"params": {"x": 1}}}))
    first, second = normalized["resources"]
    first["endpoint"]["params"]["x"] = 2
    assert second["endpoint"]["params"] == {"x": 1}


@pytest.mark.parametrize("raw", [SALES_SEED, CRM_SEED], ids=["sales-seed", "crm-seed"])
def test_caller_dict_is_not_modified(raw: dict[str, Any]) -> None:
    before = copy.deepcopy(raw)
    normalized = normalize(raw)
    assert raw == before
    normalized["resources"][0]["endpoint"]["path"] = "/changed"
    normalized["client"]["auth"]["type"] = "changed"
    assert raw == before


def test_normalize_is_idempotent() -> None:
    once = normalize(seed(SALES_SEED))
    assert normalize(once) == once


def test_secret_from_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCESS_TOKEN", "from-env")
    raw = config(client={"auth": {"type": "bearer", "token": {"secret": "access_token"}}})
    assert normalize(raw, secrets={"access_token": "given"})["client"]["auth"]["token"] == "given"


def test_secret_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCESS_TOKEN", "from-env")
    raw = config(client={"headers": {"X-Token": {"secret": "access_token"}}})
    assert normalize(raw)["client"]["headers"] == {"X-Token": "from-env"}


def test_missing_secret_says_how_to_set_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESTSYNC_TEST_NEVER_SET", raising=False)
    raw = config(client={"auth": {"token": {"secret": "restsync_test_never_set"}}})
    with pytest.raises(ConfigError) as caught:
        normalize(raw)
    assert caught.value.location == "client.auth.token"
    assert caught.value.detail == (
        "secret 'restsync_test_never_set' is not set: export RESTSYNC_TEST_NEVER_SET=... "
        'or add restsync_test_never_set = "..." to .dlt/secrets.toml'
    )


def test_secret_in_a_list_is_resolved() -> None:
    raw = config({"name": "a", "endpoint": {"params": {"keys": [{"secret": "k"}, "plain"]}}})
    params = normalize(raw, secrets={"k": "v"})["resources"][0]["endpoint"]["params"]
    assert params == {"keys": ["v", "plain"]}
