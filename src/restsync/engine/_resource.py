"""What the engine knows of one resource while it runs: its config, its (possibly detected)
selector, its page window, its stats and where its records go; and the progress events the
engine reports about it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from restsync.config import CustomPaginator, ResourceConfig, SourceConfig
from restsync.http import AdaptiveWindow, response_reactor
from restsync.process import compile_steps
from restsync.select import Selector, compile_selector

from ._bridge import Batch, End


@dataclass(frozen=True)
class ProgressEvent:
    """What the engine tells a progress display. ``kind`` is ``page`` (a page was handed on),
    ``retry`` / ``throttle`` (from HTTP), ``info`` (a decision worth telling, e.g. a detected
    data selector), ``done`` or ``failed``. ``pages`` and ``records`` count so far; a ``done``
    event also carries the resource's ``requests`` (attempts sent, retries included),
    ``retries`` and ``throttled`` (answers 429)."""

    resource: str
    kind: Literal["page", "retry", "throttle", "info", "done", "failed"]
    pages: int = 0
    records: int = 0
    message: str = ""
    requests: int = 0
    retries: int = 0
    throttled: int = 0


@dataclass
class ResourceStats:
    pages: int = 0
    records: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    notes: list[str] = field(default_factory=list)


class ResourceRun:
    """Per-resource runtime state. ``queue`` takes the pages to load (a selected resource);
    ``feed`` the parent's records (a child resource); ``children`` are fed by this one."""

    def __init__(self, config: ResourceConfig, source: SourceConfig) -> None:
        self.config = config
        self.name = config.name
        self.paginator_config = config.endpoint.paginator or source.client.paginator
        self.selector: Selector | None = compile_selector(config.endpoint.data_selector)
        self.steps = compile_steps(config.processing_steps)
        self.react = response_reactor(config.endpoint.response_actions)
        #: a live paginator reads each page's body and records (``update_state(response, data)``)
        self.keeps_records = isinstance(self.paginator_config, CustomPaginator)
        self.stats = ResourceStats()
        limits = source.client.limits
        self.window = AdaptiveWindow(initial=limits.page_window, maximum=limits.page_window)
        self.queue: asyncio.Queue[Batch | End] | None = None
        self.children: list[ResourceRun] = []
        self.feed: asyncio.Queue[Batch | End] | None = None

    def outputs(self) -> list[asyncio.Queue[Batch | End]]:
        """Where this resource's pages go: its children's feeds, then its own queue."""
        outputs = [child.feed for child in self.children if child.feed is not None]
        return outputs + ([self.queue] if self.queue is not None else [])
