"""Child resources: one request sequence per record of the parent resource (endpoint params
of type ``resolve``), several at a time, each filled with values from its parent record."""

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
    resolved = config.endpoint.resolved_params()
    parent_name = next(iter(resolved.values())).resource
    slots = asyncio.Semaphore(max_in_flight)
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
                        url=redact_url(config.endpoint.path, secrets),
                    )
                values[key] = value
            extra = {
                f"_{parent_name}_{name}": parent_field(parent_record, name)
                for name in config.include_from_parent
            }
            await sequences.run(resource, values, extra)
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
