"""One request sequence of a resource: its requests built, its pages fetched (a window of
them when the paginator's requests are predictable), parsed, and handed on in page order to
the resource's children and queue.

A resource without children runs one sequence; a child resource runs one per parent record
(``restsync.engine._children``), with the values taken from that record.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from restsync import _memory
from restsync._exceptions import FatalAPIError, ResponseError
from restsync._urls import shorten, url_problem
from restsync.config import CustomPaginator, EndpointConfig, render
from restsync.config import PageNumberPaginator as PageNumberConfig
from restsync.http import HttpClient, RequestSpec, ResponseIgnored, redact_text, redact_url
from restsync.paginate import (
    AutoPaginator,
    FirstRequest,
    Page,
    PageNumberPaginator,
    PageRequest,
    PaginationError,
    PredictablePaginator,
    UnusableLink,
    build_paginator,
)

from ._bridge import Batch
from ._pages import (
    Emit,
    Fetch,
    FetchedPage,
    PaginationLoop,
    detect_base_page,
    run_sequential,
    run_windowed,
)
from ._parse import parse_page
from ._resource import ProgressEvent, ResourceRun

#: picks, in page order, the records of a page that the resource's children are fed (those a
#: parent's incremental keeps, as dlt feeds a transformer only the rows its parent yields)
Handoff = Callable[[Batch], Batch]

log = logging.getLogger("restsync")


def join_url(base_url: str, path: str) -> str:
    """dlt's joining: ``path`` is appended to ``base_url`` even when it starts with ``/``."""
    if not path:
        return base_url
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _as_is(records: Batch) -> Batch:
    return records


def _filled(endpoint: EndpointConfig, bindings: Mapping[str, Any]) -> EndpointConfig:
    """``endpoint`` with the placeholders of its path, params, body and headers filled (a JSON
    value that is one placeholder keeps the bound value's type, as in dlt)."""
    return endpoint.model_copy(
        update={
            "path": render(endpoint.path, bindings),
            "params": render(endpoint.params, bindings),
            "json_body": render(endpoint.json_body, bindings, keep_type=True),
            "data": render(endpoint.data, bindings),
            "headers": render(endpoint.headers, bindings),
        }
    )


def _request_spec(
    endpoint: EndpointConfig,
    request: PageRequest,
    url: str,
    query: Mapping[str, Any],
    *,
    priority: int,
) -> RequestSpec:
    """What to send for ``request``: the endpoint's request with the paginator's changes, or
    the whole request a live paginator describes."""
    if request.method is not None:
        return RequestSpec(
            method=request.method,
            url=request.url or url,
            headers=request.headers,
            content=request.content,
            priority=priority,
        )
    return RequestSpec(
        method=endpoint.method,
        url=request.url or url,
        params=None if request.url else {**query, **request.params},
        json=request.json if request.json is not None else endpoint.json_body,
        data=endpoint.data,
        headers=endpoint.headers or None,
        priority=priority,
    )


class Sequences:
    """Runs request sequences for the resources of one engine run, sharing its HTTP client
    and the ways it reports (``note`` a decision, ``event`` progress)."""

    def __init__(
        self,
        http: HttpClient,
        *,
        base_url: str,
        secrets: list[str],
        handoff: Mapping[str, Handoff],
        bindings: Mapping[str, Mapping[str, Any]],
        note: Callable[[ResourceRun, str], None],
        event: Callable[[ProgressEvent], None],
    ) -> None:
        self._http = http
        self._base_url = base_url
        self._secrets = secrets
        self._handoff = handoff
        self._bindings = bindings
        self._note = note
        self._event = event

    async def run(
        self, resource: ResourceRun, bindings: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> None:
        """All pages of one request sequence of ``resource``: ``bindings`` fill the
        placeholders of its path, params, body and headers (see ``config.render``), ``extra``
        is added to each of its records."""
        endpoint = _filled(
            resource.config.endpoint, {**self._bindings.get(resource.name, {}), **bindings}
        )
        url, query = join_url(self._base_url, endpoint.path), endpoint.params
        problem = url_problem(url)
        if problem is not None:
            raise self._unusable_url(resource, url, problem)

        emitted = 0  # pages of this sequence handed on

        async def fetch(request: PageRequest) -> FetchedPage:
            # the pages needed soonest get the free slots first (see http.Slots)
            spec = _request_spec(endpoint, request, url, query, priority=request.index - emitted)
            try:
                response = await self._http.send(
                    spec, resource=resource.name, auth=endpoint.auth, react=resource.react
                )
            except ResponseIgnored as exc:
                self._note(resource, f"a response action ignored an HTTP {exc.status} answer")
                return FetchedPage(Page(request, None, {}, spec.url, 0), [], ignored=True)
            # parsing makes a page's objects by the thousand: the collector, left on, would walk
            # the fresh records again and again while they are being made
            with _memory.paused():
                return parse_page(
                    resource, request, response, extra, secrets=self._secrets, note=self._note
                )

        async def emit(fetched: FetchedPage) -> None:
            nonlocal emitted
            emitted += 1
            stats = resource.stats
            stats.pages += 1
            stats.records += fetched.page.record_count
            if fetched.page.record_count:
                await self._feed_children(resource, fetched.records)
                if resource.queue is not None:
                    await resource.queue.put(fetched.records)
            self._event(ProgressEvent(resource.name, "page", stats.pages, stats.records))

        try:
            await self._paginate(resource, endpoint, url, query, fetch, emit)
        except UnusableLink as exc:
            # the link itself is quoted masked; the errors under it may quote it as it is
            raise self._unusable_link(resource, exc) from None
        except (PaginationLoop, PaginationError) as exc:
            raise ResponseError(
                redact_text(str(exc), self._secrets),
                resource=resource.name,
                url=redact_url(url, self._secrets),
                hint="check endpoint.paginator against the API's documentation",
            ) from exc

    def _unusable_url(self, resource: ResourceRun, url: str, problem: str) -> FatalAPIError:
        """The error for a request URL (``base_url`` and the endpoint's path, its
        placeholders filled) that cannot be requested."""
        shown = shorten(redact_url(url, self._secrets))
        parent = resource.config.parent
        fields = f", and the fields of '{parent}' records that fill it" if parent else ""
        return FatalAPIError(
            f"the URL {shown!r} cannot be requested: {problem}",
            resource=resource.name,
            url=shown,
            hint=f"check client.base_url and endpoint.path{fields}",
        )

    def _unusable_link(self, resource: ResourceRun, exc: UnusableLink) -> ResponseError:
        """The error for a next-page link that cannot be requested."""
        number = exc.page.request.index + 1
        if isinstance(exc.link, str):
            shown = shorten(redact_url(exc.link, self._secrets))
            message = (
                f"the response to page {number} links the next page ({exc.source}) to "
                f"{shown!r}, which cannot be requested: {exc.problem}"
            )
        else:
            message = (
                f"the response to page {number} gives no URL for the next page "
                f"({exc.source}): {exc.problem}"
            )
        return ResponseError(
            message,
            resource=resource.name,
            url=shorten(redact_url(exc.page.url, self._secrets)),
            hint=exc.hint,
        )

    async def _feed_children(self, resource: ResourceRun, records: Batch) -> None:
        if not resource.children:
            return
        handed = self._handoff.get(resource.name, _as_is)(records)
        if not handed:
            return
        for child in resource.children:
            if child.feed is not None:
                await child.feed.put(handed)

    async def _paginate(
        self,
        resource: ResourceRun,
        endpoint: EndpointConfig,
        url: str,
        query: Mapping[str, Any],
        fetch: Fetch,
        emit: Emit,
    ) -> None:
        """Build the sequence's paginator and run it: a window of pages when its requests are
        predictable, else one page after another. ``endpoint`` is the sequence's own (its
        placeholders filled): a cursor in the body and a live paginator start from it."""
        config = resource.paginator_config
        warn = functools.partial(self._warn, resource)
        if isinstance(config, PageNumberConfig) and config.base_page is None:
            probe = PageNumberPaginator(config, base_page=0)
            base, prefetched, how = await detect_base_page(probe, fetch)
            self._note(resource, f"the first page number is not configured: {how}")
            paginator = build_paginator(config, base_page=base)
            assert isinstance(paginator, PredictablePaginator)
            await run_windowed(
                paginator, fetch, emit, resource.window, warn=warn, prefetched=prefetched
            )
            return
        first = FirstRequest(
            method=endpoint.method,
            url=url,
            params=query,
            json=endpoint.json_body,
            data=endpoint.data,
            headers=endpoint.headers,
        )
        paginator = build_paginator(config, first=first)
        if isinstance(config, CustomPaginator):
            self._note(resource, f"paginator {config.class_name} runs sequentially")
        if isinstance(paginator, PredictablePaginator):
            await run_windowed(paginator, fetch, emit, resource.window, warn=warn)
        else:
            await run_sequential(paginator, fetch, emit, warn=warn)
            if isinstance(paginator, AutoPaginator) and paginator.chosen is not None:
                chosen = paginator.chosen.name
                self._note(resource, f"no paginator configured; detected '{chosen}'")

    def _warn(self, resource: ResourceRun, message: str) -> None:
        log.warning("resource '%s': %s", resource.name, message)
