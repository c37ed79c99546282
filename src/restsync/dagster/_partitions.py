"""What one Dagster partition of a restsync asset loads: a time window, a key, or both.

- A time window (``TimeWindowPartitionsDefinition``, or a time dimension of a
  ``MultiPartitionsDefinition``) bounds every resource with an ``endpoint.incremental``: the
  window's start becomes the incremental's ``initial_value`` and its end the ``end_value``,
  the range closed at the start and open at the end. Windows do not overlap and leave no gap
  between them, so a record whose cursor sits exactly on an edge is loaded by one partition
  only, whatever order the partitions run in; a bounded incremental keeps no state in dlt,
  so partitions running at once do not overwrite each other's cursor.
- Any other key (a static or dynamic partition, or the other dimension: an account, a
  region) goes to the caller's ``partition_config(key, config)``, which returns the config
  for it (its credentials, base URL, path or query parameter).

Both edit the config dict in dlt's format, so whatever restsync accepts there works per
partition; the caller's dict is never modified.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
)

from restsync._exceptions import ConfigError

#: builds the config of one non-time partition key from the config of the source
PartitionConfig = Callable[[str, dict[str, Any]], Mapping[str, Any]]


def iso_utc(moment: datetime) -> str:
    """``2024-01-31T00:00:00Z``: the form most APIs take for a timestamp parameter."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Partition:
    """The partition a run materialises: ``key`` (as Dagster spells it), the time window's
    ``start``/``end`` when one dimension is time, and ``other``, the key of the rest."""

    key: str
    start: datetime | None = None
    end: datetime | None = None
    other: str | None = None

    @property
    def slug(self) -> str:
        """The key as a name part (dlt pipeline and staging dataset names)."""
        return re.sub(r"[^0-9A-Za-z]+", "_", self.key).strip("_").lower() or "partition"


def _time_dimension(definition: PartitionsDefinition) -> str | None:
    if isinstance(definition, MultiPartitionsDefinition):
        for dimension in definition.partitions_defs:
            if isinstance(dimension.partitions_def, TimeWindowPartitionsDefinition):
                return dimension.name
    return None


def check_partitions(
    definition: PartitionsDefinition | None,
    raw: Mapping[str, Any],
    partition_config: PartitionConfig | None,
) -> None:
    """Refuse, before anything runs, partitions the config cannot honour: a time window with
    no incremental resource to bound, or keys with no ``partition_config`` to apply them."""
    if definition is None:
        return
    timed = isinstance(definition, TimeWindowPartitionsDefinition) or (
        _time_dimension(definition) is not None
    )
    if timed and not incremental_resources(raw):
        raise ConfigError(
            "time-window partitions bound each resource's endpoint.incremental, and no "
            "resource has one; add endpoint.incremental (cursor_path, start_param, "
            "end_param) or partition by something else",
            location="partitions_def",
        )
    keyed = not isinstance(definition, TimeWindowPartitionsDefinition)
    if isinstance(definition, MultiPartitionsDefinition):
        keyed = len(definition.partitions_defs) > (1 if timed else 0)
    if keyed and partition_config is None:
        raise ConfigError(
            "partitions by key (an account, a region) need partition_config(key, config) "
            "to say what each key changes in the config",
            location="partition_config",
        )


def partition_of(context: AssetExecutionContext) -> Partition | None:
    """The partition ``context`` runs, or None when the asset is not partitioned."""
    if not context.has_partition_key:
        return None
    definition = context.assets_def.partitions_def
    key = context.partition_key
    if isinstance(definition, TimeWindowPartitionsDefinition):
        window = definition.time_window_for_partition_key(key)
        return Partition(key, window.start, window.end)
    if isinstance(definition, MultiPartitionsDefinition) and isinstance(key, MultiPartitionKey):
        time_name = _time_dimension(definition)
        keys = key.keys_by_dimension
        others = [k for name, k in sorted(keys.items()) if name != time_name]
        other = "|".join(others) if others else None
        if time_name is None:
            return Partition(str(key), other=other)
        time_def = definition.get_partitions_def_for_dimension(time_name)
        assert isinstance(time_def, TimeWindowPartitionsDefinition)
        window = time_def.time_window_for_partition_key(keys[time_name])
        return Partition(str(key), window.start, window.end, other)
    return Partition(key, other=key)


def incremental_resources(raw: Mapping[str, Any]) -> list[str]:
    """Names of the resources whose endpoint has an ``incremental``."""
    names = []
    for resource in raw.get("resources", []):
        if isinstance(resource, Mapping):
            endpoint = resource.get("endpoint")
            if isinstance(endpoint, Mapping) and endpoint.get("incremental"):
                names.append(str(resource.get("name")))
    return names


def with_window(
    raw: Mapping[str, Any], start: Any, end: Any, *, fmt: Callable[[datetime], Any] = iso_utc
) -> dict[str, Any]:
    """A copy of ``raw`` whose incremental resources load ``start <= cursor < end`` (datetimes
    are written with ``fmt``)."""
    bounded = copy.deepcopy(dict(raw))
    for resource in bounded.get("resources", []):
        endpoint = resource.get("endpoint") if isinstance(resource, dict) else None
        incremental = endpoint.get("incremental") if isinstance(endpoint, dict) else None
        if not isinstance(incremental, dict):
            continue
        incremental["initial_value"] = fmt(start) if isinstance(start, datetime) else start
        incremental["end_value"] = fmt(end) if isinstance(end, datetime) else end
        incremental["range_start"] = "closed"
        incremental["range_end"] = "open"
    return bounded


def partition_source(
    raw: Mapping[str, Any],
    partition: Partition | None,
    partition_config: PartitionConfig | None,
    *,
    fmt: Callable[[datetime], Any] = iso_utc,
) -> dict[str, Any]:
    """The config dict one partition loads."""
    config = copy.deepcopy(dict(raw))
    if partition is None:
        return config
    if partition.other is not None and partition_config is not None:
        config = copy.deepcopy(dict(partition_config(partition.other, config)))
    if partition.start is not None:
        config = with_window(config, partition.start, partition.end, fmt=fmt)
    return config
