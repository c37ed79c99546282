"""The server side of every paginator: which slice of records a request gets, and what the
response says about the next page.

Written from the API's point of view, independently of ``restsync.paginate``: the server reads
the page, offset, limit or cursor from the query string, answers with the slice, and writes
totals, cursors and next links where the config says the client will look for them.

``synced_window`` is the other half: which records a *correct* client following the config
(dlt's semantics for ``page``, ``offset``, ``maximum_page`` and ``maximum_offset``) ends up
with, so tests can compare a sync against ``Emulator.records``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync.config import (
    CursorPaginator,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    JsonLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorConfig,
)

from ._options import EmulatorOptions
from ._routes import BodyFields

POSITION_PARAM = "after"
"""Query parameter of the next-page URLs the emulator hands out (json_link, header_link)."""

LIMIT_PARAM = "limit"
"""Page size a client may ask for with cursor and link paginators."""


class PageError(Exception):
    """The request asks for a page the API refuses (400)."""


@dataclass
class Page:
    """The answer to one request: records ``start:stop`` plus the body's paginator values."""

    start: int
    stop: int
    values: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    next_position: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def encode_position(position: int) -> str:
    """An opaque token for a record position (cursors and next links)."""
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def decode_position(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("pos:"):
            raise ValueError(text)
        position = int(text[4:])
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise PageError(f"invalid cursor {token!r}") from exc
    if position < 0:
        raise PageError(f"invalid cursor {token!r}")
    return position


def _int_param(query: Mapping[str, str], name: str | None, default: int, *, least: int) -> int:
    if not name or name not in query:
        return default
    raw = query[name]
    try:
        value = int(raw)
    except ValueError:
        raise PageError(f"query parameter '{name}' must be an integer, got {raw!r}") from None
    if value < least:
        raise PageError(f"query parameter '{name}' must be >= {least}, got {value}")
    return value


def plan_page(
    paginator: PaginatorConfig | None,
    query: Mapping[str, str],
    total: int,
    options: EmulatorOptions,
    fields: BodyFields,
    body: Any = None,
) -> Page:
    """Answer one request of an endpoint with ``total`` records; ``fields`` says where the
    body carries totals and cursors; ``body`` is the request's JSON body (a cursor may be
    sent there)."""
    if isinstance(paginator, PageNumberPaginator):
        return _page_number(paginator, query, total, options, fields)
    if isinstance(paginator, OffsetPaginator):
        limit = _int_param(query, paginator.limit_param, options.page_size, least=1)
        start = _int_param(query, paginator.offset_param, 0, least=0)
        page = Page(min(start, total), min(start + limit, total))
        _add_range_values(page, fields, total, more=start + limit < total)
        return page
    if isinstance(
        paginator,
        CursorPaginator | HeaderCursorPaginator | JsonLinkPaginator | HeaderLinkPaginator,
    ):
        token = _cursor_sent(paginator, query, body)
        start = decode_position(token) if token else 0
        limit = _int_param(query, LIMIT_PARAM, options.page_size, least=1)
        stop = min(start + limit, total)
        page = Page(min(start, total), stop, next_position=stop if stop < total else None)
        nxt = page.next_position
        if fields.cursor:
            page.values.append((fields.cursor, None if nxt is None else encode_position(nxt)))
        if fields.has_more:
            page.values.append((fields.has_more, nxt is not None))
        if isinstance(paginator, HeaderCursorPaginator) and nxt is not None:
            page.headers[paginator.cursor_key] = encode_position(nxt)
        return page
    return Page(0, total)  # single_page, auto, or no paginator


def _cursor_sent(
    paginator: CursorPaginator | HeaderCursorPaginator | JsonLinkPaginator | HeaderLinkPaginator,
    query: Mapping[str, str],
    body: Any,
) -> str | None:
    """The cursor (or next-link position) the client sent: in the query, or for a cursor
    sent in the body at ``cursor_body_path``."""
    if isinstance(paginator, CursorPaginator) and paginator.cursor_body_path is not None:
        node = body
        for key in paginator.cursor_body_path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, str) else None
    if isinstance(paginator, CursorPaginator):
        return query.get(paginator.query_param or "cursor")
    if isinstance(paginator, HeaderCursorPaginator):
        return query.get(paginator.cursor_param)
    return query.get(POSITION_PARAM)


def _page_number(
    paginator: PageNumberPaginator,
    query: Mapping[str, str],
    total: int,
    options: EmulatorOptions,
    fields: BodyFields,
) -> Page:
    known_base = paginator.base_page is not None
    base = paginator.base_page if paginator.base_page is not None else options.first_page
    size = _int_param(query, paginator.limit_param, options.page_size, least=1)
    number = _int_param(query, paginator.page_param, base, least=0)
    if number < base:
        if not known_base and number == base - 1 and options.page_before_first != "empty":
            if options.page_before_first == "error":
                raise PageError(f"page {number} does not exist; pages start at {base}")
            number = base  # alias: the API quietly serves its first page
        else:
            page = Page(0, 0)
            _add_range_values(page, fields, math.ceil(total / size), more=total > 0)
            return page
    start = (number - base) * size
    page = Page(min(start, total), min(start + size, total))
    _add_range_values(page, fields, math.ceil(total / size), more=start + size < total)
    return page


def _add_range_values(page: Page, fields: BodyFields, total: int, *, more: bool) -> None:
    if fields.total:
        page.values.append((fields.total, total))
    if fields.has_more:
        page.values.append((fields.has_more, more))


def requested_page_size(
    paginator: PageNumberPaginator, params: Mapping[str, Any], options: EmulatorOptions
) -> int:
    """The page size a client following the config asks for (the server's default if none)."""
    if paginator.limit_param:
        if paginator.limit is not None:
            return paginator.limit
        configured = params.get(paginator.limit_param)
        if isinstance(configured, int | str) and str(configured).isdigit() and int(configured):
            return int(configured)
    return options.page_size


def synced_window(
    paginator: PaginatorConfig | None,
    params: Mapping[str, Any],
    total: int,
    options: EmulatorOptions,
) -> tuple[int, int]:
    """Records ``start:stop`` (of ``total``) that a correct full sync collects: dlt starts at
    ``page``/``offset`` and stops before ``maximum_page``/``maximum_offset`` (after at least
    one page)."""
    if isinstance(paginator, PageNumberPaginator):
        base = paginator.base_page if paginator.base_page is not None else options.first_page
        size = requested_page_size(paginator, params, options)
        first = max(paginator.page if paginator.page is not None else base, base)
        start = min((first - base) * size, total)
        if paginator.maximum_page is None:
            return start, total
        pages = max(1, paginator.maximum_page - first)
        return start, min(total, start + pages * size)
    if isinstance(paginator, OffsetPaginator):
        start = min(paginator.offset, total)
        if paginator.maximum_offset is None:
            return start, total
        pages = max(1, math.ceil((paginator.maximum_offset - paginator.offset) / paginator.limit))
        return start, min(total, start + pages * paginator.limit)
    return 0, total
