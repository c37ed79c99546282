"""The engine: every resource of a source fetched concurrently on ONE asyncio event loop.

The loop runs in a background thread so that dlt, which pulls records from ordinary
generators, can stay synchronous. Each selected resource gets a bounded queue of record
batches (one batch per page): when dlt falls behind, producers wait, so memory is bounded by
queue depth and page windows, never by the size of the data. Child resources (endpoint params
of type ``resolve``) are fed the records of their parent and make one request sequence per
parent record, several at a time. A parent never waits for its consumers (dlt drains one
resource at a time, so a waiting parent could deadlock it): parents buffer up to their data.

Everything HTTP (auth, retries, limits) is ``restsync.http``'s; which page comes next is
``restsync.paginate``'s; where the records sit in a body is ``restsync.select``'s. The engine
wires them together, turns surprises into ``ResponseError`` s that name the resource and URL,
and reports progress.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
import orjson

from restsync import _memory
from restsync._exceptions import ResponseError, RestSyncError
from restsync.config import OffsetPaginator as OffsetConfig
from restsync.config import PageNumberPaginator as PageNumberConfig
from restsync.config import ResourceConfig, SourceConfig
from restsync.http import (
    AdaptiveWindow,
    HttpClient,
    HttpEvent,
    RequestSpec,
    redact_text,
    redact_url,
)
from restsync.http import secret_values as config_secrets
from restsync.paginate import (
    AutoPaginator,
    Page,
    PageNumberPaginator,
    PageRequest,
    PaginationError,
    PredictablePaginator,
    build_paginator,
)
from restsync.select import (
    KeySelector,
    Selector,
    SelectorNotFound,
    compile_selector,
    describe,
    detect_selector,
)

from ._pages import (
    FetchedPage,
    PaginationLoop,
    detect_base_page,
    identify,
    run_sequential,
    run_windowed,
)

log = logging.getLogger("restsync")

_FINISH_SECONDS = 5.0  # at most this long for the tasks left when the engine stops

Batch = list[Any]


@dataclass(frozen=True)
class ProgressEvent:
    """What the engine tells a progress display. ``kind`` is ``page`` (a page was handed on),
    ``retry`` / ``throttle`` (from HTTP), ``info`` (a decision worth telling, e.g. a detected
    data selector), ``done`` or ``failed``."""

    resource: str
    kind: Literal["page", "retry", "throttle", "info", "done", "failed"]
    pages: int = 0
    records: int = 0
    message: str = ""


@dataclass
class ResourceStats:
    pages: int = 0
    records: int = 0
    retries: int = 0
    notes: list[str] = field(default_factory=list)


@functools.cache
def _object_keys(path: str) -> tuple[str, ...] | None:
    selector = compile_selector(path)
    return selector.object_keys if isinstance(selector, KeySelector) else None


def _decodable(resource: _Resource) -> tuple[str, ...] | None:
    """The keys leading to the records when a page of ``resource`` can be decoded straight from
    its body: they are plain object keys, and the paginator counts records and reads at most
    a total and a has-more flag from outside them (page numbers or offsets)."""
    config = resource.paginator_config
    selector = resource.selector
    if not isinstance(config, PageNumberConfig | OffsetConfig):
        return None
    keys = selector.object_keys if isinstance(selector, KeySelector) else None
    if not keys:
        return None
    for path in (config.total_path, config.has_more_path):
        if path is None:
            continue
        read = _object_keys(path)
        if read is None or read[: len(keys)] == keys:
            return None
    return keys


class _End:
    """Sentinel closing a queue; ``error`` set when the producer failed."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def _prepared(fetched: FetchedPage, prepare: Callable[[Batch], Any]) -> FetchedPage:
    """``fetched`` with its records prepared. Records that became something else are dropped
    from the parsed document too (the selector may have handed out the document's own list),
    so they are freed now rather than when the page's turn comes."""
    records = fetched.records
    ready = prepare(records)
    if ready is not records:
        records.clear()
    return replace(fetched, records=ready, prepared=True)


def _as_is(records: Batch) -> Batch:
    return records


@dataclass(frozen=True)
class Decoded:
    """A page read straight from its body by a ``Decode``: what ``prepare`` would have made of
    its records, their count and identity (as ``identify``), and the rest of the body as
    Python values, which the paginator reads."""

    ready: Any
    record_count: int
    identity: tuple[int, bytes, bytes] | None
    document: Any


#: reads a page's body given the keys leading to its records; None when it must be parsed
Decode = Callable[[bytes, tuple[str, ...]], Decoded | None]


def _finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """What ``asyncio.run`` does on its way out, for a stopped ``loop``: the tasks still there
    (a fetch being cancelled, connections being closed) run to their end, those not yet told
    to stop being cancelled first; destroying them pending would leave sockets open."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        if not task.cancelling():
            task.cancel()
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=_FINISH_SECONDS))
    loop.run_until_complete(loop.shutdown_asyncgens())


async def _take(queue: asyncio.Queue[Batch | _End], max_rows: int) -> list[Any]:
    """The next queued item, then whatever else is queued already, up to ``max_rows`` records
    or the end."""
    items: list[Any] = [await queue.get()]
    rows = 0 if isinstance(items[0], _End) else len(items[0])
    while rows < max_rows and not queue.empty() and not isinstance(items[-1], _End):
        item = queue.get_nowait()
        items.append(item)
        rows += 0 if isinstance(item, _End) else len(item)
    return items


def join_url(base_url: str, path: str) -> str:
    """dlt's joining: ``path`` is appended to ``base_url`` even when it starts with ``/``."""
    if not path:
        return base_url
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def parent_field(record: Any, path: str) -> Any:
    """A field of a parent record (dotted path) used to build a child request."""
    node = record
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


class _RedactSecrets(logging.Filter):
    """Masks a config's secrets in log records of the HTTP libraries underneath (httpx logs
    every request URL at INFO, API keys sent as query parameters included)."""

    LOGGERS = ("httpx", "httpcore")

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class _Resource:
    """Per-resource runtime state: the config, its (possibly detected) selector, its window,
    its stats and where its records go."""

    def __init__(self, config: ResourceConfig, source: SourceConfig) -> None:
        self.config = config
        self.name = config.name
        self.paginator_config = config.endpoint.paginator or source.client.paginator
        self.selector: Selector | None = compile_selector(config.endpoint.data_selector)
        self.stats = ResourceStats()
        limits = source.client.limits
        self.window = AdaptiveWindow(initial=limits.page_window, maximum=limits.page_window)
        self.queue: asyncio.Queue[Batch | _End] | None = None
        self.children: list[_Resource] = []
        self.feed: asyncio.Queue[Batch | _End] | None = None  # parent records, for a child


class Engine:
    """Runs the fetches of one source. Thread-side use::

        engine = Engine(config)
        engine.start(selected={"campaigns", "prospects"})
        for chunk in engine.batches("campaigns"): ...
        engine.close()

    ``start`` launches every selected resource (and the parents they need) at once, so all of
    them download concurrently while dlt drains one queue at a time. ``prepare`` maps a
    resource to a function applied to each of its pages, in page order, before the page is
    queued (the source turns pages into Arrow tables there: smaller while they wait).
    ``decode`` maps a resource to a ``Decode``, tried in a worker thread on each page after the
    first when nothing but the record count is read from pages (see ``_decodable``).
    """

    def __init__(
        self,
        config: SourceConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        queue_depth: int = 8,
        prepare: Mapping[str, Callable[[Batch], Any]] | None = None,
        decode: Mapping[str, Decode] | None = None,
    ) -> None:
        self.config = config
        self._prepare = dict(prepare or {})
        self._decode = dict(decode or {})
        # decoding runs outside the GIL, beside this loop and dlt: two threads keep both busy
        self._decoders = concurrent.futures.ThreadPoolExecutor(2, "restsync-decode")
        self._transport = transport
        self._on_event = on_event
        self._queue_depth = queue_depth
        self._secrets = config_secrets(config)
        self.resources = {r.name: _Resource(r, config) for r in config.resources}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main: concurrent.futures.Future[None] | None = None
        self._lock = threading.Lock()

    # --- thread side ---------------------------------------------------------------------

    def start(self, selected: Collection[str]) -> None:
        """Start fetching ``selected`` resources (idempotent: later calls do nothing)."""
        with self._lock:
            if self._loop is not None:
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                _finish_tasks(loop)
                loop.close()

            self._thread = threading.Thread(target=run, name="restsync-engine", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
            needed = self._plan(set(selected))
            self._main = asyncio.run_coroutine_threadsafe(self._run(needed), loop)

    def batches(self, name: str, *, max_rows: int = 0) -> Iterator[list[Any]]:
        """Chunks of one started resource's pages (each page its records, or what ``prepare``
        made of them), in page order; raises what the fetch raised. Blocks only while nothing
        is queued: a chunk is the next page plus the pages already waiting behind it, up to
        about ``max_rows`` records, so a slow consumer gets fewer, larger chunks and a fast one
        never waits to fill one. The first chunk is always the first page alone."""
        loop = self._loop
        resource = self.resources[name]
        if loop is None or resource.queue is None:
            raise RuntimeError(f"resource '{name}' was not started")
        queue = resource.queue
        rows = 0
        while True:
            items = asyncio.run_coroutine_threadsafe(_take(queue, rows), loop).result()
            rows = max_rows
            end = items.pop() if isinstance(items[-1], _End) else None
            if items:
                yield items
            if end is not None:
                if end.error is not None:
                    raise end.error
                return

    def close(self) -> None:
        """Stop every fetch and the loop thread; safe to call more than once."""
        with self._lock:
            loop, self._loop = self._loop, None
            if loop is None:
                return
            if self._main is not None and not self._main.done():
                loop.call_soon_threadsafe(self._main.cancel)
                with contextlib.suppress(BaseException):
                    self._main.result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._decoders.shutdown(wait=True, cancel_futures=True)

    # --- loop side -----------------------------------------------------------------------

    def _event(self, event: ProgressEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _on_http_event(self, event: HttpEvent) -> None:
        resource = self.resources.get(event.resource)
        if resource is None:
            return
        if event.kind == "throttle":
            resource.window.on_throttle()
        elif event.kind == "retry":
            resource.stats.retries += 1
            message = f"HTTP {event.status}" if event.status else "transport error"
            self._event(ProgressEvent(resource.name, "retry", message=message))

    def _note(self, resource: _Resource, message: str) -> None:
        """Tell a decision once per resource (child resources make it per sequence)."""
        if message in resource.stats.notes:
            return
        resource.stats.notes.append(message)
        log.info("resource '%s': %s", resource.name, message)
        self._event(ProgressEvent(resource.name, "info", message=message))

    def _plan(self, selected: set[str]) -> set[str]:
        """Wire queues: one per selected resource, one feed per child; parents of selected
        children are fetched too (but only loaded when selected themselves)."""
        unknown = selected - self.resources.keys()
        if unknown:
            raise KeyError(f"unknown resources: {', '.join(sorted(unknown))}")
        needed = set(selected)
        for name in selected:
            parent = self.resources[name].config.parent
            while parent is not None and parent not in needed:
                needed.add(parent)
                parent = self.resources[parent].config.parent
        for name in needed:
            resource = self.resources[name]
            parent = resource.config.parent
            if parent is not None:
                resource.feed = asyncio.Queue()
                self.resources[parent].children.append(resource)
        # dlt drains one resource at a time and blocks on it: a parent waiting on a full queue
        # (its own or a child's feed) while dlt waits on another resource that needs the
        # parent's records would deadlock. So a resource with children never waits (its
        # buffer is bounded by its data); only leaves are bounded by queue depth
        for name in selected:
            resource = self.resources[name]
            resource.queue = asyncio.Queue(0 if resource.children else self._queue_depth)
        return needed

    async def _run(self, needed: set[str]) -> None:
        redact = _RedactSecrets(self._secrets)
        for name in _RedactSecrets.LOGGERS:
            logging.getLogger(name).addFilter(redact)
        try:
            await self._run_resources(needed)
        finally:
            for name in _RedactSecrets.LOGGERS:
                logging.getLogger(name).removeFilter(redact)

    async def _run_resources(self, needed: set[str]) -> None:
        async with HttpClient(
            self.config.client, transport=self._transport, on_event=self._on_http_event
        ) as http:
            tasks = [
                asyncio.create_task(self._run_resource(http, self.resources[name]), name=name)
                for name in sorted(needed)
            ]
            try:
                await asyncio.gather(*tasks)
            except BaseException as exc:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                error = exc if isinstance(exc, Exception) else RestSyncError("sync was stopped")
                for resource in self.resources.values():
                    if resource.queue is not None:
                        self._close_queue(resource.queue, error)
                if not isinstance(exc, Exception):
                    raise

    @staticmethod
    def _close_queue(queue: asyncio.Queue[Batch | _End], error: BaseException) -> None:
        """Put the failure where the consumer will see it next, dropping unread batches:
        the run fails as a whole, so they would never be loaded."""
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(_End(error))

    async def _run_resource(self, http: HttpClient, resource: _Resource) -> None:
        try:
            if resource.feed is None:
                await self._run_sequence(http, resource, resource.config.endpoint.params, {})
            else:
                await self._run_children(http, resource)
        except Exception as exc:
            self._event(ProgressEvent(resource.name, "failed", message=str(exc)))
            raise
        for downstream in self._outputs(resource):
            await downstream.put(_End())
        stats = resource.stats
        self._event(ProgressEvent(resource.name, "done", stats.pages, stats.records))

    @staticmethod
    def _outputs(resource: _Resource) -> list[asyncio.Queue[Batch | _End]]:
        outputs = [child.feed for child in resource.children if child.feed is not None]
        return outputs + ([resource.queue] if resource.queue is not None else [])

    async def _run_children(self, http: HttpClient, resource: _Resource) -> None:
        """One request sequence per parent record, up to ``max_in_flight`` of them at once."""
        assert resource.feed is not None
        config = resource.config
        resolved = config.endpoint.resolved_params()
        parent_name = next(iter(resolved.values())).resource
        slots = asyncio.Semaphore(self.config.client.limits.max_in_flight)
        feed = resource.feed

        async def one(parent_record: Any) -> None:
            try:
                values: dict[str, Any] = {}
                for key, param in resolved.items():
                    value = parent_field(parent_record, param.field)
                    if value is None:
                        raise ResponseError(
                            f"a '{parent_name}' record has no '{param.field}' to fill "
                            f"'{key}'; check endpoint.params.{key}.field",
                            resource=resource.name,
                            url=redact_url(config.endpoint.path, self._secrets),
                        )
                    values[key] = value
                extra = {
                    f"_{parent_name}_{name}": parent_field(parent_record, name)
                    for name in config.include_from_parent
                }
                await self._run_sequence(http, resource, values, extra)
            finally:
                slots.release()

        try:
            async with asyncio.TaskGroup() as group:
                while not isinstance(batch := await feed.get(), _End):
                    for parent_record in batch:
                        await slots.acquire()
                        group.create_task(one(parent_record))
        except BaseExceptionGroup as group_error:
            raise group_error.exceptions[0] from None

    async def _run_sequence(
        self,
        http: HttpClient,
        resource: _Resource,
        path_params: Mapping[str, Any],
        extra: Mapping[str, Any],
    ) -> None:
        """All pages of one request sequence of ``resource``."""
        endpoint = resource.config.endpoint
        url, query = self._target(resource, path_params)

        prepare = self._prepare.get(resource.name, _as_is)
        # no child reads these records: prepare each page as soon as it is parsed, once the
        # first page (which may decide how all are prepared) went through in order
        early = resource.queue is not None and not resource.children and prepare is not _as_is
        decode = self._decode.get(resource.name) if early and not extra else None
        emitted = 0  # pages of this sequence handed on

        async def fetch(request: PageRequest) -> FetchedPage:
            spec = RequestSpec(
                method=endpoint.method,
                url=request.url or url,
                params=None if request.url else {**query, **request.params},
                json=endpoint.json_body,
                headers=endpoint.headers or None,
                # the pages needed soonest get the free slots first (see http.Slots)
                priority=request.index - emitted,
            )
            response = await http.send(spec, resource=resource.name, auth=endpoint.auth)
            if decode is not None and resource.stats.pages:
                decoded = await self._decoded(resource, request, response, decode)
                if decoded is not None:
                    return decoded
            # the collector would walk the fresh records again and again while they are alive;
            # converted right away, they are freed before it runs
            with _memory.paused():
                fetched = self._parse(resource, request, response, extra)
                if early and resource.stats.pages:
                    fetched = _prepared(fetched, prepare)
            return fetched

        async def emit(fetched: FetchedPage) -> None:
            nonlocal emitted
            emitted += 1
            resource.stats.pages += 1
            resource.stats.records += fetched.page.record_count
            if fetched.page.record_count:
                for child in resource.children:
                    if child.feed is not None:
                        await child.feed.put(fetched.records)
                if resource.queue is not None:
                    ready = fetched.records if fetched.prepared else prepare(fetched.records)
                    await resource.queue.put(ready)
            self._event(
                ProgressEvent(resource.name, "page", resource.stats.pages, resource.stats.records)
            )

        config = resource.paginator_config
        try:
            if isinstance(config, PageNumberConfig) and config.base_page is None:
                probe = PageNumberPaginator(config, base_page=0)
                base, prefetched, how = await detect_base_page(probe, fetch)
                self._note(resource, f"the first page number is not configured: {how}")
                paginator = build_paginator(config, base_page=base)
                assert isinstance(paginator, PredictablePaginator)
                await run_windowed(paginator, fetch, emit, resource.window, prefetched=prefetched)
                return
            paginator = build_paginator(config)
            if isinstance(paginator, PredictablePaginator):
                await run_windowed(paginator, fetch, emit, resource.window)
            else:
                await run_sequential(paginator, fetch, emit)
                if isinstance(paginator, AutoPaginator) and paginator.chosen is not None:
                    chosen = paginator.chosen.name
                    self._note(resource, f"no paginator configured; detected '{chosen}'")
        except (PaginationLoop, PaginationError) as exc:
            raise ResponseError(
                str(exc),
                resource=resource.name,
                url=redact_url(url, self._secrets),
                hint="check endpoint.paginator against the API's documentation",
            ) from exc

    def _target(
        self, resource: _Resource, path_params: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The URL and fixed query of a sequence: path parameters resolved from a parent's
        record go into the path, the others into the query."""
        endpoint = resource.config.endpoint
        resolved = endpoint.resolved_params()
        fixed = {k: v for k, v in endpoint.params.items() if k not in resolved}
        query = {**fixed, **{k: v for k, v in path_params.items() if k in resolved}}
        path = endpoint.path
        if resolved:
            path = path.format(**{k: path_params[k] for k in resolved})
            query = {k: v for k, v in query.items() if "{" + k + "}" not in endpoint.path}
        return join_url(self.config.client.base_url, path), query

    async def _decoded(
        self, resource: _Resource, request: PageRequest, response: httpx.Response, decode: Decode
    ) -> FetchedPage | None:
        """The page as ``decode`` reads it in a worker thread; None when it must be parsed."""
        keys = _decodable(resource)
        if keys is None:
            return None
        loop = asyncio.get_running_loop()
        decoded = await loop.run_in_executor(self._decoders, decode, response.content, keys)
        if decoded is None:
            return None
        page = Page(
            request=request,
            document=decoded.document,
            headers=response.headers,
            url=str(response.request.url),
            record_count=decoded.record_count,
        )
        return FetchedPage(page, decoded.ready, decoded.identity, prepared=True)

    def _parse(
        self,
        resource: _Resource,
        request: PageRequest,
        response: httpx.Response,
        extra: Mapping[str, Any],
    ) -> FetchedPage:
        """Body -> records, or a ``ResponseError`` that says what the response held instead."""
        url = redact_url(response.request.url, self._secrets)
        try:
            document = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            content_type = response.headers.get("content-type", "no content-type")
            excerpt = response.text[:120].replace("\n", " ")
            for secret in self._secrets:
                excerpt = excerpt.replace(secret, "***")
            raise ResponseError(
                f"the response is not JSON ({content_type}), it starts with {excerpt!r}",
                resource=resource.name,
                url=url,
                status=response.status_code,
                hint="check that base_url and the endpoint path point at the JSON API",
            ) from None
        selector = resource.selector
        if selector is None:
            try:
                selector = detect_selector(document)
            except SelectorNotFound as exc:
                raise ResponseError(
                    f"no data_selector is configured and {exc}",
                    resource=resource.name,
                    url=url,
                    hint="set endpoint.data_selector to the path of the record list",
                ) from None
            resource.selector = selector
            self._note(resource, f"no data_selector configured; records found at '{selector.path}'")
        records = selector.select(document)
        if records is None:
            raise ResponseError(
                f"data_selector '{selector.path}' is absent from the response, which holds "
                f"{describe(document)}",
                resource=resource.name,
                url=url,
                status=response.status_code,
                hint="the API may have changed its response; fix endpoint.data_selector",
            )
        if extra:
            records = [{**record, **extra} for record in records]
        page = Page(
            request=request,
            document=document,
            headers=response.headers,
            url=str(response.request.url),
            record_count=len(records),
        )
        return FetchedPage(page, records, identify(records))
