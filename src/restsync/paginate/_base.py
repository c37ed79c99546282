"""The paginator contract shared by every pagination style.

A paginator never mutates a request: it *describes* page requests as plain values and reads
finished pages. Two families exist:

* predictable (``page_number``, ``offset``): the request for page ``i`` is known in advance
  (``at(i)``), so the engine may keep a window of pages in flight; ``is_last(page)`` says whether
  a finished page ends the sequence and ``last_index(page)`` says where it must end when the
  response tells (a total or a maximum).
* sequential (``cursor``, ``json_link``, ``header_link``, ``single_page``): the next request
  depends on the last response, so pages are fetched one after another.

Both answer ``first()`` and ``next(page)``; that is all a sequential consumer needs. To add a
paginator: subclass ``Paginator`` (or ``RangePaginator``), then register it in ``build_paginator``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class PageRequest:
    """What to send for one page. ``params`` are set over the endpoint's own query params;
    ``url`` (link paginators) replaces the endpoint URL and its query entirely; ``json``, when
    set, is the JSON body sent instead of the endpoint's (a cursor in the body).

    A paginator that rewrites whole requests (``LivePaginator``) sets ``method``: then
    ``url`` (query included), ``headers`` and ``content`` are the whole request."""

    index: int
    params: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    json: Any = None
    method: str | None = None
    headers: Mapping[str, str] | None = None
    content: bytes | None = None


@dataclass(frozen=True)
class Page:
    """A fetched page as paginators see it: the parsed body, the headers, the final URL and how
    many records the selector found in it; ``status``; and, for paginators that ask
    (``wants_records``), the raw body (``content``) and the selected ``records``."""

    request: PageRequest
    document: Any
    headers: Mapping[str, str]
    url: str
    record_count: int
    status: int = 200
    content: bytes = b""
    records: Sequence[Any] = ()


class UnusableLink(Exception):
    """The response to ``page`` points to the next page with something that cannot be
    requested: ``link`` as the response (or a live paginator) gave it, ``source`` where it
    was read (``next_url_path 'next'``), ``problem`` why it cannot be requested, ``hint``
    what to check. Unredacted: the engine quotes the link with credentials masked."""

    def __init__(self, link: object, page: Page, *, source: str, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.link = link
        self.page = page
        self.source = source
        self.problem = problem
        self.hint = hint


class Paginator(ABC):
    """Describes the requests of one paginated sequence and decides when it ends."""

    #: whether ``at(i)`` can describe any page before earlier pages have been fetched
    predictable: ClassVar[bool] = False
    #: short description used in progress output and errors
    name: ClassVar[str] = "paginator"
    #: whether ``next`` reads ``Page.records`` (the engine fills them only then)
    wants_records: ClassVar[bool] = False

    @abstractmethod
    def first(self) -> PageRequest:
        """The request for the first page."""

    @abstractmethod
    def next(self, page: Page) -> PageRequest | None:
        """The request after ``page``, or ``None`` when ``page`` was the last one."""


class PredictablePaginator(Paginator):
    """A paginator whose requests are known in advance; ``next`` follows from ``at``."""

    predictable = True

    @abstractmethod
    def at(self, index: int) -> PageRequest:
        """The request for page ``index`` (0 is the first page)."""

    @abstractmethod
    def is_last(self, page: Page) -> bool:
        """Whether ``page`` ends the sequence (empty, short, total or maximum reached...)."""

    def last_index(self, page: Page) -> int | None:
        """The index of the last page when the response or the config says it, else ``None``."""
        return None

    def configured_last_index(self) -> int | None:
        """The index of the last page when the config alone says it (a maximum), known before
        any request, so no request past it is ever sent; else ``None``."""
        return None

    def first(self) -> PageRequest:
        return self.at(0)

    def next(self, page: Page) -> PageRequest | None:
        if self.is_last(page):
            return None
        return self.at(page.request.index + 1)
