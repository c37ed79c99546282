"""Secrets never reach URLs, messages or errors."""

from __future__ import annotations

import html
import json
import traceback
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from http_fakes import ClientFactory, FakeAPI, Reply, free_port

import restsync.http as http_pkg
from restsync import APIError
from restsync.config import ClientConfig, SourceConfig, validate
from restsync.http import (
    HttpClient,
    RedactedError,
    RequestSpec,
    is_sensitive_name,
    redact_error,
    redact_text,
    redact_url,
    secret_values,
)

REDACT_CASES: list[tuple[str, str, tuple[str, ...], str]] = [
    (
        "plain",
        "https://api.example.com/v1/items?page=2",
        (),
        "https://api.example.com/v1/items?page=2",
    ),
    ("api_key", "https://h/x?api_key=abc&page=1", (), "https://h/x?api_key=***&page=1"),
    (
        "case-insensitive",
        "https://h/x?API_KEY=abc&Token=t",
        (),
        "https://h/x?API_KEY=***&Token=***",
    ),
    ("apikey", "https://h/x?apikey=abc", (), "https://h/x?apikey=***"),
    ("key", "https://h/x?key=abc", (), "https://h/x?key=***"),
    ("access_token", "https://h/x?access_token=abc", (), "https://h/x?access_token=***"),
    ("secret", "https://h/x?secret=abc", (), "https://h/x?secret=***"),
    ("password", "https://h/x?password=abc", (), "https://h/x?password=***"),
    ("signature", "https://h/x?signature=abc&sig=def", (), "https://h/x?signature=***&sig=***"),
    ("auth", "https://h/x?auth=abc", (), "https://h/x?auth=***"),
    ("client_secret", "https://h/x?client_secret=abc", (), "https://h/x?client_secret=***"),
    ("suffix-key", "https://h/x?x-api-key=abc", (), "https://h/x?x-api-key=***"),
    ("not-sensitive", "https://h/x?monkey=1&keyword=2", (), "https://h/x?monkey=1&keyword=2"),
    ("userinfo", "https://ann:pw@h/x", (), "https://ann:***@h/x"),
    ("user-only", "https://ann@h/x", (), "https://ann@h/x"),
    ("secret-in-path", "https://h/hooks/S3CRET/x", ("S3CRET",), "https://h/hooks/***/x"),
    ("secret-in-odd-param", "https://h/x?q=S3CRET", ("S3CRET",), "https://h/x?q=***"),
    ("encoded-secret", "https://h/x?q=a%2Fb%2Bc", ("a/b+c",), "https://h/x?q=***"),
    ("plus-encoded-secret", "https://h/x?q=a+b", ("a b",), "https://h/x?q=***"),
    ("empty-secret-ignored", "https://h/x?page=1", ("",), "https://h/x?page=1"),
    ("blank-value", "https://h/x?token=&a=1", (), "https://h/x?token=***&a=1"),
]


@pytest.mark.parametrize(
    ("url", "secrets", "expected"),
    [case[1:] for case in REDACT_CASES],
    ids=[case[0] for case in REDACT_CASES],
)
def test_redact_url(url: str, secrets: tuple[str, ...], expected: str) -> None:
    assert redact_url(url, secrets) == expected


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("api_key", True),
        ("X-Api-Key", True),
        ("refresh_token", True),
        ("Authorization", True),
        ("page", False),
        ("keys", False),
        ("limit", False),
    ],
    ids=str,
)
def test_is_sensitive_name(name: str, sensitive: bool) -> None:
    assert is_sensitive_name(name) is sensitive


def test_secret_values_finds_every_secret() -> None:
    config = SourceConfig.model_validate(
        {
            "client": {
                "base_url": "https://api.example.com/",
                "auth": {"type": "bearer", "token": "client-token"},
                "headers": {"X-Api-Key": "header-key", "Accept": "application/json"},
            },
            "resources": [
                {
                    "name": "a",
                    "endpoint": {
                        "path": "a",
                        "params": {"access_token": "param-token", "page_size": 10},
                        "auth": {"type": "http_basic", "username": "u", "password": "ep-pass"},
                    },
                },
                {"name": "b", "endpoint": {"headers": {"Authorization": "Token tok-b"}}},
            ],
        }
    )
    values = set(secret_values(config))
    assert {"client-token", "header-key", "param-token", "ep-pass", "dTplcC1wYXNz"} <= values
    assert {"Token tok-b", "tok-b"} <= values
    assert "application/json" not in values
    assert "u" not in values
    client_only = set(secret_values(config.client))
    assert {"client-token", "header-key"} <= client_only
    assert "ep-pass" not in client_only


def test_a_base_url_password_is_basic_auth_and_a_secret() -> None:
    client = ClientConfig.model_validate({"base_url": "https://ann:p%40ss%20w@api.example.com/v1"})
    assert client.base_url == "https://api.example.com/v1"
    assert client.auth is not None
    assert client.auth.type == "http_basic"
    assert client.auth.username == "ann"
    assert client.auth.password.get_secret_value() == "p@ss w"
    assert "p@ss w" in secret_values(client)


def test_a_secret_reference_under_any_name_is_a_secret() -> None:
    config = validate(
        {
            "client": {"base_url": "https://api.example.com/"},
            "resources": [{"name": "a", "endpoint": {"params": {"appid": {"secret": "owm"}}}}],
        },
        secrets={"owm": "weather-key-123"},
    )
    assert "weather-key-123" in secret_values(config)
    assert "weather-key-123" in secret_values(config.model_copy())


ENCODED = "s3cr/t +k&y=é\"'<>"


@pytest.mark.parametrize(
    "form",
    [
        ENCODED,
        quote(ENCODED, safe=""),
        quote(ENCODED, safe="").lower(),
        quote(ENCODED),
        quote_plus(ENCODED),
        json.dumps(ENCODED)[1:-1],
        json.dumps(ENCODED)[1:-1].replace("/", "\\/").replace("\\u00e9", "\\u00E9"),
        json.dumps(ENCODED, ensure_ascii=False)[1:-1],
        json.dumps(quote_plus(ENCODED))[1:-1],
        html.escape(ENCODED),
    ],
    ids=[
        "raw", "percent", "percent-lowercase", "percent-keep-slash", "plus", "json",
        "json-escaped-slash", "json-unicode", "json-of-url", "html",
    ],
)  # fmt: skip
def test_redact_text_masks_every_encoding(form: str) -> None:
    assert redact_text(f"echo: <{form}> end", [ENCODED]) == "echo: <***> end"


def test_redact_text_leaves_short_values_alone() -> None:
    assert redact_text("a page of 10 ids", ["10", "id"]) == "a page of 10 ids"


def test_redact_error_masks_the_whole_chain() -> None:
    try:
        try:
            raise OSError(f"cannot reach https://h/x?k={SECRET}")
        except OSError as inner:
            raise APIError(f"failed: {SECRET}", resource="r", url=f"/x/{SECRET}") from inner
    except APIError as caught:
        error = caught
    assert redact_error(error, [SECRET]) is error
    assert SECRET not in str(error)
    assert SECRET not in error.url
    cause = error.__cause__
    assert isinstance(cause, RedactedError)
    assert str(cause) == "builtins.OSError: cannot reach https://h/x?k=***"
    assert cause.__traceback__ is not None
    assert all(SECRET not in line for line in traceback.format_exception(error))


SECRET = "p4ss-W0rd-which-must-never-leak"


def _assert_clean(exc: APIError) -> None:
    for text in (str(exc), exc.url, exc.hint, repr(exc)):
        assert SECRET not in text


@pytest.mark.parametrize(
    ("reply", "retry"),
    [
        (Reply(401, {"error": f"bad key {SECRET}"}), {}),
        (Reply(403, {"error": "forbidden", "echo": SECRET}), {}),
        (Reply(404, f"no route for /x?api_key={SECRET}"), {}),
        (Reply(400, {"error": f"bad param api_key={SECRET}"}), {}),
        (Reply(503, {"echo": SECRET}), {"max_retries": 1}),
        (Reply(429, {"echo": SECRET}, {"Retry-After": "100"}), {"max_backoff": 1}),
    ],
    ids=["401", "403", "404", "400", "503-exhausted", "429-wait-too-long"],
)
@pytest.mark.parametrize("location", ["query", "header"])
async def test_secret_never_in_error(
    api: FakeAPI, make_client: ClientFactory, reply: Reply, retry: dict[str, Any], location: str
) -> None:
    api.on("/v1/x", reply)
    auth = {"type": "api_key", "name": "api_key", "api_key": SECRET, "location": location}
    async with make_client(auth=auth, retry=retry) as http:
        with pytest.raises(APIError) as info:
            await http.send(RequestSpec("GET", "x", params={"q": SECRET}), resource="x")
    _assert_clean(info.value)
    assert "***" in info.value.url


async def test_secret_never_in_transport_error() -> None:
    base_url = f"http://user:{SECRET}@127.0.0.1:{free_port()}/"
    config = ClientConfig.model_validate({"base_url": base_url, "retry": {"max_retries": 0}})
    async with HttpClient(config) as real:
        with pytest.raises(APIError) as info:
            await real.send(RequestSpec("GET", f"x/{SECRET}"), resource="x")
    _assert_clean(info.value)
    assert info.value.url.count("***") == 1


def test_all_is_exported() -> None:
    for name in http_pkg.__all__:
        assert hasattr(http_pkg, name), name
    public = {n for n in dir(http_pkg) if not n.startswith("_")} - {"annotations"}
    assert public == set(http_pkg.__all__)
