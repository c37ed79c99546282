"""validate: valid configs in both dialects, and invalid ones with their exact message."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import requests
from config_samples import CRM_SEED, CRM_TOKEN, SALES_SEED, SALES_TOKEN, config, seed

from restsync import ConfigError
from restsync.config import (
    ApiKeyAuth,
    BearerAuth,
    PageNumberPaginator,
    SourceConfig,
    validate,
)


def _at(model: Any, location: str) -> Any:
    """The value at a dotted location such as ``resources[1].endpoint.paginator``."""
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", location):
        model = model[int(index)] if index else getattr(model, name)
    return model


VALID_CONFIGS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "sales-seed",
        seed(SALES_SEED),
        {
            "client.auth.name": "X-API-KEY",
            "client.auth.location": "header",
            "resources[0].primary_key": "id",
            "resources[0].write_disposition": "merge",
            "resources[0].endpoint.data_selector": ("data", "campaigns"),
            "resources[0].endpoint.paginator.type": "single_page",
            "resources[1].endpoint.data_selector": None,
            "resources[1].endpoint.paginator.base_page": 1,
            "resources[1].endpoint.path": "/prospects",
        },
    ),
    (
        "crm-seed",
        seed(CRM_SEED),
        {
            "client.auth.type": "bearer",
            "resources[3].name": "documents",
            "resources[3].endpoint.path": "/opportunity_lines",
            "resources[8].endpoint.data_selector": "list.*.record",
            "resources[8].endpoint.paginator.limit": 100,
            "resources[8].endpoint.paginator.base_page": None,
            "resources[8].primary_key": "id",
        },
    ),
    (
        "string-resources-and-client-paginator",
        config("users", "posts", client={"paginator": "header_link"}),
        {
            "client.paginator.type": "header_link",
            "resources[1].endpoint.path": "posts",
            "resources[1].endpoint.paginator": None,
            "resources[1].write_disposition": "append",
        },
    ),
    (
        "resolve-param-child",
        config(
            "users",
            {
                "name": "posts",
                "endpoint": {
                    "path": "users/{user_id}/posts",
                    "params": {"user_id": {"type": "resolve", "resource": "users", "field": "id"}},
                },
                "include_from_parent": ["name"],
            },
        ),
        {
            "resources[1].parent": "users",
            "resources[1].include_from_parent": ("name",),
            "resources[1].endpoint.path": "users/{resources.users.id}/posts",
            "resources[1].endpoint.params": {},
        },
    ),
    (
        "post-with-json-and-offset",
        config(
            {
                "name": "search",
                "endpoint": {
                    "path": "/search",
                    "method": "POST",
                    "json": {"query": "x"},
                    "paginator": {"type": "offset", "limit": 50},
                },
            },
            name="searcher",
        ),
        {
            "name": "searcher",
            "resources[0].endpoint.json_body": {"query": "x"},
            "resources[0].endpoint.paginator.limit_param": "limit",
        },
    ),
    (
        "http-basic-and-retry",
        config(
            client={
                "auth": {"type": "http_basic", "username": "u", "password": "p"},
                "retry": {"max_retries": 5},
                "limits": {"requests_per_second": 2},
            }
        ),
        {"client.auth.username": "u", "client.retry.max_retries": 5},
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [case[1:] for case in VALID_CONFIGS], ids=[c[0] for c in VALID_CONFIGS]
)
def test_valid_configs(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(raw)
    validated = validate(raw)
    assert isinstance(validated, SourceConfig)
    assert raw == before
    for location, value in expected.items():
        assert _at(validated, location) == value, location


def test_seed_secrets_become_secret_str() -> None:
    sales = validate(seed(SALES_SEED))
    crm = validate(seed(CRM_SEED))
    assert isinstance(sales.client.auth, ApiKeyAuth)
    assert sales.client.auth.api_key.get_secret_value() == SALES_TOKEN
    assert isinstance(crm.client.auth, BearerAuth)
    assert crm.client.auth.token.get_secret_value() == CRM_TOKEN
    assert CRM_TOKEN not in repr(crm)


def test_client_paginator_is_not_copied_into_endpoints() -> None:
    validated = validate(config("a", client={"paginator": {"type": "page_number"}}))
    assert isinstance(validated.client.paginator, PageNumberPaginator)
    assert validated.resources[0].endpoint.paginator is None


def _session(**attributes: Any) -> requests.Session:
    session = requests.Session()
    for name, value in attributes.items():
        setattr(session, name, value)
    return session


def _resource(**endpoint: Any) -> dict[str, Any]:
    return {"name": "items", "endpoint": {"path": "/items", **endpoint}}


PAGINATORS = "single_page, page_number, offset, cursor, header_cursor, json_link, header_link, auto"
AUTHS = "api_key, bearer, http_basic, oauth2_client_credentials"

INVALID_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "dialect-key-misspelt",
        config(_resource(paginator={"type": "page_number", "start_from_pag": 1})),
        "resources[0].endpoint.paginator.start_from_pag",
        "unknown key 'start_from_pag' (did you mean 'start_from_page'?)",
    ),
    (
        "resource-hint-misspelt",
        config({"name": "a", "table_formt": "delta"}),
        "resources[0].table_formt",
        "unknown key 'table_formt' (did you mean 'table_format'?)",
    ),
    (
        "paginator-type-misspelt",
        config("a", _resource(paginator={"type": "pagenumber"})),
        "resources[1].endpoint.paginator.type",
        f"unknown paginator type 'pagenumber' (did you mean 'page_number'?); allowed: {PAGINATORS}",
    ),
    (
        "paginator-string-misspelt",
        config(_resource(paginator="single-page")),
        "resources[0].endpoint.paginator",
        "unknown paginator type 'single-page' (did you mean 'single_page'?); "
        f"allowed: {PAGINATORS}",
    ),
    (
        "paginator-without-type",
        config(client={"paginator": {"page_param": "p"}}),
        "client.paginator.type",
        f"paginator type is not given; allowed: {PAGINATORS}",
    ),
    (
        "paginator-limit-negative",
        config("a", _resource(paginator={"type": "page_number", "limit": -5})),
        "resources[1].endpoint.paginator.limit",
        "must be greater than 0, got -5",
    ),
    (
        "paginator-key-misspelt",
        config(_resource(paginator={"type": "cursor", "cursor_pth": "next"})),
        "resources[0].endpoint.paginator.cursor_pth",
        "unknown key 'cursor_pth' (did you mean 'cursor_path'?)",
    ),
    (
        "start-from-page-negative",
        config(_resource(paginator={"type": "page_number", "start_from_page": -1})),
        "resources[0].endpoint.paginator.start_from_page",
        "must be greater than or equal to 0, got -1",
    ),
    (
        "start-from-page-and-base-page",
        config(_resource(paginator={"type": "page_number", "start_from_page": 1, "base_page": 1})),
        "resources[0].endpoint.paginator.start_from_page",
        "give either start_from_page or base_page, not both: both mean the number of the first "
        "page",
    ),
    (
        "endpoint-key-misspelt",
        config(_resource(pagenator="single_page")),
        "resources[0].endpoint.pagenator",
        "unknown key 'pagenator' (did you mean 'paginator'?)",
    ),
    (
        "resource-key-misspelt",
        config({"name": "a", "endpont": "/a"}),
        "resources[0].endpont",
        "unknown key 'endpont' (did you mean 'endpoint'?)",
    ),
    (
        "unknown-key-without-suggestion",
        config({"name": "a", "zzz": 1}),
        "resources[0].zzz",
        "unknown key 'zzz'; allowed: endpoint, name, primary_key, merge_key, write_disposition, "
        "table_name, columns, include_from_parent, selected, max_table_nesting, "
        "processing_steps, parallelized, schema_contract, table_format, file_format, "
        "nested_hints, references",
    ),
    (
        "top-level-key-misspelt",
        {"client": {"base_url": "https://x.example"}, "resource": ["a"]},
        "resource",
        "unknown top-level key 'resource' (did you mean 'resources'?); "
        "allowed: name, client, resources, resource_defaults",
    ),
    (
        "defaults-key-misspelt",
        config("a", "b", resource_defaults={"primary_kye": "id"}),
        "resource_defaults.primary_kye",
        "unknown key 'primary_kye' (did you mean 'primary_key'?)",
    ),
    (
        "defaults-write-disposition-misspelt",
        config("a", "b", resource_defaults={"write_disposition": "mrege"}),
        "resource_defaults.write_disposition",
        "'mrege' is not allowed (did you mean 'merge'?); allowed: 'append', 'replace', 'merge'",
    ),
    (
        "method-not-allowed",
        config(_resource(method="PUT")),
        "resources[0].endpoint.method",
        "'PUT' is not allowed; allowed: 'GET', 'POST'",
    ),
    (
        "selector-wrong-type",
        config(_resource(data_selector=5)),
        "resources[0].endpoint.data_selector",
        "must be a string or a list, got 5",
    ),
    (
        "selector-list-with-number",
        config(_resource(data_selector=["data", 0])),
        "resources[0].endpoint.data_selector[1]",
        "must be a string, got 0",
    ),
    (
        "auth-type-misspelt",
        config(client={"auth": {"type": "baerer", "token": "t"}}),
        "client.auth.type",
        f"unknown auth type 'baerer' (did you mean 'bearer'?); allowed: {AUTHS}",
    ),
    (
        "auth-as-string",
        config(client={"auth": "bearer"}),
        "client.auth",
        'auth \'bearer\' needs its credentials: write {"type": "bearer", "token": '
        '{"secret": "access_token"}}, or export SOURCES__REST_API__REST_API__CREDENTIALS__TOKEN'
        "=... or add it to .dlt/secrets.toml",
    ),
    (
        "auth-string-misspelt",
        config(client={"auth": "api-key"}),
        "client.auth",
        f"unknown auth type 'api-key' (did you mean 'api_key'?); allowed types: {AUTHS}",
    ),
    (
        "bearer-without-token",
        config(client={"auth": {"type": "bearer"}}),
        "client.auth.token",
        "required, but not given: export SOURCES__REST_API__REST_API__CREDENTIALS__TOKEN=... "
        "or add it to .dlt/secrets.toml",
    ),
    (
        "api-key-location",
        config(client={"auth": {"type": "api_key", "api_key": "k", "location": "body"}}),
        "client.auth.location",
        "'body' is not allowed; allowed: 'header', 'query', 'cookie'",
    ),
    (
        "oauth2-relative-token-url",
        config(
            client={
                "auth": {
                    "type": "oauth2_client_credentials",
                    "access_token_url": "/oauth/token",
                    "client_id": "id",
                    "client_secret": "secret",
                }
            }
        ),
        "client.auth.access_token_url",
        "access_token_url must be an absolute http(s) URL, such as "
        "https://auth.example.com/oauth/token",
    ),
    (
        "base-url-scheme",
        config(client={"base_url": "api.example.com"}),
        "client.base_url",
        "base_url must start with http:// or https://, got 'api.example.com'",
    ),
    (
        "base-url-no-host",
        config(client={"base_url": "https:///v1/"}),
        "client.base_url",
        "base_url 'https:///v1/' cannot be requested: it names no host",
    ),
    (
        "client-missing",
        {"resources": ["a"]},
        "client",
        "required, but not given",
    ),
    (
        "no-resources",
        {"client": {"base_url": "https://x.example"}, "resources": []},
        "resources",
        "must have at least 1 item, got an empty list",
    ),
    (
        "resource-not-a-mapping",
        config("a", 5),
        "resources[1]",
        'a resource must be a mapping such as {"name": "campaigns", "endpoint": '
        '{"path": "/campaigns"}} or a name string, got int',
    ),
    (
        "retry-out-of-range",
        config(client={"retry": {"max_retries": 100}}),
        "client.retry.max_retries",
        "must be less than or equal to 20, got 100",
    ),
    (
        "duplicate-resource-name",
        config("a", "b", {"name": "a", "endpoint": "/other"}),
        "resources[2].name",
        "resource 'a' is defined twice",
    ),
    (
        "resolve-unknown-parent",
        config(
            "users",
            _resource(
                path="/items/{id}",
                params={"id": {"type": "resolve", "resource": "usrs", "field": "id"}},
            ),
        ),
        "resources[1].endpoint.path",
        "no resource named 'usrs' (did you mean 'users'?); known resources: users, items",
    ),
    (
        "resolve-type-misspelt",
        config(_resource(params={"id": {"type": "resolv", "resource": "a", "field": "id"}})),
        "resources[0].endpoint.params.id.type",
        "'resolv' is not allowed (did you mean 'resolve'?); allowed: 'resolve', 'incremental'",
    ),
    (
        "incremental-param-with-end-value",
        config(
            _resource(
                params={"since": {"type": "incremental", "cursor_path": "ts", "end_value": "2025"}}
            )
        ),
        "resources[0].endpoint.params.since",
        "an incremental query parameter carries only the start value: move the incremental "
        "to endpoint.incremental to set end_value (with end_param)",
    ),
    (
        "two-incremental-params",
        config(
            _resource(
                params={
                    "since": {"type": "incremental", "cursor_path": "ts"},
                    "after": {"type": "incremental", "cursor_path": "ts"},
                }
            )
        ),
        "resources[0].endpoint",
        "only one incremental parameter is allowed per endpoint, found since, after",
    ),
    (
        "incremental-end-without-initial",
        config(_resource(incremental={"cursor_path": "ts", "end_value": 10})),
        "resources[0].endpoint.incremental",
        "end_value needs an initial_value: the range to load is initial_value up to end_value",
    ),
    (
        "incremental-key-misspelt",
        config(_resource(incremental={"cursor_path": "ts", "initial_valu": 1})),
        "resources[0].endpoint.incremental.initial_valu",
        "unknown key 'initial_valu' (did you mean 'initial_value'?)",
    ),
    (
        "incremental-param-key-misspelt",
        config(_resource(params={"since": {"type": "incremental", "cursor_pth": "ts"}})),
        "resources[0].endpoint.params.since.cursor_path",
        "required, but not given\n  also resources[0].endpoint.params.since.cursor_pth: "
        "unknown key 'cursor_pth' (did you mean 'cursor_path'?)",
    ),
    (
        "incremental-range-misspelt",
        config(_resource(incremental={"cursor_path": "ts", "range_start": "opened"})),
        "resources[0].endpoint.incremental.range_start",
        "'opened' is not allowed (did you mean 'open'?); allowed: 'open', 'closed'",
    ),
    (
        "processing-step-not-callable",
        config({"name": "a", "processing_steps": [{"filter": "id > 2"}]}),
        "resources[0].processing_steps[0].filter",
        "must be callable, got 'id > 2'",
    ),
    (
        "processing-step-misspelt",
        config({"name": "a", "processing_steps": [{"fliter": lambda row: True}]}),
        "resources[0].processing_steps[0].fliter",
        "unknown key 'fliter' (did you mean 'filter'?)",
    ),
    (
        "response-action-misspelt",
        config(_resource(response_actions=[{"status_code": 404, "action": "ingore"}])),
        "resources[0].endpoint.response_actions[0].action",
        "'ingore' is not an action (did you mean 'ignore'?); allowed: 'ignore', a callable, "
        "or a list of callables",
    ),
    (
        "response-action-ignores-everything",
        config(_resource(response_actions=[{"action": "ignore"}])),
        "resources[0].endpoint.response_actions[0].action",
        "'ignore' needs a status_code or content to match, or every response would be ignored",
    ),
    (
        "cursor-param-and-body-path",
        config(
            _resource(paginator={"type": "cursor", "cursor_param": "c", "cursor_body_path": "c"})
        ),
        "resources[0].endpoint.paginator.cursor_body_path",
        "give either cursor_param (the cursor goes in the query) or cursor_body_path (it goes in "
        "the JSON body), not both",
    ),
    (
        "json-and-data",
        config(_resource(json={"q": 1}, data={"q": 1})),
        "resources[0].endpoint.data",
        "give either json (a JSON body) or data (a form or raw body), not both",
    ),
    (
        "session-proxies",
        config(client={"session": _session(proxies={"https": "http://proxy:3128"})}),
        "client.session.proxies",
        "restsync takes proxies from the environment, not from a session: set HTTPS_PROXY (and "
        "NO_PROXY) instead of session.proxies",
    ),
    (
        "session-verify-off",
        config(client={"session": _session(verify=False)}),
        "client.session.verify",
        "restsync always verifies TLS certificates against the system's CAs: point "
        "SSL_CERT_FILE at the CA certificate that signs the API's certificate and drop "
        "session.verify",
    ),
    (
        "callable-param",
        config(_resource(params={"since": lambda: "2024"})),
        "resources[0].endpoint.params.since",
        "a Python function cannot be part of a config: write a plain value: a string, number, "
        "boolean, list or mapping",
    ),
    (
        "secret-without-name",
        config(client={"auth": {"token": {"secret": ""}}}),
        "client.auth.token",
        'a secret reference needs a name, e.g. {"secret": "access_token"}',
    ),
    (
        "header-key-with-dash",
        config(client={"headers": {"X-Api-Version": 2}}),
        "client.headers['X-Api-Version']",
        "must be a string, got 2",
    ),
]


@pytest.mark.parametrize(
    ("raw", "location", "message"),
    [case[1:] for case in INVALID_CONFIGS],
    ids=[case[0] for case in INVALID_CONFIGS],
)
def test_invalid_configs(raw: dict[str, Any], location: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    assert caught.value.location == location
    assert caught.value.detail == message
    assert str(caught.value) == f"{location}: {message}"


def test_several_problems_are_listed_up_to_three() -> None:
    raw = config(
        _resource(method="PUT", data_selector=5, paginator={"type": "offset", "limit": 0}),
        {"name": "b", "write_disposition": "upsert"},
    )
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    lines = str(caught.value).splitlines()
    assert lines[0] == "resources[0].endpoint.method: 'PUT' is not allowed; allowed: 'GET', 'POST'"
    assert (
        lines[1] == "  also resources[0].endpoint.data_selector: must be a string or a list, got 5"
    )
    assert lines[2] == "  also resources[0].endpoint.paginator.limit: must be greater than 0, got 0"
    assert lines[3] == "  (1 more problem not shown)"
    assert len(lines) == 4


def test_errors_merged_in_from_defaults_are_reported_once() -> None:
    raw = config("a", "b", "c", resource_defaults={"endpoint": {"paginator": {"type": "offst"}}})
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    assert caught.value.location == "resource_defaults.endpoint.paginator.type"
    assert "also" not in str(caught.value)


def test_union_errors_are_not_dumped() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(config(_resource(data_selector={"a": 1})))
    text = str(caught.value)
    assert len(text) < 400
    for member in ("valid string", "valid tuple", "tuple[", "Input should"):
        assert member not in text


SECRET = "sk-live-7Gq2WnXz"

LEAKS = [
    ("auth-type-misspelt", config(client={"auth": {"type": "berer", "token": SECRET}})),
    ("auth-key-misspelt", config(client={"auth": {"type": "api_key", "api_kye": SECRET}})),
    ("token-pasted-as-auth", config(client={"auth": SECRET})),
    ("password-wrong-type", config(client={"auth": {"username": "u", "password": [SECRET]}})),
    ("secret-as-base-url", config(client={"base_url": {"secret": "url"}})),
    ("secret-as-method", config(_resource(method={"secret": "url"}))),
    (
        "secret-in-header",
        config(client={"headers": {"Authorization": {"secret": "n"}}, "timeout": -1}),
    ),
    ("token-wrong-type", config(client={"auth": {"type": "bearer", "token": 12345678}})),
]


@pytest.mark.parametrize("raw", [case[1] for case in LEAKS], ids=[case[0] for case in LEAKS])
def test_secret_values_never_appear_in_messages(raw: dict[str, Any]) -> None:
    secrets = {"url": SECRET, "n": SECRET}
    with pytest.raises(ConfigError) as caught:
        validate(raw, secrets=secrets)
    text = f"{caught.value} {caught.value.location} {caught.value.detail}"
    assert SECRET not in text
    assert "12345678" not in text
    assert caught.value.__cause__ is None  # pydantic's own text quotes inputs


def test_literal_secret_under_unmasked_key_is_scrubbed() -> None:
    raw = config(
        _resource(paginator={"type": "offset", "limit": SECRET}),
        client={"auth": {"type": "bearer", "token": SECRET}},
    )
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    assert SECRET not in str(caught.value)
    assert caught.value.location == "resources[0].endpoint.paginator.limit"
