"""Lint: things a valid config allows but the user probably did not mean.

``lint`` returns human warnings; it never raises. To add a check, write a function that takes
the ``SourceConfig`` and yields messages, and list it in ``_CHECKS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from ._models import PageNumberPaginator, ResourceConfig, SourceConfig


def lint(config: SourceConfig) -> list[str]:
    """Warnings about ``config``, most important first; empty when nothing looks wrong."""
    return [message for check in _CHECKS for message in check(config)]


def _same_endpoint(config: SourceConfig) -> Iterator[str]:
    groups: dict[str, list[ResourceConfig]] = {}
    for resource in config.resources:
        if resource.selected:
            groups.setdefault(_endpoint_key(resource), []).append(resource)
    for resources in groups.values():
        if len(resources) > 1:
            names = _names(resources)
            both = "both" if len(resources) == 2 else "all"
            tables = "both tables" if len(resources) == 2 else "these tables"
            yield (
                f"resources {names} {both} read {resources[0].endpoint.path}: "
                f"{tables} will hold the same rows"
            )


def _endpoint_key(resource: ResourceConfig) -> str:
    endpoint = resource.endpoint
    key: dict[str, Any] = {
        "path": "/" + endpoint.path.strip("/"),
        "method": endpoint.method,
        "params": endpoint.model_dump()["params"],  # may hold functions (convert): str()
        "json": endpoint.json_body,
        "selector": endpoint.data_selector,
    }
    return json.dumps(key, sort_keys=True, default=str)


def _merge_without_key(config: SourceConfig) -> Iterator[str]:
    for resource in config.resources:
        disposition = resource.write_disposition
        merges = disposition == "merge" or (
            isinstance(disposition, dict) and disposition.get("disposition") == "merge"
        )
        hinted = any(hint.primary_key for hint in (resource.columns or {}).values())
        if merges and not (resource.primary_key or resource.merge_key or hinted):
            yield (
                f"resource '{resource.name}' has write_disposition 'merge' but no primary_key: "
                "rows of every run will be appended, never updated; set primary_key"
            )


def _page_number_without_base(config: SourceConfig) -> Iterator[str]:
    unknown = [
        resource
        for resource in config.resources
        if _first_page_unknown(resource.endpoint.paginator or config.client.paginator)
    ]
    if unknown:
        subject = (
            f"resource '{unknown[0].name}'" if len(unknown) == 1 else f"resources {_names(unknown)}"
        )
        yield (
            f"{subject}: the first page number is not given; restsync will detect it from the "
            "API (set base_page to skip the check)"
        )


def _first_page_unknown(paginator: object) -> bool:
    return (
        isinstance(paginator, PageNumberPaginator)
        and paginator.base_page is None
        and paginator.page is None
    )


def _names(resources: list[ResourceConfig]) -> str:
    quoted = [f"'{resource.name}'" for resource in resources]
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"


_CHECKS: tuple[Callable[[SourceConfig], Iterator[str]], ...] = (
    _same_endpoint,
    _merge_without_key,
    _page_number_without_base,
)
