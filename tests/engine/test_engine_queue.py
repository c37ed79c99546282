"""A resource's queue is full once it holds a few pages AND enough records: small pages then
queue up by the dozen and reach dlt together (dlt spends a fixed time on every item), while
big pages hold memory to a few."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from engine.sync_harness import config, emulator, resource
from restsync import load_config
from restsync.engine import Engine


def _chunk_behind_a_full_queue(page_size: int) -> tuple[list[Any], list[Any], list[Any]]:
    """1,000 records in pages of ``page_size``, through a queue of 2 pages and 100 records: the
    chunk the consumer takes once the fetches wait on the full queue, every record, and
    the API's records."""
    source = config(resource("items", paginator={"type": "page_number", "base_page": 1}))
    api = emulator(source, records=1_000, page_size=page_size)
    transport = httpx.ASGITransport(app=api.app)
    engine = Engine(load_config(source), transport=transport, queue_depth=2, queue_records=100)
    engine.start({"items"})
    try:
        chunks = engine.batches("items", max_rows=10_000)
        first = next(chunks)  # the first page alone
        queue = engine.resources["items"].queue
        assert queue is not None
        for _ in range(2_000):  # until the fetches wait on a full queue (at most ~10 s)
            if queue.full():
                break
            time.sleep(0.005)
        chunk = next(chunks)
        rest = [page for later in chunks for page in later]
    finally:
        engine.close()
    records = [record for page in [*first, *chunk, *rest] for record in page]
    return chunk, records, api.records("items")


@pytest.mark.parametrize(
    ("page_size", "pages"),
    [(10, 10), (200, 2)],
    ids=["small pages: up to 100 records", "big pages: 2 of them"],
)
def test_a_queue_holds_its_pages_and_its_records(page_size: int, pages: int) -> None:
    chunk, records, expected = _chunk_behind_a_full_queue(page_size)
    assert [len(page) for page in chunk] == [page_size] * pages
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in expected)
