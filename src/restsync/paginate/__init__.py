"""Pagination: one small class per style, all built from config models by ``build_paginator``.

See ``_base`` for the contract (predictable vs sequential paginators).
"""

from __future__ import annotations

from restsync import config as cfg

from ._auto import AutoPaginator, detect_paginator
from ._base import Page, PageRequest, Paginator, PredictablePaginator
from ._path import value_at
from ._range import OffsetPaginator, PageNumberPaginator, PaginationError, RangePaginator
from ._sequential import (
    CursorPaginator,
    HeaderLinkPaginator,
    JsonLinkPaginator,
    SinglePagePaginator,
    parse_link_header,
)

__all__ = [
    "AutoPaginator",
    "CursorPaginator",
    "HeaderLinkPaginator",
    "JsonLinkPaginator",
    "OffsetPaginator",
    "Page",
    "PageNumberPaginator",
    "PageRequest",
    "PaginationError",
    "Paginator",
    "PredictablePaginator",
    "RangePaginator",
    "SinglePagePaginator",
    "build_paginator",
    "detect_paginator",
    "parse_link_header",
    "value_at",
]


def build_paginator(
    config: cfg.PaginatorConfig | None, *, base_page: int | None = None
) -> Paginator:
    """A fresh paginator for one request sequence. ``base_page`` is the first page number of a
    ``page_number`` paginator whose config does not say it (the engine detects it)."""
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
            return CursorPaginator(config)
        case cfg.JsonLinkPaginator():
            return JsonLinkPaginator(config)
        case cfg.HeaderLinkPaginator():
            return HeaderLinkPaginator(config)
    raise TypeError(f"no paginator for {type(config).__name__}")
