"""The engine: every resource of a source fetched concurrently on ONE asyncio event loop.

The loop runs in a background thread (``_bridge``) so that dlt, which pulls records from
ordinary generators, can stay synchronous. Each selected resource gets a bounded queue of record
batches (one batch per page, up to a few pages and ``QUEUE_RECORDS`` records): when dlt falls
behind, producers wait, so memory is bounded by queue size and page windows, never by the size
of the data. Child resources (``_children``)
are fed the records of their parent and make one request sequence (``_sequence``) per parent
record, several at a time. A parent never waits for its consumers (dlt drains one resource at a
time, so a waiting parent could deadlock it): parents buffer up to their data.

Everything HTTP (auth, retries, limits) is ``restsync.http``'s; which page comes next is
``restsync.paginate``'s; where the records sit in a body is ``restsync.select``'s.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import httpx

from restsync._exceptions import ConfigError, RestSyncError
from restsync.config import SourceConfig
from restsync.http import HttpClient, HttpEvent, redact_error, redacted_logs
from restsync.http import secret_values as config_secrets

from ._bridge import Batch, End, LoopThread, PageQueue, close_queue
from ._children import run_children
from ._resource import ProgressEvent, ResourceRun
from ._sequence import Handoff, Sequences

log = logging.getLogger("restsync")

#: records a resource's queue holds before its fetches wait (and at least ``queue_depth``
#: pages): dlt gets small pages in batches of up to this many
QUEUE_RECORDS = 2_000


class Engine:
    """Runs the fetches of one source. Thread-side use::

        engine = Engine(config)
        engine.start(selected={"campaigns", "prospects"})
        for chunk in engine.batches("campaigns"): ...
        engine.close()

    ``start`` launches every selected resource (and the parents they need) at once, so all of
    them download concurrently while dlt drains one queue at a time. ``handoff`` maps a parent
    resource to the ``Handoff`` that picks, page by page in order, the records its children
    are fed (the source keeps there what the parent's incremental keeps). ``bindings`` maps a
    resource to placeholder values that fill every request of it
    (``{"incremental.start_value": ...}``), beside those a child takes from its parent.
    ``seeds`` maps a parent that is not in the config (one of its ``passed_resources``) to
    its records, which its children are fed as if it had fetched them.
    A resource's queue is full once it holds ``queue_depth`` pages and ``queue_records``
    records, both.
    """

    def __init__(
        self,
        config: SourceConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_event: Callable[[ProgressEvent], None] | None = None,
        queue_depth: int = 2,
        queue_records: int = QUEUE_RECORDS,
        handoff: Mapping[str, Handoff] | None = None,
        bindings: Mapping[str, Mapping[str, Any]] | None = None,
        seeds: Mapping[str, Batch] | None = None,
    ) -> None:
        self.config = config
        self._seeds = dict(seeds or {})
        self._handoff = dict(handoff or {})
        self._bindings = dict(bindings or {})
        self._transport = transport
        self._on_event = on_event
        self._queue_depth = queue_depth
        self._queue_records = queue_records
        self._secrets = config_secrets(config)
        self.resources = {r.name: ResourceRun(r, config) for r in config.resources}
        self._loop = LoopThread("restsync-engine")
        self._started = False
        self._lock = threading.Lock()

    # --- thread side ---------------------------------------------------------------------

    def start(self, selected: Collection[str]) -> None:
        """Start fetching ``selected`` resources (idempotent: later calls do nothing)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            needed = self._plan(set(selected))
            self._loop.start(self._run(needed))

    def batches(self, name: str, *, max_rows: int = 0) -> Iterator[list[Any]]:
        """Chunks of one started resource's pages (each page its records), in page order;
        raises what the fetch raised. Blocks only while nothing is queued: a chunk is the next
        page plus the pages already waiting behind it, up to about ``max_rows`` records, so a
        slow consumer gets fewer, larger chunks and a fast one never waits to fill one. The
        first chunk is always the first page alone."""
        queue = self.resources[name].queue
        if not self._started or queue is None:
            raise RuntimeError(f"resource '{name}' was not started")
        return self._loop.drain(queue, max_rows)

    def close(self) -> None:
        """Stop every fetch and the loop thread; safe to call more than once."""
        with self._lock:
            self._loop.stop()

    # --- loop side -----------------------------------------------------------------------

    def _event(self, event: ProgressEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def _on_http_event(self, event: HttpEvent) -> None:
        resource = self.resources.get(event.resource)
        if resource is None:
            return
        if event.kind == "request":
            resource.stats.requests += 1
            if event.status == 429:
                resource.stats.throttled += 1
        elif event.kind == "throttle":
            resource.window.on_throttle()
        elif event.kind == "retry":
            resource.stats.retries += 1
            message = f"HTTP {event.status}" if event.status else "transport error"
            self._event(ProgressEvent(resource.name, "retry", message=message))

    def _note(self, resource: ResourceRun, message: str) -> None:
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
            while parent is not None and parent not in needed and parent not in self._seeds:
                needed.add(parent)
                parent = self.resources[parent].config.parent
        for name in needed:
            resource = self.resources[name]
            parent = resource.config.parent
            if parent is not None:
                resource.feed = asyncio.Queue()
                if parent in self._seeds:
                    resource.feed.put_nowait(list(self._seeds[parent]))
                    resource.feed.put_nowait(End())
                else:
                    self.resources[parent].children.append(resource)
        # dlt drains one resource at a time and blocks on it: a parent waiting on a full queue
        # (its own or a child's feed) while dlt waits on another resource that needs the
        # parent's records would deadlock. So a resource with children never waits (its
        # buffer is bounded by its data); only leaves are bounded, by pages and records
        for name in selected:
            resource = self.resources[name]
            resource.queue = (
                asyncio.Queue()
                if resource.children
                else PageQueue(pages=self._queue_depth, records=self._queue_records)
            )
        return needed

    async def _run(self, needed: set[str]) -> None:
        opened = False
        try:
            with redacted_logs(self._secrets):
                async with HttpClient(
                    self.config.client,
                    transport=self._transport,
                    on_event=self._on_http_event,
                    secrets=self._secrets,
                ) as http:
                    opened = True
                    sequences = Sequences(
                        http,
                        base_url=self.config.client.base_url,
                        secrets=self._secrets,
                        handoff=self._handoff,
                        bindings=self._bindings,
                        note=self._note,
                        event=self._event,
                    )
                    await self._run_resources(sequences, needed)
        except BaseException as exc:
            # whatever stops the run, at any point, reaches every consumer: dlt waits on the
            # queues, and one left open would wait forever
            error: BaseException = RestSyncError("sync was stopped")
            if isinstance(exc, RestSyncError) or (opened and isinstance(exc, Exception)):
                error = redact_error(exc, self._secrets)
            elif isinstance(exc, Exception):
                # the client is made of the config alone
                error = ConfigError(f"the HTTP client cannot be opened: {exc}", location="client")
                error.__cause__ = exc
                error = redact_error(error, self._secrets)
            for resource in self.resources.values():
                if resource.queue is not None:
                    close_queue(resource.queue, error)
            if not isinstance(exc, Exception):
                raise

    async def _run_resources(self, sequences: Sequences, needed: set[str]) -> None:
        tasks = [
            asyncio.create_task(self._run_resource(sequences, self.resources[name]), name=name)
            for name in sorted(needed)
        ]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _run_resource(self, sequences: Sequences, resource: ResourceRun) -> None:
        failure: BaseException | None = None
        try:
            if resource.feed is None:
                await sequences.run(resource, {}, {})
            else:
                await run_children(
                    sequences,
                    resource,
                    max_in_flight=self.config.client.limits.max_in_flight,
                    secrets=self._secrets,
                )
        except Exception as exc:
            failure = redact_error(exc, self._secrets)
        if failure is not None:
            # the one way out of the engine: dlt keeps the error's text, and its causes', in
            # the pipeline's trace file. Raised outside the handler, so that an error which
            # redact_error replaced does not come back as the new one's context
            self._event(ProgressEvent(resource.name, "failed", message=str(failure)))
            raise failure
        for downstream in resource.outputs():
            await downstream.put(End())
        stats = resource.stats
        self._event(
            ProgressEvent(
                resource.name,
                "done",
                stats.pages,
                stats.records,
                requests=stats.requests,
                retries=stats.retries,
                throttled=stats.throttled,
            )
        )


__all__ = ["Batch", "Engine"]
