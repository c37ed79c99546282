"""A resource's ``processing_steps`` compiled into one function over a page's records.

dlt adds each step to the resource's pipe (``add_filter``, ``add_map``, ``add_yield_map``, in
config order; within one step in that order), where each transform gets what the previous one
passed on: a page's list of records, or single records once a ``yield_map`` has split it. The
transforms here are dlt's own (``FilterItem``, ``MapItem``, ``YieldMapItem``), so a step sees
exactly what it sees under dlt (a two-argument function gets the item's meta, ``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from restsync._dlt import FilterItem, MapItem, YieldMapItem
from restsync.config import ProcessingStep

#: a page's records in, the processed records out
Steps = Callable[[list[Any]], list[Any]]


def compile_steps(steps: tuple[ProcessingStep, ...]) -> Steps | None:
    """The function that applies ``steps`` to a page's records, or ``None`` for no steps."""
    transforms: list[FilterItem | MapItem | YieldMapItem] = []
    for step in steps:
        if step.filter is not None:
            transforms.append(FilterItem(step.filter))
        if step.map is not None:
            transforms.append(MapItem(step.map))
        if step.yield_map is not None:
            transforms.append(YieldMapItem(step.yield_map))
    if not transforms:
        return None

    def apply(records: list[Any]) -> list[Any]:
        items: list[Any] = [records]
        for transform in transforms:
            passed: list[Any] = []
            for item in items:
                if isinstance(transform, YieldMapItem):
                    # dlt types the transform's result loosely; a yield_map's is a generator
                    passed.extend(cast(Iterator[Any], transform(item)))
                else:
                    result = transform(item)
                    if result is not None:
                        passed.append(result)
            items = passed
        out: list[Any] = []
        for item in items:
            # a yield_map hands on single records (and an empty page as an empty list)
            if isinstance(item, list):
                out.extend(item)
            else:
                out.append(item)
        return out

    return apply
