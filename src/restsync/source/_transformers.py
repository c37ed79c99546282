"""Config resources fed by a dlt resource the caller listed beside them.

dlt's ``rest_api`` takes ``{"resources": [..., my_dlt_resource]}`` and lets a config resource
name that resource as its parent (``{resources.repositories.name}`` or a ``resolve``
parameter): the child becomes a dlt transformer of it, which dlt hands the parent's items
batch by batch. restsync builds such a child (and its own children in turn) the same way.
Each batch of parent items is fetched by an engine of its own, seeded with those items: the
requests of one batch run concurrently, the batches one after another. Every other config
resource keeps sharing the source's one engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
import httpx

from restsync._dlt import DltResource
from restsync.config import ResourceConfig, SourceConfig
from restsync.engine import Engine, ProgressEvent

from ._incremental import Incremental, bind_resource, bindings, make_incremental

Hints = Callable[[ResourceConfig], dict[str, Any]]


def fed_by_passed(
    config: SourceConfig,
    passed: Sequence[DltResource],
    *,
    hints: Hints,
    transport: httpx.AsyncBaseTransport | None,
    on_event: Callable[[ProgressEvent], None] | None,
) -> dict[str, DltResource]:
    """The transformer of every resource of ``config`` whose parent is one of ``passed`` or
    such a transformer, by resource name; ``hints`` gives a resource's dlt hints."""
    parents: dict[str, DltResource] = {resource.name: resource for resource in passed}
    made: dict[str, DltResource] = {}
    waiting = [resource for resource in config.resources if resource.parent is not None]
    # the parent links have no cycle (the config checked them): each round builds the
    # children of what the previous one built, until none is left
    while ready := [r for r in waiting if r.parent in parents and r.name not in made]:
        for resource in ready:
            parent = parents[str(resource.parent)]
            fetch = _fetcher(resource, config, transport=transport, on_event=on_event)
            # called, as dlt's rest_api calls it, to bind the function's arguments
            made[resource.name] = parents[resource.name] = dlt.transformer(
                fetch, data_from=parent, **hints(resource)
            )()
    return made


def _fetcher(
    resource: ResourceConfig,
    config: SourceConfig,
    *,
    transport: httpx.AsyncBaseTransport | None,
    on_event: Callable[[ProgressEvent], None] | None,
) -> Callable[..., Iterator[Any]]:
    """The transformer's function: the pages of ``resource`` for one batch of parent items."""
    parent = str(resource.parent)

    def pages(items: Any, incremental: Incremental[Any] | None) -> Iterator[Any]:
        engine = Engine(
            config.model_copy(update={"resources": (bind_resource(resource, incremental),)}),
            seeds={parent: items if isinstance(items, list) else [items]},
            bindings={resource.name: bindings(resource, incremental)},
            transport=transport,
            on_event=on_event,
        )
        engine.start({resource.name})
        try:
            for chunk in engine.batches(resource.name):
                yield from chunk
        finally:
            engine.close()

    spec = resource.endpoint.incremental_spec()
    if spec is None:

        def fetch(items: Any) -> Iterator[Any]:
            return pages(items, None)

        return fetch
    # as dlt's rest_api attaches it: dlt binds the argument's Incremental to the transformer
    default = make_incremental(spec)

    def fetch_incremental(items: Any, incremental: Incremental[Any] = default) -> Iterator[Any]:
        return pages(items, incremental)

    return fetch_incremental
