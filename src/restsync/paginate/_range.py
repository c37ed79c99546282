"""Numeric paginators whose requests are predictable: ``page_number`` and ``offset``."""

from __future__ import annotations

from typing import Any

from restsync.config import OffsetPaginator as OffsetConfig
from restsync.config import PageNumberPaginator as PageNumberConfig

from ._base import Page, PageRequest, PredictablePaginator
from ._path import value_at


class PaginationError(Exception):
    """A response contradicts its paginator (a total that is not a number, say). The engine
    turns it into a ``ResponseError`` naming the resource and the URL."""


def _as_int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise PaginationError(f"'{path}' holds {value!r}, not a whole number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PaginationError(f"'{path}' holds {value!r}, not a whole number") from None


def _as_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise PaginationError(f"'{path}' holds {value!r}, not true or false")


class RangePaginator(PredictablePaginator):
    """The stop conditions shared by page numbers and offsets (see ``_RangePaginator`` in the
    config models): an empty page, a page shorter than the limit, ``has_more`` false, the
    total, or the maximum. ``_value(i)`` is the parameter value of page ``i``."""

    def __init__(self, config: PageNumberConfig | OffsetConfig, param: str) -> None:
        self.config = config
        self.param = param

    def _value(self, index: int) -> int:
        raise NotImplementedError

    def _last_index_for_total(self, total: int) -> int:
        raise NotImplementedError

    def _last_index_for_maximum(self) -> int | None:
        raise NotImplementedError

    def at(self, index: int) -> PageRequest:
        params: dict[str, Any] = {self.param: self._value(index)}
        if self.config.limit_param and self.config.limit is not None:
            params[self.config.limit_param] = self.config.limit
        return PageRequest(index=index, params=params)

    def is_last(self, page: Page) -> bool:
        config = self.config
        if page.record_count == 0 and config.stop_after_empty_page:
            return True
        if config.limit is not None and page.record_count < config.limit:
            return True
        if config.has_more_path is not None:
            has_more = value_at(page.document, config.has_more_path)
            if has_more is None:
                raise PaginationError(f"has_more_path '{config.has_more_path}' is absent")
            if not _as_bool(has_more, config.has_more_path):
                return True
        last = self.last_index(page)
        return last is not None and page.request.index >= last

    def configured_last_index(self) -> int | None:
        last = self._last_index_for_maximum()
        return None if last is None else max(last, 0)

    def last_index(self, page: Page) -> int | None:
        candidates = [self._last_index_for_maximum()]
        if self.config.total_path is not None:
            total = value_at(page.document, self.config.total_path)
            if total is not None:
                candidates.append(
                    self._last_index_for_total(_as_int(total, self.config.total_path))
                )
        known = [c for c in candidates if c is not None]
        return max(min(known), 0) if known else None


class PageNumberPaginator(RangePaginator):
    """``?page=base_page+i``; ``total_path`` holds the number of pages; as in dlt, paging stops
    before ``maximum_page`` is requested."""

    name = "page_number"

    def __init__(self, config: PageNumberConfig, *, base_page: int) -> None:
        super().__init__(config, config.page_param)
        self.start = config.page if config.page is not None else base_page
        self.base_page = base_page
        self.maximum = config.maximum_page

    def _value(self, index: int) -> int:
        return self.start + index

    def _last_index_for_total(self, total: int) -> int:
        return self.base_page + total - 1 - self.start

    def _last_index_for_maximum(self) -> int | None:
        return None if self.maximum is None else self.maximum - 1 - self.start


class OffsetPaginator(RangePaginator):
    """``?offset=offset+i*limit&limit=limit``; ``total_path`` holds the number of items; paging
    stops before ``maximum_offset`` is requested."""

    name = "offset"

    def __init__(self, config: OffsetConfig) -> None:
        super().__init__(config, config.offset_param)
        self.limit = config.limit
        self.start = config.offset
        self.maximum = config.maximum_offset

    def _value(self, index: int) -> int:
        return self.start + index * self.limit

    def _pages_before(self, end_offset: int) -> int:
        return -(-(end_offset - self.start) // self.limit)

    def _last_index_for_total(self, total: int) -> int:
        return self._pages_before(total) - 1

    def _last_index_for_maximum(self) -> int | None:
        return None if self.maximum is None else self._pages_before(self.maximum) - 1
