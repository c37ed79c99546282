"""``restsync_assets``: a restsync config as Dagster assets, one per resource, on dagster-dlt.

The assets are one dagster-dlt multi-asset (``@dlt_assets``): Dagster sees one asset per
resource (keys and dependencies from ``RestSyncTranslator``) and can materialise any subset
of them; the op runs restsync's dlt source through ``DagsterDltResource.run``, which loads
only the selected resources (restsync still fetches the parents a selected child needs) and
reports dlt's load metadata. restsync adds, per asset, what the API cost and what landed:
``requests`` (attempts, retries included), ``retries``, ``http_429``, ``pages``, ``records``
and ``rows_per_table`` (the resource's table and its nested tables, from dlt's normaliser and
restsync's count of the files dlt loads as they are, which dlt counts as 0 rows), and it
sets dagster-dlt's ``rows_loaded`` from the same count (dagster-dlt's own leaves them out).

Partitioned (see ``_partitions``), each partition is its own run (``BackfillPolicy.multi_run``)
loading into its own dlt pipeline (``<pipeline>_<partition>``), so partitions can run at
once on any executor; on a destination with a staging dataset (a merge on PostgreSQL)
each partition stages in a dataset of its own and drops it after its load, so concurrent
merges never read each other's staged rows. A DuckDB file takes one writer process at a time:
run its partitions one after another (e.g. Dagster's ``pool`` / run-queue limits).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
)
from dagster_dlt import DagsterDltResource, dlt_assets
from filelock import FileLock

from restsync import connectors
from restsync._dlt import Destination
from restsync._exceptions import ConfigError
from restsync.config import load_config
from restsync.engine import ProgressEvent
from restsync.source import DEFAULT_DUCKDB_FILE, loaded_rows, resolve_destination, rest_api_source

from ._partitions import (
    Partition,
    PartitionConfig,
    check_partitions,
    iso_utc,
    partition_of,
    partition_source,
)
from ._translator import RestSyncTranslator


@dataclass
class _Costs:
    """Each resource's ``done`` event (its requests, retries, 429s, pages, records)."""

    done: dict[str, ProgressEvent] = field(default_factory=dict)

    def note(self, event: ProgressEvent) -> None:
        if event.kind == "done":
            self.done[event.resource] = event

    def metadata(self, resource: str) -> dict[str, Any]:
        event = self.done.get(resource)
        if event is None:
            return {}
        return {
            "requests": event.requests,
            "retries": event.retries,
            "http_429": event.throttled,
            "pages": event.pages,
            "records": event.records,
        }


def _raw_config(config: Mapping[str, Any] | str) -> dict[str, Any]:
    """The config as a dict in dlt's format (partitions edit it per run)."""
    if isinstance(config, Mapping):
        return dict(config)
    if config in connectors.names():
        return dict(connectors.get(config).config)
    raise ConfigError(
        f"{config!r} is not a built-in connector ({', '.join(connectors.names())}); pass the "
        "config as a dict (e.g. yaml.safe_load of a config file)",
        location="config",
    )


def _destination(
    name: str, *, dataset: str, duckdb_file: str | Path, partition: Partition | None
) -> Any:
    target = resolve_destination(name, dataset=dataset, duckdb_file=duckdb_file)
    if partition is None or name == "duckdb":
        return target
    # staged merges of partitions running at once must not share staging tables
    layout = f"%s_staging_{partition.slug}"
    return Destination.from_reference(name, staging_dataset_name_layout=layout)


def _drop_staging(pipeline: dlt.Pipeline) -> None:
    """Drop the partition's own staging dataset once its load is done (it was emptied into
    the dataset; leaving it would leave one schema per partition behind)."""
    with pipeline.sql_client() as client, client.with_staging_dataset():
        if client.has_dataset():
            client.drop_dataset()


def _rows_per_table(pipeline: dlt.Pipeline, table: str) -> dict[str, int]:
    counts = loaded_rows(pipeline)
    return {
        name: int(rows)
        for name, rows in sorted(counts.items())
        if name == table or name.startswith(f"{table}__")
    }


def restsync_assets(
    config: Mapping[str, Any] | str,
    *,
    destination: str = "duckdb",
    dataset: str | None = None,
    pipeline_name: str | None = None,
    duckdb_file: str | Path = DEFAULT_DUCKDB_FILE,
    secrets: Mapping[str, str] | None = None,
    base_url: str | None = None,
    partitions_def: PartitionsDefinition | None = None,
    partition_config: PartitionConfig | None = None,
    window_format: Callable[[datetime], Any] = iso_utc,
    key_prefix: Sequence[str] | None = None,
    group_name: str | None = None,
    name: str | None = None,
    pool: str | None = None,
) -> AssetsDefinition:
    """Dagster assets for every resource of ``config`` (a dict in dlt's format or a built-in
    connector's name), loading into ``destination`` as ``restsync.sync`` does (``duckdb`` into
    ``duckdb_file``, or any dlt destination by name with credentials resolved by dlt).

    Asset keys are ``[*key_prefix, resource]`` (``key_prefix`` defaults to the source's
    name); a child resource's asset depends on its parent's. ``partitions_def`` partitions
    them: time windows bound the incremental resources (``window_format`` writes the
    window's edges, ISO 8601 UTC by default), other keys go to ``partition_config(key,
    config)``, which returns that key's config. The config is validated here: a bad one
    raises ``ConfigError`` when the definitions load, not when a run starts.
    """
    raw = _raw_config(config)
    check_partitions(partitions_def, raw, partition_config)
    validated = load_config(raw, secrets=secrets, base_url=base_url)
    dataset_name = dataset or validated.name
    base_pipeline = pipeline_name or f"restsync_{validated.name}"
    translator = RestSyncTranslator.for_config(validated, key_prefix or [validated.name])

    def pipeline_for(partition: Partition | None) -> dlt.Pipeline:
        suffix = f"_{partition.slug}" if partition is not None else ""
        target = _destination(
            destination, dataset=dataset_name, duckdb_file=duckdb_file, partition=partition
        )
        name = base_pipeline + suffix
        # dlt creates a pipeline's folder by wiping and making it: processes loading these
        # definitions at once (runs launched together) must take turns
        with FileLock(Path(tempfile.gettempdir()) / f"restsync-dagster-{name}.lock"):
            return dlt.pipeline(pipeline_name=name, destination=target, dataset_name=dataset_name)

    def _assets(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        partition = partition_of(context)
        run_raw = partition_source(raw, partition, partition_config, fmt=window_format)
        run_config = load_config(run_raw, secrets=secrets, base_url=base_url)
        costs = _Costs()
        source = rest_api_source(run_config, on_event=costs.note)
        pipeline = pipeline_for(partition)
        tables = {r.name: r.table for r in run_config.resources}
        resources = {translator.key(n): n for n in tables}
        for result in DagsterDltResource().run(
            context=context, dlt_source=source, dlt_pipeline=pipeline
        ):
            assert isinstance(result, MaterializeResult)
            assert result.asset_key is not None
            resource = resources[result.asset_key]
            table = source.schema.naming.normalize_table_identifier(tables[resource])
            rows = _rows_per_table(pipeline, table)
            metadata = {**(result.metadata or {}), **costs.metadata(resource)}
            if rows.get(table):
                # dagster-dlt's count, dlt's normaliser's, leaves out the files dlt imported
                metadata["rows_loaded"] = MetadataValue.int(rows[table])
            yield MaterializeResult(
                asset_key=result.asset_key,
                metadata={**metadata, "rows_per_table": rows},
            )
        if partition is not None and destination != "duckdb":
            _drop_staging(pipeline)

    # Dagster reads the context's annotation as a type, which postponed annotations made a
    # string
    _assets.__annotations__["context"] = AssetExecutionContext
    return dlt_assets(
        dlt_source=rest_api_source(validated),
        dlt_pipeline=pipeline_for(None),
        name=name or f"restsync_{validated.name}",
        group_name=group_name,
        dagster_dlt_translator=translator,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.multi_run(1) if partitions_def is not None else None,
        pool=pool,
    )(_assets)
