"""``Slots``: a semaphore that lets its waiters in by priority, nearest pages first.

With a first-come queue, a resource that runs ahead fills the queue with pages it may never
need: near its end, pages past the last one take slots that other resources' next pages are
waiting for, and every one of them costs a round trip. Let in by distance from the page each
sequence needs next, the pages past the end wait until the empty page that ends the sequence
is answered, and are then cancelled before they are sent.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class Slots:
    """At most ``size`` holders; waiters are let in lowest ``priority`` first, then in order of
    arrival. A waiter cancelled after it was let in passes its slot on."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, priority: int = 0) -> None:
        if self._free > 0:  # then nobody waits: a release hands its slot to a waiter first
            self._free -= 1
            return
        granted = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._arrivals), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, granted = heapq.heappop(self._waiters)
            if not granted.done():  # a cancelled waiter's future is done
                granted.set_result(None)
                return
        self._free += 1
