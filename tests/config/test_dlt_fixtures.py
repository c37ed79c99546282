"""dlt's rest_api is the oracle: every config in ``VALID`` builds a source with dlt 1.31 AND with
restsync; every config in ``INVALID`` is refused by both when the source is built, restsync
with a ``ConfigError`` at the expected location. No request is made: both only build.

The cases are ours, in the spirit of dlt's own ``VALID_CONFIGS``/``INVALID_CONFIGS`` fixtures.
Where they load the same API, ``tests/parity`` compares the tables the two tools land.
"""

from __future__ import annotations

import copy
from typing import Any

import dlt
import pytest
from dlt.extract import DltResource
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source

from restsync import ConfigError
from restsync import rest_api_source as restsync_rest_api_source

BASE_URL = "https://api.example.com/v1/"


def config(*resources: Any, **top: Any) -> dict[str, Any]:
    client = {"base_url": BASE_URL, **top.pop("client", {})}
    return {"client": client, "resources": list(resources), **top}


def child(path: str, name: str = "comments", **endpoint: Any) -> dict[str, Any]:
    return {"name": name, "endpoint": {"path": path, **endpoint}}


RESOLVE_POST = {"type": "resolve", "resource": "posts", "field": "id"}


def posts_of_sections(parent: str = "sections") -> dict[str, Any]:
    """A child that fills its path from a resolve param on ``parent``'s records."""
    resolve = {"type": "resolve", "resource": parent, "field": "slug"}
    return child("sections/{section}/posts", name="posts", params={"section": resolve})


@dlt.resource(name="sections", selected=False)
def sections() -> Any:
    """A seed list the caller's own code yields: the parent of config resources."""
    yield [{"slug": "news"}, {"slug": "sport"}]


VALID: list[tuple[str, dict[str, Any]]] = [
    ("names-only", config("posts", "users")),
    ("endpoint-as-string", config({"name": "posts", "endpoint": "blog/posts"})),
    ("client-paginator-string", config("posts", client={"paginator": "json_link"})),
    (
        "page-number-bounded",
        config(
            {
                "name": "posts",
                "endpoint": {
                    "paginator": {
                        "type": "page_number",
                        "base_page": 1,
                        "total_path": None,
                        "maximum_page": 5,
                    }
                },
            }
        ),
    ),
    (
        "offset-and-cursor",
        config(
            {"name": "a", "endpoint": {"paginator": {"type": "offset", "limit": 50}}},
            {"name": "b", "endpoint": {"paginator": {"type": "cursor", "cursor_param": "c"}}},
        ),
    ),
    ("header-link", config({"name": "a", "endpoint": {"paginator": "header_link"}})),
    ("bearer", config("posts", client={"auth": {"type": "bearer", "token": "t0ken-value"}})),
    (
        "api-key-in-query",
        config(
            "posts",
            client={
                "auth": {"type": "api_key", "name": "key", "api_key": "k3y", "location": "query"}
            },
        ),
    ),
    (
        "http-basic",
        config("posts", client={"auth": {"type": "http_basic", "username": "u", "password": "p"}}),
    ),
    (
        "resource-defaults-merged",
        config(
            "posts",
            {"name": "users", "write_disposition": "append"},
            resource_defaults={
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {"params": {"per_page": 50}},
            },
        ),
    ),
    (
        "resolve-param-in-path",
        config(
            "posts",
            {
                **child("posts/{post_id}/comments", params={"post_id": RESOLVE_POST}),
                "include_from_parent": ["title"],
            },
        ),
    ),
    ("reference-in-path", config("posts", child("posts/{resources.posts.id}/comments"))),
    (
        "reference-in-params",
        config("posts", child("comments", params={"post": "{resources.posts.id}"})),
    ),
    (
        "reference-in-json",
        config(
            "posts",
            child("search", method="POST", json={"filter": {"post": "{resources.posts.id}"}}),
        ),
    ),
    (
        "reference-in-headers",
        config("posts", child("comments", headers={"X-Post": "{resources.posts.id}"})),
    ),
    (
        "reference-to-a-nested-field",
        config("posts", child("authors/{resources.posts.author.id}")),
    ),
    (
        "grandchild",
        config(
            "posts",
            child("posts/{resources.posts.id}/comments"),
            child("comments/{resources.comments.id}/likes", name="likes"),
        ),
    ),
    (
        "fixed-path-param",
        config({"name": "posts", "endpoint": {"path": "{section}", "params": {"section": "blog"}}}),
    ),
    (
        "fixed-and-resolve-path-params",
        config(
            "posts",
            child("{section}/{post_id}/comments", params={"section": "p", "post_id": RESOLVE_POST}),
        ),
    ),
    (
        "escaped-braces",
        config({"name": "posts", "endpoint": {"path": "posts", "params": {"q": "{{raw}}"}}}),
    ),
    ("whole-body-selector", config({"name": "me", "endpoint": {"data_selector": "$"}})),
    (
        "write-disposition-dict",
        config(
            {
                "name": "posts",
                "primary_key": "id",
                "write_disposition": {"disposition": "merge", "strategy": "upsert"},
            }
        ),
    ),
    (
        "dlt-resource-hints",
        config(
            {
                "name": "posts",
                "parallelized": True,
                "schema_contract": {"columns": "freeze"},
                "table_format": "native",
                "file_format": "parquet",
                "nested_hints": {"tags": {"write_disposition": "replace"}},
                "references": [
                    {
                        "referenced_table": "users",
                        "columns": ["author_id"],
                        "referenced_columns": ["id"],
                    }
                ],
            },
            "users",
        ),
    ),
    (
        "dlt-resource-parent-by-reference",
        config(child("sections/{resources.sections.slug}/posts", name="posts"), sections()),
    ),
    (
        "dlt-resource-parent-by-resolve-with-grandchild",
        config(
            sections(),
            posts_of_sections(),
            child("posts/{resources.posts.id}/comments"),
        ),
    ),
    (
        "columns-as-a-list",
        config(
            {
                "name": "posts",
                "columns": [
                    {"name": "id", "data_type": "bigint"},
                    {"name": "title", "data_type": "text", "nullable": False},
                ],
            },
            resource_defaults={"columns": [{"name": "id", "nullable": False}]},
        ),
    ),
]

INVALID: list[tuple[str, dict[str, Any], str]] = [
    (
        "bad-default-overridden-everywhere",
        config(
            {"name": "posts", "write_disposition": "append"},
            resource_defaults={"write_disposition": "upsert"},
        ),
        "resource_defaults.write_disposition",
    ),
    (
        "bad-schema-contract",
        config({"name": "posts", "schema_contract": "frozen"}),
        "resources[0].schema_contract",
    ),
    (
        "unbound-path-placeholder",
        config(child("posts/{post_id}/comments")),
        "resources[0].endpoint.path",
    ),
    (
        "unknown-context-in-path",
        config("posts", child("posts/{resource.posts.id}/comments")),
        "resources[1].endpoint.path",
    ),
    (
        "unknown-context-in-params",
        config("posts", child("comments", params={"post": "{unknown.posts.id}"})),
        "resources[1].endpoint.params.post",
    ),
    (
        "plain-placeholder-in-params",
        config(child("comments", params={"post": "{post_id}"})),
        "resources[0].endpoint.params.post",
    ),
    (
        "plain-placeholder-in-json",
        config(child("comments", method="POST", json={"post": "{post_id}"})),
        "resources[0].endpoint.json.post",
    ),
    (
        "incremental-placeholder-without-incremental",
        config(child("comments", params={"since": "{incremental.start_value}"})),
        "resources[0].endpoint.params.since",
    ),
    (
        "unknown-parent",
        config("posts", child("posts/{resources.post.id}/comments")),
        "resources[1].endpoint.path",
    ),
    (
        "malformed-reference",
        config("posts", child("posts/{resources.posts}/comments")),
        "resources[1].endpoint.path",
    ),
    (
        "two-parents",
        config(
            "posts",
            "users",
            child("comments/{resources.posts.id}", params={"u": "{resources.users.id}"}),
        ),
        "resources[2].endpoint.params.u",
    ),
    (
        "cycle",
        config(
            child("a/{resources.b.id}", name="a"),
            child("b/{resources.a.id}", name="b"),
        ),
        "resources[0].endpoint",
    ),
    (
        "own-parent",
        config(child("posts/{resources.posts.id}", name="posts")),
        "resources[0].endpoint",
    ),
    (
        "resolve-param-not-in-path",
        config("posts", child("comments", params={"post": RESOLVE_POST})),
        "resources[1].endpoint.params.post",
    ),
    (
        "resolve-param-to-unknown-parent",
        config(
            "posts",
            child(
                "posts/{id}/comments",
                params={"id": {"type": "resolve", "resource": "pots", "field": "id"}},
            ),
        ),
        "resources[1].endpoint.path",
    ),
    (
        "param-type-misspelt",
        config(child("comments", params={"x": {"type": "resolved", "resource": "a"}})),
        "resources[0].endpoint.params.x.type",
    ),
    (
        "include-from-parent-without-parent",
        config({"name": "posts", "include_from_parent": ["id"]}),
        "resources[0].include_from_parent",
    ),
    # where the user wrote the value: the string is the resource's name, the paginator's type
    ("duplicate-name", config("posts", "posts"), "resources[1]"),
    (
        "unknown-paginator",
        config({"name": "posts", "endpoint": {"paginator": "page_numbr"}}),
        "resources[0].endpoint.paginator",
    ),
    (
        "offset-without-limit",
        config({"name": "posts", "endpoint": {"paginator": {"type": "offset"}}}),
        "resources[0].endpoint.paginator.limit",
    ),
    (
        "unknown-auth-type",
        config("posts", client={"auth": {"type": "bearr", "token": "t"}}),
        "client.auth.type",
    ),
    (
        "misspelt-resource-key",
        config({"name": "posts", "primary_ky": "id"}),
        "resources[0].primary_ky",
    ),
    (
        "misspelt-nested-hint-key",
        config({"name": "posts", "nested_hints": {"tags": {"write_dispostion": "replace"}}}),
        "resources[0].nested_hints.tags.write_dispostion",
    ),
    (
        "auth-type-name-without-credentials-in-dlts-config",
        config("posts", client={"auth": "api_key"}),
        "client.auth",
    ),
    (
        "auth-object-without-credentials-in-dlts-config",
        config("posts", {"name": "users", "endpoint": {"auth": HttpBasicAuth("user")}}),
        "resources[1].endpoint.auth.password",
    ),
    (
        "unmatched-brace",
        config({"name": "posts", "endpoint": {"path": "posts/{id"}}),
        "resources[0].endpoint.path",
    ),
    # a dlt resource listed in "resources" counts: locations index the list the user wrote
    (
        "dlt-resource-then-unknown-paginator",
        config(sections(), {"name": "posts", "endpoint": {"paginator": {"type": "nope"}}}),
        "resources[1].endpoint.paginator.type",
    ),
    (
        "dlt-resource-in-the-middle-then-misspelt-key",
        config("posts", sections(), {"name": "users", "primary_ky": "id"}),
        "resources[2].primary_ky",
    ),
    (
        "dlt-resource-in-the-middle-then-unknown-parent",
        config("posts", sections(), child("sections/{resources.sectons.slug}/posts", name="c")),
        "resources[2].endpoint.path",
    ),
    (
        "dlt-resource-then-resolve-to-unknown-parent",
        config(sections(), posts_of_sections("sectons")),
        "resources[1].endpoint.path",
    ),
    (
        "dlt-resource-then-cycle",
        config(
            sections(),
            child("a/{resources.b.id}", name="a"),
            child("b/{resources.a.id}", name="b"),
        ),
        "resources[1].endpoint",
    ),
    ("dlt-resource-then-duplicate-name", config(sections(), "posts", "posts"), "resources[2]"),
    (
        "dlt-resource-then-unbound-path-placeholder",
        config(sections(), child("posts/{post_id}/comments")),
        "resources[1].endpoint.path",
    ),
    (
        "dlt-resource-then-auth-without-credentials-in-dlts-config",
        config(sections(), "posts", {"name": "users", "endpoint": {"auth": HttpBasicAuth("u")}}),
        "resources[2].endpoint.auth.password",
    ),
    ("dlt-resource-then-not-a-resource", config(sections(), "posts", 5), "resources[2]"),
]


def _dlt_builds(raw: dict[str, Any]) -> None:
    dlt_rest_api_source(copy.deepcopy(raw))


def _name(resource: Any) -> str:
    if isinstance(resource, str):
        return resource
    return resource.name if isinstance(resource, DltResource) else str(resource["name"])


@pytest.mark.parametrize("raw", [case[1] for case in VALID], ids=[case[0] for case in VALID])
def test_dlt_and_restsync_accept(raw: dict[str, Any]) -> None:
    _dlt_builds(raw)
    source = restsync_rest_api_source(copy.deepcopy(raw))
    assert sorted(source.resources) == sorted(_name(r) for r in raw["resources"])


@pytest.mark.parametrize(
    ("raw", "location"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_dlt_and_restsync_refuse(raw: dict[str, Any], location: str) -> None:
    with pytest.raises(Exception) as refused_by_dlt:  # noqa: PT011 - dlt raises many kinds
        _dlt_builds(raw)
    assert not isinstance(refused_by_dlt.value, ConfigError)
    with pytest.raises(ConfigError) as refused:
        restsync_rest_api_source(copy.deepcopy(raw))
    assert refused.value.location == location, str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_callers_config_is_not_modified() -> None:
    for _, raw in VALID:
        # a dlt resource listed in the config is the caller's object, kept as it is
        kept = {id(r): r for r in raw["resources"] if isinstance(r, DltResource)}
        before = copy.deepcopy(raw, kept)
        restsync_rest_api_source(raw)
        assert raw == before


def test_credentials_an_auth_leaves_out_come_from_dlts_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCES__BLOGS__BLOG__CREDENTIALS__PASSWORD", "pw")
    auth = HttpBasicAuth("user")
    raw = config("posts", client={"auth": auth})
    dlt_rest_api_source(copy.deepcopy(raw), name="blog", section="blogs")

    source = restsync_rest_api_source(raw, name="blog", section="blogs")

    assert sorted(source.resources) == ["posts"]
    assert auth.password is None  # resolved on a copy, as the caller's config stays as it was
    with pytest.raises(ConfigError) as refused:
        restsync_rest_api_source(raw, name="blog")
    assert "SOURCES__REST_API__BLOG__CREDENTIALS__PASSWORD" in str(refused.value)


def test_every_problem_is_located_in_the_list_the_user_wrote() -> None:
    raw = config(
        sections(),
        {"name": "posts", "endpoint": {"paginator": {"type": "nope"}}},
        sections().with_name("tags"),
        {"name": "users", "primary_ky": "id"},
    )
    with pytest.raises(ConfigError) as refused:
        restsync_rest_api_source(raw)
    assert refused.value.location == "resources[1].endpoint.paginator.type"
    assert "\n  also resources[3].primary_ky: unknown key 'primary_ky'" in str(refused.value)


def test_a_live_object_in_a_config_resource_is_located_past_a_dlt_resource() -> None:
    raw = config(sections(), "posts", {"name": "users", "endpoint": {"params": {"q": object()}}})
    with pytest.raises(ConfigError) as refused:
        restsync_rest_api_source(raw)
    assert refused.value.location == "resources[2].endpoint.params.q"
