"""Paginators whose next request depends on the last response: cursor and link styles."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from restsync._urls import resolve_link, url_problem
from restsync.config import CursorPaginator as CursorConfig
from restsync.config import HeaderCursorPaginator as HeaderCursorConfig
from restsync.config import HeaderLinkPaginator as HeaderLinkConfig
from restsync.config import JsonLinkPaginator as JsonLinkConfig
from restsync.select import describe

from ._base import Page, PageRequest, Paginator, UnusableLink
from ._path import value_at
from ._range import PaginationError

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
    """Sends the cursor found at ``cursor_path`` as the query parameter ``cursor_param``, or at
    ``cursor_body_path`` in a copy of the endpoint's JSON body. As dlt's
    ``JSONResponseCursorPaginator``: an absent or empty cursor ends the sequence, and so do an
    empty page (when ``stop_after_empty_page``) and a false ``has_more_path``."""

    name = "cursor"

    def __init__(self, config: CursorConfig, *, body: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self._body = body

    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def next(self, page: Page) -> PageRequest | None:
        config = self.config
        cursor = value_at(page.document, config.cursor_path)
        if not cursor:
            return None
        _check_cursor(cursor, config)
        if config.stop_after_empty_page and page.record_count == 0:
            return None
        if config.has_more_path is not None and not _has_more(page, config.has_more_path):
            return None
        index = page.request.index + 1
        if config.cursor_body_path is not None:
            body = copy.deepcopy(dict(self._body or {}))
            _set_path(body, config.cursor_body_path.split("."), cursor)
            return PageRequest(index=index, json=body)
        assert config.query_param is not None
        return PageRequest(index=index, params={config.query_param: cursor})


def _check_cursor(cursor: Any, config: CursorConfig) -> None:
    """Refuse what cannot be a cursor: a boolean (a ``has_more`` flag, say), or an object sent
    as a query parameter (dlt would send its keys). A list goes as a repeated parameter, as
    dlt sends it; in a JSON body any value goes as it is."""
    in_query = config.cursor_body_path is None
    if isinstance(cursor, bool) or (in_query and isinstance(cursor, dict)):
        where = f"query parameter '{config.query_param}'" if in_query else "JSON body"
        shown = (
            f"{describe(cursor)} ({str(cursor).lower()})"
            if isinstance(cursor, bool)
            else describe(cursor)
        )
        raise PaginationError(
            f"cursor_path '{config.cursor_path}' holds {shown}, which cannot be sent as the "
            f"cursor in the {where}; point cursor_path at the value the API wants back"
        )


def _has_more(page: Page, path: str) -> bool:
    value = value_at(page.document, path)
    if isinstance(value, str):
        value = {"true": True, "false": False}.get(value.strip().lower(), value)
    if not isinstance(value, bool):
        raise PaginationError(
            f"has_more_path '{path}' holds {value!r} in the response, not a boolean"
        )
    return value


def _set_path(body: dict[str, Any], keys: list[str], value: Any) -> None:
    """``value`` at the dotted ``keys`` of ``body``, making the mappings on the way (as dlt's
    ``jsonpath.set_value_at_path``)."""
    node = body
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = value


class HeaderCursorPaginator(Paginator):
    """Sends the cursor found in the response header ``cursor_key`` as the query parameter
    ``cursor_param``; no such header ends the sequence (dlt's ``HeaderCursorPaginator``)."""

    name = "header_cursor"

    def __init__(self, config: HeaderCursorConfig) -> None:
        self.config = config

    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def next(self, page: Page) -> PageRequest | None:
        cursor = page.headers.get(self.config.cursor_key)
        if cursor is None:
            return None
        return PageRequest(index=page.request.index + 1, params={self.config.cursor_param: cursor})


class _LinkPaginator(Paginator):
    def first(self) -> PageRequest:
        return PageRequest(index=0)

    def _next_url(self, page: Page) -> object:
        """The link to the next page as the response gives it (absent: ``None``)."""
        raise NotImplementedError

    def _source(self) -> str:
        """Where the link is read, as a message names it."""
        raise NotImplementedError

    def next(self, page: Page) -> PageRequest | None:
        link = self._next_url(page)
        if not link:  # as dlt: null, "", false, 0 end the sequence
            return None
        if not isinstance(link, str):
            # dlt fails on it too; ending the sequence would silently drop the pages after
            raise self._unusable(link, page, f"it is {describe(link)}, not a URL")
        url = resolve_link(page.url, link)
        problem = url_problem(url)
        if problem is not None:
            raise self._unusable(link, page, problem)
        return PageRequest(index=page.request.index + 1, url=url)

    def _unusable(self, link: object, page: Page, problem: str) -> UnusableLink:
        source = self._source()
        hint = (
            f"the API's link is broken, or not where endpoint.paginator reads it ({source}); "
            "an API that gives a page number or a cursor there needs a page_number or cursor "
            "paginator"
        )
        return UnusableLink(link, page, source=source, problem=problem, hint=hint)


class JsonLinkPaginator(_LinkPaginator):
    """Follows the URL found at ``next_url_path`` in the body."""

    name = "json_link"

    def __init__(self, config: JsonLinkConfig) -> None:
        self.config = config

    def _next_url(self, page: Page) -> object:
        return value_at(page.document, self.config.next_url_path)

    def _source(self) -> str:
        return f"next_url_path '{self.config.next_url_path}'"


class HeaderLinkPaginator(_LinkPaginator):
    """Follows the ``Link`` header's ``rel="next"`` (or ``links_next_key``)."""

    name = "header_link"

    def __init__(self, config: HeaderLinkConfig) -> None:
        self.config = config

    def _next_url(self, page: Page) -> str | None:
        header = page.headers.get("link")
        return parse_link_header(header).get(self.config.links_next_key) if header else None

    def _source(self) -> str:
        return f'the Link header\'s rel="{self.config.links_next_key}"'
