"""Side by side with live Python objects in the config, as dlt users write them: dlt's auth
classes and a user's own ``AuthConfigBase`` subclass; both tools land the same tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.common.configuration import configspec
from dlt.extract.exceptions import ResourceExtractionError
from dlt.sources.helpers.rest_client.auth import (
    APIKeyAuth,
    AuthConfigBase,
    BearerTokenAuth,
    HttpBasicAuth,
)
from dlt.sources.helpers.rest_client.paginators import (
    HeaderLinkPaginator,
    JSONLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)

from parity.blog_api import API_KEY, BASIC, POSTS, TOKEN
from parity.harness import load_both
from restsync import FatalAPIError, load_config, rest_api_source


@configspec
class SignedAuth(AuthConfigBase):
    """A user's auth class: adds its own header, as requests calls it."""

    def __call__(self, request: Any) -> Any:
        request.headers["X-Blog-Key"] = API_KEY
        return request


AUTHS = [
    pytest.param(BearerTokenAuth(token=TOKEN), id="bearer"),
    pytest.param(APIKeyAuth(name="key", api_key=API_KEY, location="query"), id="api_key_query"),
    pytest.param(HttpBasicAuth(*BASIC), id="http_basic"),
    pytest.param(SignedAuth(), id="user_subclass"),
]


def _config(url: str, auth: Any) -> dict[str, Any]:
    return {
        "client": {"base_url": f"{url}/", "auth": auth},
        "resources": [{"name": "posts", "endpoint": {"path": "private/posts"}}],
    }


@pytest.mark.parametrize("auth", AUTHS)
def test_auth_objects_load_what_dlt_loads(auth: Any, blog_url: str, tmp_path: Path) -> None:
    tables = load_both(_config(blog_url, auth), tmp_path)

    assert len(tables["posts"].rows) == POSTS


#: auths that leave their credential out, and the field dlt reads it into from its config
#: providers under the source's section and name (``SOURCES__REST_API__BLOG__CREDENTIALS__...``)
INJECTED = [
    pytest.param("bearer", "TOKEN", TOKEN, id="type-name"),
    pytest.param({"type": "api_key", "name": "X-Blog-Key"}, "API_KEY", API_KEY, id="dict"),
    pytest.param(HttpBasicAuth(BASIC[0]), "PASSWORD", BASIC[1], id="object"),
]


@pytest.mark.parametrize(("auth", "field", "value"), INJECTED)
def test_credentials_an_auth_leaves_out_are_read_from_dlts_config(
    auth: Any,
    field: str,
    value: str,
    blog_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(f"SOURCES__REST_API__BLOG__CREDENTIALS__{field}", value)

    tables = load_both(_config(blog_url, auth), tmp_path, name="blog")

    assert len(tables["posts"].rows) == POSTS


def test_a_user_auth_object_that_signs_wrongly_is_refused(blog_url: str) -> None:
    @configspec
    class WrongAuth(AuthConfigBase):
        def __call__(self, request: Any) -> Any:
            request.headers["X-Blog-Key"] = "wrong"
            return request

    source = rest_api_source(_config(blog_url, WrongAuth()))
    # dlt wraps what the resource raised when it is iterated on its own
    with pytest.raises(ResourceExtractionError) as caught:
        list(source.resources["posts"])
    assert isinstance(caught.value.__cause__, FatalAPIError)
    assert caught.value.__cause__.status == 401


def test_dlt_resources_in_resources_join_the_source(blog_url: str, tmp_path: Path) -> None:
    @dlt.resource(name="authors", primary_key="id")
    def authors() -> Iterator[list[dict[str, Any]]]:
        yield [{"id": n, "name": f"author {n}"} for n in range(4)]

    config = _config(blog_url, BearerTokenAuth(token=TOKEN))
    config["resources"].append(authors)

    tables = load_both(config, tmp_path)

    assert {name: len(table.rows) for name, table in tables.items()} == {
        "posts": POSTS,
        "posts__tags": sum(n % 4 for n in range(1, POSTS + 1)),
        "authors": 4,
    }


PICKED = (2, 3, 7)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("{resources.picked.id}", id="reference"),
        pytest.param("{post_id}", id="resolve"),
    ],
)
def test_config_resources_read_the_records_of_a_dlt_resource(
    reference: str, blog_url: str, tmp_path: Path
) -> None:
    @dlt.resource(name="picked", selected=False)
    def picked() -> Iterator[list[dict[str, Any]]]:
        yield [{"id": n} for n in PICKED]

    params = {"post_id": {"type": "resolve", "resource": "picked", "field": "id"}}
    config = {
        "client": {"base_url": f"{blog_url}/"},
        "resources": [
            {
                "name": "post",
                "endpoint": {
                    "path": f"posts/{reference}",
                    **({"params": params} if reference == "{post_id}" else {}),
                },
            },
            picked(),
            {
                "name": "comments",
                "include_from_parent": ["title"],
                "endpoint": {"path": "posts/{resources.post.id}/comments", "data_selector": "data"},
            },
        ],
    }

    tables = load_both(config, tmp_path)

    assert sorted(tables) == ["comments", "post", "post__tags"]
    assert [row[sorted(tables["post"].columns).index("id")] for row in tables["post"].rows] == [
        *PICKED
    ]
    title = sorted(tables["comments"].columns).index("_post_title")
    titles = sorted(row[title] for row in tables["comments"].rows)
    assert titles == sorted(f"post {n}" for n in PICKED for _ in range(n % 4))


def test_a_table_name_function_names_each_records_table(blog_url: str, tmp_path: Path) -> None:
    config = _config(blog_url, BearerTokenAuth(token=TOKEN))
    config["resources"][0]["table_name"] = lambda post: (
        "published" if post["published"] else "drafts"
    )

    tables = load_both(config, tmp_path)

    counts = {name: len(table.rows) for name, table in tables.items() if "__" not in name}
    assert counts == {"published": POSTS - POSTS // 3, "drafts": POSTS // 3}


PAGINATORS = [
    pytest.param(
        "posts", PageNumberPaginator(base_page=1, total_path="total"), "page_number", id="page"
    ),
    pytest.param("posts", OffsetPaginator(limit=4, total_path="total"), "offset", id="offset"),
    pytest.param("linked/posts", JSONLinkPaginator(next_url_path="next"), "json_link", id="link"),
    pytest.param("header/posts", HeaderLinkPaginator(), "header_link", id="header_link"),
]


@pytest.mark.parametrize(("path", "paginator", "kind"), PAGINATORS)
def test_dlt_paginator_objects_page_as_their_config_does(
    path: str, paginator: Any, kind: str, blog_url: str, tmp_path: Path
) -> None:
    config = {
        "client": {"base_url": f"{blog_url}/"},
        "resources": [{"name": "posts", "endpoint": {"path": path, "paginator": paginator}}],
    }

    tables = load_both(config, tmp_path)

    assert len(tables["posts"].rows) == POSTS
    # a fresh instance of dlt's own class is restsync's paginator of that type (concurrent
    # where the type allows), not a live object run page by page
    assert load_config(config).resources[0].endpoint.paginator.type == kind
