"""The engine's parent/child fan-out under a consumer that drains ONE resource at a time and
blocks on it, as dlt does: whatever the order, every record comes out once and nothing
deadlocks, even with the smallest queues."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from engine.sync_harness import config, emulator, resource
from restsync import load_config
from restsync.engine import Engine

NAMES = ("items", "notes", "replies")


def family() -> dict[str, Any]:
    def resolve(parent: str) -> dict[str, Any]:
        return {"type": "resolve", "resource": parent, "field": "id"}

    return config(
        resource("items", paginator={"type": "page_number", "base_page": 1}),
        resource(
            "notes",
            "/items/{item_id}/notes",
            paginator={"type": "single_page"},
            params={"item_id": resolve("items")},
        ),
        resource(
            "replies",
            "/notes/{note_id}/replies",
            paginator={"type": "single_page"},
            params={"note_id": resolve("notes")},
        ),
    )


@pytest.mark.parametrize(
    "order",
    [NAMES, tuple(reversed(NAMES)), ("notes", "items", "replies")],
    ids=["parents_first", "leaves_first", "middle_first"],
)
def test_draining_one_resource_at_a_time_never_deadlocks(order: tuple[str, ...]) -> None:
    source = family()
    api = emulator(source, records=120, page_size=5)
    # a queue full at one page (of 5 records), so that a waiting parent would deadlock
    engine = Engine(
        load_config(source),
        transport=httpx.ASGITransport(app=api.app),
        queue_depth=1,
        queue_records=0,
    )
    drained: dict[str, list[Any]] = {}

    def drain() -> None:
        for name in order:
            drained[name] = [
                record["id"] for chunk in engine.batches(name) for page in chunk for record in page
            ]

    engine.start(set(NAMES))
    consumer = threading.Thread(target=drain, daemon=True)
    consumer.start()
    consumer.join(timeout=20)
    engine.close()

    assert not consumer.is_alive(), f"deadlocked; drained only {sorted(drained)}"
    for name in NAMES:
        assert sorted(drained[name]) == sorted(r["id"] for r in api.records(name)), name
