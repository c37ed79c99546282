"""``auto``: choose the pagination style from the first response, as dlt's detector does."""

from __future__ import annotations

from restsync.config import HeaderLinkPaginator as HeaderLinkConfig
from restsync.config import JsonLinkPaginator as JsonLinkConfig

from ._base import Page, PageRequest, Paginator
from ._path import value_at
from ._sequential import (
    HeaderLinkPaginator,
    JsonLinkPaginator,
    SinglePagePaginator,
    parse_link_header,
)

#: where APIs commonly put the URL of the next page, most common first
NEXT_URL_PATHS = ("next", "next_url", "nextUrl", "links.next", "_links.next.href", "paging.next")


def detect_paginator(page: Page) -> Paginator:
    """The paginator the first page implies: a ``Link: rel=next`` header, a next-page URL in
    the body, or else a single page."""
    link = page.headers.get("link")
    if link and "next" in parse_link_header(link):
        return HeaderLinkPaginator(HeaderLinkConfig())
    for path in NEXT_URL_PATHS:
        value = value_at(page.document, path)
        if isinstance(value, str) and value.startswith(("http://", "https://", "/", "?")):
            return JsonLinkPaginator(JsonLinkConfig(next_url_path=path))
    return SinglePagePaginator()


class AutoPaginator(Paginator):
    """Delegates to the paginator detected on the first page; ``chosen`` says which."""

    name = "auto"

    def __init__(self) -> None:
        self.chosen: Paginator | None = None

    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def next(self, page: Page) -> PageRequest | None:
        if self.chosen is None:
            self.chosen = detect_paginator(page)
        return self.chosen.next(page)
