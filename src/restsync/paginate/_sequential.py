"""Paginators whose next request depends on the last response: cursor and link styles."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from restsync.config import CursorPaginator as CursorConfig
from restsync.config import HeaderLinkPaginator as HeaderLinkConfig
from restsync.config import JsonLinkPaginator as JsonLinkConfig

from ._base import Page, PageRequest, Paginator
from ._path import value_at

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r"""rel\s*=\s*"?([^";,]+)"?""")


def parse_link_header(value: str) -> dict[str, str]:
    """``{rel: url}`` from an RFC 8288 ``Link`` header."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(value):
        rel = _REL.search(match.group(2))
        if rel:
            for name in rel.group(1).split():
                links.setdefault(name, match.group(1))
    return links


class SinglePagePaginator(Paginator):
    name = "single_page"

    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def next(self, page: Page) -> PageRequest | None:
        return None


class CursorPaginator(Paginator):
    """Sends the cursor found at ``cursor_path`` as ``cursor_param``; an absent or empty cursor
    ends the sequence."""

    name = "cursor"

    def __init__(self, config: CursorConfig) -> None:
        self.config = config

    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def next(self, page: Page) -> PageRequest | None:
        cursor = value_at(page.document, self.config.cursor_path)
        if cursor in (None, "") or page.record_count == 0:
            return None
        return PageRequest(index=page.request.index + 1, params={self.config.cursor_param: cursor})


class _LinkPaginator(Paginator):
    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def _next_url(self, page: Page) -> str | None:
        raise NotImplementedError

    def next(self, page: Page) -> PageRequest | None:
        url = self._next_url(page)
        if not url:
            return None
        return PageRequest(index=page.request.index + 1, url=urljoin(page.url, url))


class JsonLinkPaginator(_LinkPaginator):
    """Follows the URL found at ``next_url_path`` in the body."""

    name = "json_link"

    def __init__(self, config: JsonLinkConfig) -> None:
        self.config = config

    def _next_url(self, page: Page) -> str | None:
        url = value_at(page.document, self.config.next_url_path)
        return url if isinstance(url, str) else None


class HeaderLinkPaginator(_LinkPaginator):
    """Follows the ``Link`` header's ``rel="next"`` (or ``links_next_key``)."""

    name = "header_link"

    def __init__(self, config: HeaderLinkConfig) -> None:
        self.config = config

    def _next_url(self, page: Page) -> str | None:
        header = page.headers.get("link")
        return parse_link_header(header).get(self.config.links_next_key) if header else None
