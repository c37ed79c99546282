"""Fetching the pages of one request sequence: sequentially, or with a window of pages in flight
when the paginator's requests are predictable.

The engine hands each sequence a ``fetch`` coroutine (request -> ``Page`` plus its records) and
an ``emit`` coroutine (records -> downstream, with back-pressure). This module decides which
pages to request and in what order their records go out: always in page order, each page once,
never a page past the end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson

from restsync.http import AdaptiveWindow
from restsync.paginate import (
    Page,
    PageNumberPaginator,
    PageRequest,
    Paginator,
    PredictablePaginator,
)


@dataclass(frozen=True)
class FetchedPage:
    """A page and the records it hands on. ``identity`` is ``identify`` of the records the API
    sent, taken before the resource's processing steps changed them."""

    page: Page
    records: Any
    identity: tuple[int, bytes, bytes] | None = None
    #: a response action ignored the response: the sequence ends before this page
    ignored: bool = False


Fetch = Callable[[PageRequest], Awaitable[FetchedPage]]
Emit = Callable[[FetchedPage], Awaitable[None]]


class PaginationLoop(Exception):
    """The API answered two pages with the same content, or pointed back at a page already
    fetched: following it would load duplicates forever."""


def identify(records: list[Any]) -> tuple[int, bytes, bytes] | None:
    """A cheap identity of a page's records (count, first, last); ``None`` for an empty page."""
    if not records:
        return None
    return (len(records), serialized(records[0]), serialized(records[-1]))


def serialized(record: Any, *, sort_keys: bool = False) -> bytes:
    """``record`` as bytes: by orjson, or by the json module for what orjson refuses (an
    integer beyond 64 bits, or the ``Decimal`` restsync makes of one)."""
    try:
        return orjson.dumps(record, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        return json.dumps(record, default=repr, sort_keys=sort_keys).encode()


class _RepeatGuard:
    """Stops a sequence whose pages repeat: the same records twice in a row (an API that ignores
    the page parameter) or a request seen before (a cursor or link that cycles).

    One exception: after two or more distinct pages, a page identical to the one before is the
    end of the sequence. APIs that clamp page numbers past the end to the last page answer that
    way; its records were fetched already, so the sequence stops there (and ``warn`` says so).
    On the second page of a sequence the same answer still means the parameter is ignored.
    """

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        self._last: tuple[int, bytes, bytes] | None = None
        self._distinct = 0
        self._requests: set[tuple[str | None, bytes]] = set()

    def admit(self, outcome: FetchedPage | BaseException) -> FetchedPage | None:
        """The page to emit next; None when it repeats the page before it after distinct pages
        (the sequence ended at that page). A failed fetch raises its error here."""
        if isinstance(outcome, BaseException):
            raise outcome
        current = outcome.identity
        index = outcome.page.request.index
        if current is not None and current == self._last:
            if self._distinct < 2:
                raise PaginationLoop(
                    f"page {index + 1} returned the same {current[0]} records as page {index}: "
                    "the API seems to ignore the pagination parameter; check the paginator "
                    "settings"
                )
            self._warn(
                f"page {index + 1} repeats page {index}: the API seems to answer pages past the "
                f"end with the last page, so the sequence ends at page {index} (loading the "
                f"{self._distinct} pages fetched)"
            )
            return None
        self._last = current
        self._distinct += 1
        return outcome

    def check_request(self, request: PageRequest) -> None:
        sent = {"params": dict(request.params), "json": request.json}
        # a cursor may travel in the body: the body is part of what makes a request new
        body = serialized(sent, sort_keys=True) + (request.content or b"")
        key = (request.url, body)
        if key in self._requests:
            raise PaginationLoop(
                f"the response to page {request.index} points back at a page already fetched "
                f"({request.url or dict(request.params)}); stopping instead of looping forever"
            )
        self._requests.add(key)


async def run_sequential(
    paginator: Paginator, fetch: Fetch, emit: Emit, *, warn: Callable[[str], None]
) -> int:
    """Fetch page after page, each request derived from the last response. Returns pages."""
    guard = _RepeatGuard(warn)
    request: PageRequest | None = paginator.first()
    pages = 0
    while request is not None:
        guard.check_request(request)
        outcome = await fetch(request)
        if outcome.ignored:
            break
        fetched = guard.admit(outcome)
        if fetched is None:
            break
        await emit(fetched)
        pages += 1
        request = paginator.next(fetched.page)
    return pages


def _ends(
    paginator: PredictablePaginator, index: int, fetched: FetchedPage, window: AdaptiveWindow
) -> list[int | None]:
    """Where the sequence ends as far as page ``index`` tells: a page ignored by a response
    action ends it before itself (dlt's client stops paginating there); otherwise the
    paginator says (a total, a maximum, a last page)."""
    if fetched.ignored:
        return [index - 1]
    ends = [paginator.last_index(fetched.page)]
    if paginator.is_last(fetched.page):
        ends.append(index)
    else:
        window.on_success()
    return ends


async def run_windowed(
    paginator: PredictablePaginator,
    fetch: Fetch,
    emit: Emit,
    window: AdaptiveWindow,
    *,
    warn: Callable[[str], None],
    prefetched: tuple[FetchedPage, ...] = (),
) -> int:
    """Fetch pages with up to ``window.size`` requests in flight (the first page alone, then
    twice as many per page emitted up to the window), emitting in page order.

    The end is the first page that ``is_last`` says ends the sequence (empty, short, total,
    maximum); requests past a known end are never sent, responses past the end are dropped,
    and a page is emitted only when every page before it has been emitted. ``prefetched``
    pages (from base-page detection) count as already fetched, in order from index 0.
    """
    guard = _RepeatGuard(warn)
    end = paginator.configured_last_index()  # index of the last page, once known
    # a page past the end may fail (some APIs answer 404 there): its error counts only if the
    # page turns out to be inside the sequence, so errors wait here with the finished pages
    done: dict[int, FetchedPage | BaseException] = {}
    in_flight: dict[asyncio.Task[FetchedPage], int] = {}
    # pages cancelled past the end finish only once the server answered (their HTTP slot is
    # held until then); they are awaited before returning, so none outlives the sequence
    abandoned: list[asyncio.Task[FetchedPage]] = []
    next_index = 0
    emit_index = 0

    def learn(index: int, outcome: FetchedPage | BaseException) -> None:
        nonlocal end
        done[index] = outcome
        if isinstance(outcome, BaseException):
            return
        known = [c for c in (end, *_ends(paginator, index, outcome, window)) if c is not None]
        end = min(known) if known else None

    for fetched in prefetched:
        next_index = fetched.page.request.index + 1
        learn(fetched.page.request.index, fetched)

    try:
        while end is None or emit_index <= end:
            while emit_index in done and (end is None or emit_index <= end):
                admitted = guard.admit(done.pop(emit_index))
                if admitted is None:
                    end = emit_index - 1
                    break
                await emit(admitted)
                emit_index += 1
            if end is not None and emit_index > end:
                break
            # in flight: at most the window; buffered ahead of the emit point: at most twice
            # that, so a slow page holds back memory, not just order. The window opens 1, 2,
            # 4, ... pages as pages come in: the first page may be refused (bad credentials),
            # be the only page or carry the total, and short sequences (one per parent record
            # of a child resource) should not spend a whole window past their end
            room = min(window.size, 1 << min(emit_index, 16))
            while (
                len(in_flight) < room
                and next_index - emit_index < 2 * window.size
                and (end is None or next_index <= end)
            ):
                task = asyncio.ensure_future(fetch(paginator.at(next_index)))
                in_flight[task] = next_index
                next_index += 1
            finished, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                index = in_flight.pop(task)
                error = task.exception()
                learn(index, error if error is not None else task.result())
            for task, index in list(in_flight.items()):
                if end is not None and index > end:
                    task.cancel()
                    abandoned.append(task)
                    del in_flight[task]
        return emit_index
    finally:
        for task in in_flight:
            task.cancel()
        if in_flight or abandoned:
            await asyncio.gather(*in_flight, *abandoned, return_exceptions=True)


async def detect_base_page(
    paginator_at_zero: PageNumberPaginator, fetch: Fetch
) -> tuple[int, tuple[FetchedPage, ...], str]:
    """Find out whether an API numbers its pages from 0 or from 1, for a ``page_number``
    paginator whose config does not say (the CRM seed). Returns the base, the pages already
    fetched (re-indexed for that base) and a sentence saying how it was decided.

    Pages 0 and 1 are asked for together (one round trip). Page 0 empty (or refused with
    400/404/422): the API counts from 1. The same records as page 1: page 0 is an alias of
    page 1, so counting from 1 avoids a duplicate page. Otherwise both pages are real and
    counting starts at 0: reading from 1 would silently skip page 0.
    """
    from restsync._exceptions import FatalAPIError

    def renumbered(fetched: FetchedPage) -> FetchedPage:
        request = replace(fetched.page.request, index=0)
        return replace(fetched, page=replace(fetched.page, request=request))

    one_task = asyncio.ensure_future(fetch(paginator_at_zero.at(1)))
    try:
        try:
            zero = await fetch(paginator_at_zero.at(0))
        except FatalAPIError as exc:
            if exc.status not in (400, 404, 422):
                raise
            why = f"page 0 was refused with HTTP {exc.status}, so pages start at 1"
            return 1, (renumbered(await one_task),), why
        if not zero.page.record_count:
            return 1, (renumbered(await one_task),), "page 0 was empty, so pages start at 1"
        if paginator_at_zero.is_last(zero.page):
            return 0, (zero,), "page 0 held every record"
        one = await one_task
    finally:
        if not one_task.done():
            one_task.cancel()
            await asyncio.gather(one_task, return_exceptions=True)
        elif not one_task.cancelled():
            one_task.exception()  # retrieved: a failure of page 1 may not matter here
    if one.identity == zero.identity:
        return 1, (renumbered(one),), "page 0 repeats page 1, so pages start at 1"
    return 0, (zero, one), "page 0 holds its own records, so pages start at 0"
