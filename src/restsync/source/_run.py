"""``sync``: the main job as one call (what ``restsync run`` and ``restsync demo`` do).

A source goes into a dlt pipeline; dlt normalises, loads, merges and keeps state. Whatever fails
comes back as one restsync error: the API's or the config's own error when that was the cause,
else a ``LoadError`` naming the destination. dlt loads only after every resource was extracted
completely, so a failed run commits nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import httpx

from restsync import _memory
from restsync._dlt import (
    PipelineStepFailed,
    TLoaderFileFormat,
)
from restsync._exceptions import LoadError, RestSyncError
from restsync.config import SourceConfig, load_config
from restsync.engine import ProgressEvent

from ._destination import find_cause, missing_configuration, resolve_destination
from ._source import rest_api_source

DEFAULT_DUCKDB_FILE = "restsync.duckdb"


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: where the data went and how many rows each table holds now."""

    pipeline_name: str
    destination: str
    dataset: str
    location: str
    tables: Mapping[str, int]
    notes: list[str] = field(default_factory=list)


def row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows per data table of the pipeline's dataset, read back from the destination."""
    schema = pipeline.default_schema
    counts: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for table in sorted(schema.data_table_names()):
            qualified = client.make_qualified_table_name(table)
            rows = client.execute_sql(f"SELECT COUNT(*) FROM {qualified}")
            counts[table] = int(rows[0][0]) if rows else 0
    return counts


def sync(
    config: Mapping[str, Any] | SourceConfig | str | Path,
    *,
    destination: str = "duckdb",
    dataset: str | None = None,
    pipeline_name: str | None = None,
    base_url: str | None = None,
    secrets: Mapping[str, str] | None = None,
    duckdb_file: str | Path = DEFAULT_DUCKDB_FILE,
    pipelines_dir: str | Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
    loader_file_format: TLoaderFileFormat | None = None,
    duckdb_memory_limit: str | None = None,
) -> SyncResult:
    """Fetch every resource of ``config`` and load it into ``destination`` (DuckDB file
    ``duckdb_file`` by default, or any dlt destination by name, credentials resolved by dlt).
    ``duckdb_memory_limit`` ("256MB") caps DuckDB's own memory: loading and merging many rows
    in-process otherwise takes memory in proportion to them (DuckDB spills to disk instead).

    Raises ``ConfigError`` before any request for a bad config, an unknown destination, a
    dataset named like the DuckDB file or credentials without a password; ``APIError`` when
    the API fails; ``LoadError`` when the destination does (or is not configured).
    """
    validated = load_config(config, secrets=secrets, base_url=base_url)
    name = pipeline_name or f"restsync_{validated.name}"
    dataset_name = dataset or validated.name
    target = resolve_destination(
        destination,
        dataset=dataset_name,
        duckdb_file=duckdb_file,
        duckdb_memory_limit=duckdb_memory_limit,
    )
    notes: list[str] = []

    def collect(event: ProgressEvent) -> None:
        if event.kind == "info":
            notes.append(f"{event.resource}: {event.message}")
        if on_event is not None:
            on_event(event)

    source = rest_api_source(validated, transport=transport, on_event=collect)
    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=target,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir) if pipelines_dir is not None else None,  # type: ignore[arg-type]
    )
    _memory.limit_arenas()
    try:
        pipeline.run(source, loader_file_format=loader_file_format)  # type: ignore[arg-type]
        counts = row_counts(pipeline)
    except PipelineStepFailed as exc:
        cause = find_cause(exc, RestSyncError)
        if cause is not None:
            raise cause from exc
        unset = missing_configuration(exc, destination)
        if unset is not None:
            raise unset from exc
        raise LoadError(
            f"loading into {destination} failed during {exc.step}: {exc.exception}"
        ) from exc
    location = str(Path(duckdb_file).resolve()) if destination == "duckdb" else destination
    return SyncResult(name, destination, dataset_name, location, counts, notes)
