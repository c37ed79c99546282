"""Primary keys made unique before dlt stages them, so the merge can skip its own pass.

dlt's merge copies the staged rows into the table through a ``ROW_NUMBER() OVER (PARTITION BY
key)`` window that keeps one row per key; on DuckDB that window holds every staged row in
memory. A resource whose rows arrive with unique keys can declare its staged data
``deduplicated`` and dlt copies them straight in. ``UniqueKeys`` makes that declaration true:
it drops every record whose key already arrived in this run, keeping the first, as dlt keeps
an arbitrary one.

It stays cheap for the usual API, which pages through records in key order: a chunk whose key
range overlaps no earlier chunk's range and holds no repeated key cannot repeat anything, and
only then is nothing looked up. Keys are kept as Arrow arrays (8 bytes per integer key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from restsync._dlt import NamingConvention
from restsync.config import ResourceConfig

_NAMING = NamingConvention()
_INDEX = "__restsync_row"


@dataclass(frozen=True)
class _Seen:
    low: Any
    high: Any
    keys: pa.Array


def dedup_column(resource: ResourceConfig, table_counts: Mapping[str, int]) -> str | None:
    """The key column ``UniqueKeys`` can deduplicate for ``resource``, or None when the staged
    data must stay as it is: not a merge on one primary key column with dlt's default
    delete-insert, another resource loads the same table, or a column hint asks dlt to choose
    among duplicates (``dedup_sort``) or to delete rows (``hard_delete``)."""
    key = resource.primary_key
    disposition = resource.write_disposition
    if isinstance(disposition, dict):
        if set(disposition) - {"disposition", "strategy"}:
            return None
        if disposition.get("strategy", "delete-insert") != "delete-insert":
            return None
        disposition = disposition.get("disposition", "append")
    if disposition != "merge" or not isinstance(key, str) or "__" in key:
        return None
    if table_counts[resource.table] > 1:
        return None
    for hint in (resource.columns or {}).values():
        extra = hint.model_extra or {}
        if extra.get("dedup_sort") or extra.get("hard_delete"):
            return None
    return key


class UniqueKeys:
    """Drops records whose ``column`` value arrived before, in tables or in lists of dicts."""

    def __init__(self, column: str) -> None:
        self._column = column
        self._normalized = _NAMING.normalize_identifier(column)
        self._seen: list[_Seen] = []

    def table(self, table: pa.Table) -> pa.Table:
        name = self._find(table.column_names)
        if name is None or table.num_rows == 0:
            return table
        keep = self._keep(table.column(name).combine_chunks())
        return table if keep is None else table.take(keep)

    def records(self, records: Sequence[Any]) -> list[Any]:
        dicts = [r for r in records if isinstance(r, dict)]
        name = self._find(list(dicts[0])) if dicts else None
        if name is None or len(dicts) != len(records):
            return list(records)
        try:
            keys = pa.array([r.get(name) for r in dicts])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            keys = pa.array([None if r.get(name) is None else str(r.get(name)) for r in dicts])
        keep = self._keep(keys)
        return list(records) if keep is None else [records[i] for i in keep.to_pylist()]

    def _find(self, names: Sequence[str]) -> str | None:
        if self._column in names:
            return self._column
        return next((n for n in names if _NAMING.normalize_identifier(n) == self._normalized), None)

    def _keep(self, keys: pa.Array) -> pa.Array | None:
        """Indices of the rows to keep, or None to keep them all."""
        if keys.null_count == len(keys):
            return None  # no keys at all: the load fails on the NOT NULL key column anyway
        if any(seen.keys.type != keys.type for seen in self._seen):
            # a key type changed (1, then "1"): compare all keys as text from now on
            keys = pc.cast(keys, pa.string())
            self._seen = [_Seen(None, None, pc.cast(s.keys, pa.string())) for s in self._seen]
        low, high = _bounds(keys)
        overlapping = [s.keys for s in self._seen if _overlap(s, low, high)]
        unique = pc.count_distinct(keys).as_py() + (1 if keys.null_count else 0) == len(keys)
        if not overlapping and unique:
            self._seen.append(_Seen(low, high, keys))
            return None
        fresh = pa.table({"key": keys, _INDEX: pa.array(range(len(keys)), pa.int64())})
        if overlapping:
            earlier = pa.chunked_array(overlapping, type=keys.type)
            fresh = fresh.filter(pc.invert(pc.is_in(fresh["key"], value_set=earlier)))
        firsts = fresh.group_by("key", use_threads=False).aggregate([(_INDEX, "min")])
        indices = pc.take(firsts[f"{_INDEX}_min"], pc.sort_indices(firsts[f"{_INDEX}_min"]))
        kept = pc.take(keys, indices)
        if len(kept):
            self._seen.append(_Seen(*_bounds(kept), kept))
        return indices


def _bounds(keys: pa.Array) -> tuple[Any, Any]:
    """Smallest and largest key, or (None, None) for keys Arrow cannot order."""
    try:
        bounds = pc.min_max(keys)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None, None
    return bounds["min"].as_py(), bounds["max"].as_py()


def _overlap(seen: _Seen, low: Any, high: Any) -> bool:
    if None in (seen.low, seen.high, low, high):
        return True
    try:
        return bool(seen.low <= high and low <= seen.high)
    except TypeError:
        return True
