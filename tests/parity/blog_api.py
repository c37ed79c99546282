"""A small blog API for the side-by-side tests: posts with nested authors and tag lists,
comments per post, served in the styles configs describe them (page numbers, offsets, cursors,
next links in the body or the ``Link`` header, a single entity, children by path, by query
parameter, by JSON body, by header).

Everything is deterministic, so dlt and restsync see the same answers. Imported as
``parity.blog_api``; serve ``app()`` with ``support.serve_url``.
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

POSTS = 23
PAGE_SIZE = 5


def posts() -> list[dict[str, Any]]:
    return [
        {
            "id": number,
            "title": f"post {number}",
            "author": {"name": f"author {number % 4}", "email": f"a{number % 4}@blog.test"},
            "tags": ["python", "duckdb", "rest"][: number % 4],
            "score": number * 1.5,
            "published": number % 3 != 0,
            "created_at": f"2024-01-{number:02d}T10:00:00Z",
        }
        for number in range(1, POSTS + 1)
    ]


def comments(post_id: int) -> list[dict[str, Any]]:
    return [
        {"id": post_id * 100 + n, "post_id": post_id, "body": f"comment {n} on {post_id}"}
        for n in range(post_id % 4)
    ]


def _int(request: Request, name: str, default: int) -> int:
    return int(request.query_params.get(name, default))


async def paged_posts(request: Request) -> JSONResponse:
    """``?page=N`` (from 1, ``total`` = pages) or ``?offset=N&limit=L`` (``total`` = items)."""
    records = posts()
    if "offset" in request.query_params:
        offset, limit = _int(request, "offset", 0), _int(request, "limit", PAGE_SIZE)
        return JSONResponse({"data": records[offset : offset + limit], "total": len(records)})
    page, size = _int(request, "page", 1), _int(request, "page_size", PAGE_SIZE)
    pages = -(-len(records) // size)
    return JSONResponse({"data": records[(page - 1) * size : page * size], "total": pages})


async def cursor_posts(request: Request) -> JSONResponse:
    """``?cursor=N``: the cursor of the next page sits at ``cursors.next`` (null at the end)."""
    start = _int(request, "cursor", 0)
    end = start + PAGE_SIZE
    more = end < POSTS
    return JSONResponse({"data": posts()[start:end], "cursors": {"next": end if more else None}})


async def linked_posts(request: Request) -> JSONResponse:
    """``?after=N``: the next page's URL in the body at ``next``. ``?last=null`` ends with a
    page ``{"next": null}``, ``?last=absent`` with ``{}``: no record list on the last page."""
    start = _int(request, "after", 0)
    end = start + PAGE_SIZE
    records = posts()[start:end]
    ending = request.query_params.get("last")
    if not records and ending == "absent":
        return JSONResponse({})
    if not records and ending == "null":
        return JSONResponse({"next": None})
    more = bool(records) if ending else end < POSTS
    link = str(request.url.include_query_params(after=end)) if more else None
    return JSONResponse({"data": records, "next": link})


async def header_linked_posts(request: Request) -> JSONResponse:
    """``?after=N``: a bare list; the next page's URL in the ``Link`` header."""
    start = _int(request, "after", 0)
    end = start + PAGE_SIZE
    headers = {}
    if end < POSTS:
        headers["Link"] = f'<{request.url.include_query_params(after=end)}>; rel="next"'
    return JSONResponse(posts()[start:end], headers=headers)


async def one_post(request: Request) -> JSONResponse:
    number = int(request.path_params["post_id"])
    return JSONResponse(posts()[number - 1])


async def post_comments(request: Request) -> JSONResponse:
    return JSONResponse({"data": comments(int(request.path_params["post_id"]))})


async def comments_by_query(request: Request) -> JSONResponse:
    """``?post_id=N`` is required: a child that forgets it gets a 400."""
    post_id = request.query_params.get("post_id")
    if post_id is None:
        return JSONResponse({"message": "post_id is required"}, status_code=400)
    return JSONResponse({"data": comments(int(post_id))})


async def search_comments(request: Request) -> JSONResponse:
    """POST ``{"post_id": N}``; N must be a JSON number, as the parent record had it."""
    body = await request.json()
    if not isinstance(body.get("post_id"), int):
        return JSONResponse({"message": "post_id must be a number"}, status_code=400)
    return JSONResponse({"data": comments(body["post_id"])})


async def comments_by_header(request: Request) -> JSONResponse:
    post_id = request.headers.get("x-post-id")
    if post_id is None:
        return JSONResponse({"message": "X-Post-Id is required"}, status_code=400)
    return JSONResponse({"data": comments(int(post_id))})


#: what ``/private/posts`` accepts: any one of these credentials
TOKEN, API_KEY, BASIC = "blog-token", "blog-key", ("blog", "pw")


async def private_posts(request: Request) -> JSONResponse:
    """All posts, for a bearer token, an API key (query ``key`` or header ``X-Blog-Key``) or
    basic auth; anything else is a 401."""
    basic = "Basic " + base64.b64encode(":".join(BASIC).encode()).decode()
    allowed = request.headers.get("authorization") in (f"Bearer {TOKEN}", basic) or API_KEY in (
        request.query_params.get("key"),
        request.headers.get("x-blog-key"),
    )
    if not allowed:
        return JSONResponse({"message": "unauthorized"}, status_code=401)
    return JSONResponse(posts())


def app() -> Starlette:
    return Starlette(
        routes=[
            Route("/posts", paged_posts),
            Route("/private/posts", private_posts),
            Route("/cursor/posts", cursor_posts),
            Route("/linked/posts", linked_posts),
            Route("/header/posts", header_linked_posts),
            Route("/posts/{post_id:int}", one_post),
            Route("/posts/{post_id:int}/comments", post_comments),
            Route("/comments", comments_by_query),
            Route("/comments/search", search_comments, methods=["POST"]),
            Route("/comments/by_header", comments_by_header),
        ]
    )
