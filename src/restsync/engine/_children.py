"""Child resources: one request sequence per record of the parent resource (placeholders
``{resources.<parent>.<field>}``), several at a time, each filled with values from its parent
record."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from restsync._exceptions import ResponseError
from restsync.http import redact_url

from ._bridge import End
from ._resource import ResourceRun
from ._sequence import Sequences


def parent_field(record: Any, path: str) -> Any:
    """A field of a parent record (dotted path) used to build a child request."""
    node = record
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


async def run_children(
    sequences: Sequences, resource: ResourceRun, *, max_in_flight: int, secrets: list[str]
) -> None:
    """One request sequence per record on ``resource.feed``, up to ``max_in_flight`` of them
    at once, until the feed ends; the first failure fails the resource."""
    assert resource.feed is not None
    config = resource.config
    found = config.endpoint.references()
    parent_name = next(iter(found.values())).resource
    slots = asyncio.Semaphore(max_in_flight)
    feed = resource.feed

    async def one(parent_record: Any) -> None:
        try:
            bindings: dict[str, Any] = {}
            for placeholder, ref in found.items():
                value = parent_field(parent_record, ref.field)
                if value is None:
                    raise ResponseError(
                        f"a '{parent_name}' record has no '{ref.field}' to fill "
                        f"{{{placeholder}}}; check the field name in the endpoint",
                        resource=resource.name,
                        url=redact_url(config.endpoint.path, secrets),
                    )
                bindings[placeholder] = value
            extra = {
                f"_{parent_name}_{name}": parent_field(parent_record, name)
                for name in config.include_from_parent
            }
            await sequences.run(resource, bindings, extra)
        finally:
            slots.release()

    try:
        async with asyncio.TaskGroup() as group:
            while not isinstance(batch := await feed.get(), End):
                for parent_record in batch:
                    await slots.acquire()
                    group.create_task(one(parent_record))
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
