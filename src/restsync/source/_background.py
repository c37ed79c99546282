"""Writing a resource's files on a thread of their own, beside dlt's extract.

pyarrow writes CSV and parquet without holding the interpreter lock. Called on dlt's extract
thread, the writing waited for it, while the next pages could have been normalised on the
other core meanwhile. Here one resource's writes run in the order they were asked for on one
thread of their own, a few at most waiting (each holds a chunk's Arrow table: memory stays
bounded), and the first error of a write is raised on the extract's thread at the next call.
A writer is used by one thread at a time: the extract hands it over and takes it back only
once ``settle`` has returned.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from restsync._dlt import TTableSchemaColumns

#: most writes waiting or running at once (about a chunk of pages: its table and its nested
#: tables' rows)
PENDING = 4


class Background:
    """Runs calls, in order, on one thread of its own (started at the first call)."""

    def __init__(self, pending: int = PENDING) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="restsync-writer")
        self._pending: deque[Future[Any]] = deque()
        self._limit = pending

    def run(self, call: Callable[[], Any]) -> None:
        """Queues ``call`` once fewer than the limit wait; raises the error of an earlier
        call, if any."""
        while len(self._pending) >= self._limit:
            self._pending.popleft().result()
        self._pending.append(self._executor.submit(call))

    def settle(self) -> None:
        """Waits until every queued call has run; raises the first one's error."""
        while self._pending:
            self._pending.popleft().result()

    def close(self, *, failed: bool = False) -> None:
        """Ends the thread, after every queued call (``failed``: after the running one,
        the others dropped, their errors with them)."""
        try:
            if not failed:
                self.settle()
        finally:
            self._pending.clear()
            self._executor.shutdown(wait=True, cancel_futures=True)


def columns_now(columns: TTableSchemaColumns) -> TTableSchemaColumns:
    """A copy of ``columns`` as they are now, for a write on the writer thread: dlt changes
    the schema's own on the extract's thread meanwhile."""
    return {name: copy.copy(column) for name, column in columns.items()}
