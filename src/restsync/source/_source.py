"""``rest_api_source``: a config in, an ordinary dlt source out.

Each config resource becomes one dlt resource carrying its hints (primary key, write
disposition, columns). dlt calls the function of every selected resource before it iterates
any of them; each call registers the resource with a ``_SourceRun``, and the first batch asked
for starts ONE engine for all registered resources, so they download concurrently while dlt
drains them. When the last of them finishes (or any fails) the engine stops.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dlt
import httpx

from restsync import _memory
from restsync._dlt import DltResource, DltSource
from restsync.config import ResourceConfig, SourceConfig, load_config
from restsync.engine import Engine, ProgressEvent

from ._arrow import ArrowPages, fast_path_disabled
from ._dedup import dedup_column
from ._extract_start import Settling
from ._incremental import Incremental, bind_resource, bindings, kept_rows, make_incremental
from ._transformers import fed_by_passed

#: most records per item handed to dlt on the Arrow path: dlt spends a fixed time on every
#: item, which dominates with small pages; the engine joins pages already queued up to this
ROWS_PER_ITEM = 20_000


class _SourceRun:
    """Shares one engine between the resources of one source during one extract."""

    def __init__(
        self,
        config: SourceConfig,
        transport: httpx.AsyncBaseTransport | None,
        on_event: Callable[[ProgressEvent], None] | None,
    ) -> None:
        self._config = config
        self._transport = transport
        self._on_event = on_event
        self._lock = threading.Lock()
        self._registered: set[str] = set()
        self._incrementals: dict[str, Incremental[Any]] = {}
        self._engine: Engine | None = None

    def open(
        self, name: str, *, max_rows: int = 0, incremental: Incremental[Any] | None = None
    ) -> Iterator[list[Any]]:
        """The chunks of resource ``name``. ``incremental`` is the resource's dlt
        ``Incremental``, bound by dlt by the time the first chunk is asked for: its values
        go into the requests."""
        with self._lock:
            self._registered.add(name)
            if incremental is not None:
                self._incrementals[name] = incremental
        return self._iterate(name, max_rows)

    def _run_config(self) -> SourceConfig:
        """The config with each incremental's values of this run in its requests."""
        resources = tuple(
            bind_resource(resource, self._incrementals.get(resource.name))
            for resource in self._config.resources
        )
        return self._config.model_copy(update={"resources": resources})

    def _start(self) -> Engine:
        with self._lock:
            if self._engine is None:
                parents = {r.parent for r in self._config.resources if r.parent is not None}
                engine = Engine(
                    self._run_config(),
                    handoff={
                        name: kept_rows(incremental)
                        for name, incremental in self._incrementals.items()
                        if name in parents
                    },
                    bindings={
                        r.name: bindings(r, self._incrementals.get(r.name))
                        for r in self._config.resources
                    },
                    transport=self._transport,
                    on_event=self._on_event,
                )
                engine.start(set(self._registered))
                self._engine = engine
            return self._engine

    def _iterate(self, name: str, max_rows: int) -> Iterator[list[Any]]:
        engine = self._start()
        finished = False
        try:
            yield from engine.batches(name, max_rows=max_rows)
            finished = True
        except GeneratorExit:
            # dlt closes a resource whose incremental passed the end of its range (row_order
            # given): that resource is done, the others go on
            incremental = self._incrementals.get(name)
            finished = incremental is not None and incremental.can_close()
            raise
        finally:
            with self._lock:
                self._registered.discard(name)
                if not finished or not self._registered:
                    engine.close()
                    self._engine = None
                    self._registered.clear()
                    self._incrementals.clear()
                    _memory.release_unused()


#: resource keys dlt reads as hints and restsync hands on as they are
PASSED_HINTS = ("schema_contract", "table_format", "file_format", "references")


def _hints(resource: ResourceConfig, *, deduplicated: bool = False) -> dict[str, Any]:
    def keys(value: str | tuple[str, ...] | None) -> str | list[str] | None:
        return list(value) if isinstance(value, tuple) else value

    hints: dict[str, Any] = {
        "name": resource.name,
        "table_name": resource.table_name or resource.name,
        "write_disposition": resource.write_disposition,
        "selected": resource.selected,
    }
    if deduplicated:
        # restsync drops repeated keys itself (UniqueKeys): dlt's merge can skip its own pass
        disposition = resource.write_disposition
        merge = disposition if isinstance(disposition, dict) else {"disposition": disposition}
        hints["write_disposition"] = {**merge, "deduplicated": True}
    if resource.primary_key is not None:
        hints["primary_key"] = keys(resource.primary_key)
    if resource.merge_key is not None:
        hints["merge_key"] = keys(resource.merge_key)
    # the declared columns only, as dlt hints them: a column hinted here is placed before the
    # data's; the Arrow path adds the bookkeeping columns with their properties itself
    hints["columns"] = {
        name: hint.model_dump(exclude_none=True) for name, hint in (resource.columns or {}).items()
    }
    if resource.max_table_nesting is not None:
        hints["max_table_nesting"] = resource.max_table_nesting
    for key in PASSED_HINTS:
        value = getattr(resource, key)
        if value is not None:
            hints[key] = list(value) if isinstance(value, tuple) else value
    if resource.nested_hints is not None:
        hints["nested_hints"] = {
            path: nested.as_dlt() for path, nested in resource.nested_hints.items()
        }
    return hints


def _dlt_resources(config: Any) -> list[DltResource]:
    """The ``DltResource`` objects listed in the config's ``resources``: dlt puts them into the
    source as they are, and so does restsync (a config resource may name one as its parent,
    see ``_transformers``); validation leaves them out of the ``SourceConfig``."""
    listed = config.get("resources") if isinstance(config, Mapping) else None
    return [r for r in listed if isinstance(r, DltResource)] if isinstance(listed, list) else []


def rest_api_source(
    config: Mapping[str, Any] | SourceConfig | str | Path,
    name: str | None = None,
    section: str | None = None,
    max_table_nesting: int | None = None,
    root_key: bool | None = None,
    schema: Any = None,
    schema_contract: Any = None,
    parallelized: bool = False,
    *,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
) -> DltSource:
    """A dlt source for a REST API, a drop-in for ``dlt.sources.rest_api.rest_api_source``.

    ``config`` is a dict in dlt's format (or the looser dialect restsync also accepts), a
    YAML/TOML/JSON file, or a built-in connector's name. It is validated before anything is
    requested: a bad config raises ``ConfigError``. ``base_url`` overrides the client's;
    ``transport`` (an httpx transport, e.g. ``httpx.ASGITransport``) and ``on_event`` (progress
    callback, called from the engine thread) are restsync's own additions. ``parallelized`` is
    accepted for compatibility: restsync always fetches concurrently.
    """
    del parallelized
    passed = _dlt_resources(config)
    validated = load_config(
        config,
        base_url=base_url,
        dlt_resources=True,
        section=section,
        name=name,
    )

    settling = Settling()
    arrow_pages: dict[str, ArrowPages] = {}
    if not fast_path_disabled():
        tables = Counter(r.table for r in validated.resources)
        # a table_name function reads records, which the normaliser cannot know in advance;
        # dlt's incremental must see the rows as the API sent them (typed Arrow columns
        # would change its cursor values and state); dlt's Arrow extract gives the tables of
        # ``nested_hints`` the resource's own Arrow columns: such resources go the dict way
        for resource in validated.resources:
            if resource.dynamic_table or resource.endpoint.incremental_spec():
                continue
            if resource.nested_hints:
                continue
            unique = dedup_column(resource, tables)
            arrow_pages[resource.name] = ArrowPages(
                unique_column=unique,
                bulk_format=settling.bulk_format,
                settings=settling.writer_settings,
            )
    run = _SourceRun(validated, transport, on_event)

    def make(resource: ResourceConfig) -> DltResource:
        spec = resource.endpoint.incremental_spec()
        if spec is not None:
            # as dlt's rest_api attaches it: dlt binds the argument's Incremental to the
            # resource (state, row filtering) before the function's iterator is read
            default = make_incremental(spec)

            def fetch_incremental(incremental: Incremental[Any] = default) -> Iterator[Any]:
                chunks = run.open(resource.name, incremental=incremental)
                return (page for chunk in chunks for page in chunk)

            return dlt.resource(fetch_incremental, **_hints(resource))

        def fetch() -> Iterator[Any]:
            # not a generator itself: dlt calls it for every resource before iterating any,
            # which registers them all with the one engine
            pages = arrow_pages.get(resource.name)
            if pages is None:
                chunks = run.open(resource.name)
                return settling.settled(page for chunk in chunks for page in chunk)
            return settling.settled(pages.items(run.open(resource.name, max_rows=ROWS_PER_ITEM)))

        pages = arrow_pages.get(resource.name)
        deduplicated = pages is not None and pages.unique_column is not None
        return dlt.resource(fetch, **_hints(resource, deduplicated=deduplicated))

    transformers = fed_by_passed(
        validated, passed, hints=_hints, transport=transport, on_event=on_event
    )
    resources = [
        transformers[resource.name] if resource.name in transformers else make(resource)
        for resource in validated.resources
    ] + passed

    def resources_of_source() -> list[DltResource]:
        return resources

    options: dict[str, Any] = {
        "section": section,
        "max_table_nesting": max_table_nesting,
        "root_key": root_key,
        "schema": schema,
        "schema_contract": schema_contract,
    }
    factory = dlt.source(
        resources_of_source,
        name=name or validated.name,
        **{key: value for key, value in options.items() if value is not None},
    )
    return factory()
