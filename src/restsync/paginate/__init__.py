"""Pagination: one small class per style, all built from config models by ``build_paginator``.

See ``_base`` for the contract (predictable vs sequential paginators).
"""

from __future__ import annotations

from restsync import config as cfg

from ._auto import AutoPaginator, detect_paginator
from ._base import Page, PageRequest, Paginator, PredictablePaginator, UnusableLink
from ._live import FirstRequest, LivePaginator
from ._path import value_at
from ._range import OffsetPaginator, PageNumberPaginator, PaginationError, RangePaginator
from ._sequential import (
    CursorPaginator,
    HeaderCursorPaginator,
    HeaderLinkPaginator,
    JsonLinkPaginator,
    SinglePagePaginator,
    parse_link_header,
)

__all__ = [
    "AutoPaginator",
    "CursorPaginator",
    "FirstRequest",
    "HeaderCursorPaginator",
    "HeaderLinkPaginator",
    "JsonLinkPaginator",
    "LivePaginator",
    "OffsetPaginator",
    "Page",
    "PageNumberPaginator",
    "PageRequest",
    "PaginationError",
    "Paginator",
    "PredictablePaginator",
    "RangePaginator",
    "SinglePagePaginator",
    "UnusableLink",
    "build_paginator",
    "detect_paginator",
    "parse_link_header",
    "value_at",
]


def build_paginator(
    config: cfg.PaginatorConfig | None,
    *,
    base_page: int | None = None,
    first: FirstRequest | None = None,
) -> Paginator:
    """A fresh paginator for one request sequence. ``base_page`` is the first page number of a
    ``page_number`` paginator whose config does not say it (the engine detects it); ``first``
    is the sequence's first request, which a cursor sent in the body and a live paginator
    build on."""
    match config:
        case None | cfg.AutoPaginator():
            return AutoPaginator()
        case cfg.SinglePagePaginator():
            return SinglePagePaginator()
        case cfg.PageNumberPaginator():
            base = config.base_page if config.base_page is not None else base_page
            if base is None:
                raise ValueError("the first page number is unknown: detect it before building")
            return PageNumberPaginator(config, base_page=base)
        case cfg.OffsetPaginator():
            return OffsetPaginator(config)
        case cfg.CursorPaginator():
            return CursorPaginator(config, body=first.json if first is not None else None)
        case cfg.HeaderCursorPaginator():
            return HeaderCursorPaginator(config)
        case cfg.CustomPaginator():
            if first is None:
                raise ValueError("a live paginator needs the sequence's first request")
            return LivePaginator(config.instance, first)
        case cfg.JsonLinkPaginator():
            return JsonLinkPaginator(config)
        case cfg.HeaderLinkPaginator():
            return HeaderLinkPaginator(config)
    raise TypeError(f"no paginator for {type(config).__name__}")
