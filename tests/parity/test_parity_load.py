"""Side by side: each config loads the blog API through dlt's ``rest_api_source`` and through
restsync's into two DuckDB files; the tables (names, columns and types, rows) are identical."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parity.blog_api import POSTS, comments
from parity.harness import Parity, load_both

POSTS_PAGED = {
    "name": "posts",
    "primary_key": "id",
    "endpoint": {
        "path": "posts",
        "data_selector": "data",
        "paginator": {"type": "page_number", "base_page": 1, "total_path": "total"},
    },
}
COMMENT_COUNT = sum(len(comments(n)) for n in range(1, POSTS + 1))


def _child(name: str, endpoint: dict[str, Any], **resource: Any) -> dict[str, Any]:
    return {"name": name, "primary_key": "id", "endpoint": endpoint, **resource}


#: (id, resources, the tables and row counts both must land)
CONFIGS: list[tuple[str, list[Any], dict[str, int]]] = [
    ("page_number", [POSTS_PAGED], {"posts": POSTS}),
    (
        "offset",
        [
            {
                "name": "posts",
                "endpoint": {
                    "path": "posts",
                    "paginator": {"type": "offset", "limit": 4},
                },
            }
        ],
        {"posts": POSTS},
    ),
    (
        "cursor",
        [{"name": "posts", "endpoint": {"path": "cursor/posts", "paginator": "cursor"}}],
        {"posts": POSTS},
    ),
    (
        "json_link",
        [
            {
                "name": "posts",
                "endpoint": {
                    "path": "linked/posts",
                    "data_selector": "data",
                    "paginator": {"type": "json_link", "next_url_path": "next"},
                },
            }
        ],
        {"posts": POSTS},
    ),
    *(
        (
            f"json_link_last_page_{ending}",
            [
                {
                    "name": "posts",
                    "endpoint": {
                        "path": "linked/posts",
                        "params": {"last": ending},
                        "data_selector": "data",
                        "paginator": {"type": "json_link", "next_url_path": "next"},
                    },
                }
            ],
            {"posts": POSTS},
        )
        for ending in ("null", "absent")
    ),
    (
        "header_link",
        [{"name": "posts", "endpoint": {"path": "header/posts", "paginator": "header_link"}}],
        {"posts": POSTS},
    ),
    (
        "reference_in_path",
        [
            POSTS_PAGED,
            _child(
                "comments",
                {"path": "posts/{resources.posts.id}/comments", "paginator": "single_page"},
                include_from_parent=["title", "score"],
            ),
        ],
        {"posts": POSTS, "comments": COMMENT_COUNT},
    ),
    (
        "reference_in_query",
        [
            POSTS_PAGED,
            _child(
                "comments",
                {
                    "path": "comments",
                    "params": {"post_id": "{resources.posts.id}"},
                    "paginator": "single_page",
                },
            ),
        ],
        {"posts": POSTS, "comments": COMMENT_COUNT},
    ),
    (
        "reference_in_json_keeps_its_type",
        [
            POSTS_PAGED,
            _child(
                "comments",
                {
                    "path": "comments/search",
                    "method": "POST",
                    "json": {"post_id": "{resources.posts.id}"},
                    "paginator": "single_page",
                },
            ),
        ],
        {"posts": POSTS, "comments": COMMENT_COUNT},
    ),
    (
        "reference_in_headers",
        [
            POSTS_PAGED,
            _child(
                "comments",
                {
                    "path": "comments/by_header",
                    "headers": {"X-Post-Id": "{resources.posts.id}"},
                    "paginator": "single_page",
                },
            ),
        ],
        {"posts": POSTS, "comments": COMMENT_COUNT},
    ),
    (
        "single_entity_per_parent",
        [
            POSTS_PAGED,
            {"name": "post_details", "endpoint": {"path": "posts/{resources.posts.id}"}},
        ],
        {"posts": POSTS, "post_details": POSTS},
    ),
    (
        "fixed_path_param",
        [
            {
                "name": "posts",
                "endpoint": {
                    "path": "{section}",
                    "params": {"section": "posts", "page_size": 7},
                    "paginator": {"type": "page_number", "base_page": 1},
                    # dlt takes a path ending in a placeholder for one entity: the whole body
                    # unless a selector is given
                    "data_selector": "data",
                },
            }
        ],
        {"posts": POSTS},
    ),
    (
        "fixed_path_param_with_resolve_param",
        [
            POSTS_PAGED,
            _child(
                "comments",
                {
                    "path": "{section}/{post_id}/comments",
                    "params": {
                        "section": "posts",
                        "post_id": {"type": "resolve", "resource": "posts", "field": "id"},
                    },
                    "paginator": "single_page",
                },
            ),
        ],
        {"posts": POSTS, "comments": COMMENT_COUNT},
    ),
    (
        "dlt_hints_columns_list_and_file_format",
        [
            {
                **POSTS_PAGED,
                "columns": [{"name": "score", "data_type": "text"}, {"name": "extra"}],
                "schema_contract": {"tables": "evolve"},
                "file_format": "jsonl",
                "parallelized": True,
            }
        ],
        {"posts": POSTS},
    ),
    (
        "resolve_param_in_path",
        [
            POSTS_PAGED,
            _child(
                "comments",
                {
                    "path": "posts/{post_id}/comments",
                    "params": {"post_id": {"type": "resolve", "resource": "posts", "field": "id"}},
                    "paginator": "single_page",
                },
                include_from_parent=["title"],
            ),
        ],
        {"posts": POSTS, "comments": COMMENT_COUNT},
    ),
]


@pytest.mark.parametrize(
    ("resources", "expected"),
    [pytest.param(resources, expected, id=name) for name, resources, expected in CONFIGS],
)
def test_dlt_and_restsync_land_identical_tables(
    resources: list[Any], expected: dict[str, int], blog_url: str, tmp_path: Path
) -> None:
    config = {"client": {"base_url": f"{blog_url}/"}, "resources": resources}

    tables = load_both(config, tmp_path)

    counts = {name: len(table.rows) for name, table in tables.items() if "__" not in name}
    assert counts == expected


def test_the_comparison_sees_a_row_that_differs(blog_url: str, tmp_path: Path) -> None:
    config = {"client": {"base_url": f"{blog_url}/"}, "resources": [POSTS_PAGED]}
    parity = Parity(tmp_path)
    parity.pipelines["dlt"].run(parity.source("dlt", config))
    paginator = {"type": "page_number", "base_page": 1, "maximum_page": 2}
    fewer = {**POSTS_PAGED, "endpoint": {**POSTS_PAGED["endpoint"], "paginator": paginator}}
    parity.pipelines["restsync"].run(parity.source("restsync", {**config, "resources": [fewer]}))
    # restsync stops after two pages: the tables match, their rows do not
    with pytest.raises(AssertionError, match="table posts: rows differ"):
        parity.assert_same()
