"""What a resource settles with the pipeline when dlt starts extracting it.

Two choices depend on the destination, which a source does not know when it is made (the
user hands it to ``pipeline.run`` of their own), so each resource makes them first thing in
its extract, from ``dlt.current``:

* the file format dlt writes its rows in: a bulk format, not INSERT statements. dlt's default
  for DuckDB and PostgreSQL is ``insert_values``: every row becomes SQL text the database
  parses again, the slowest part of a load and, for many rows, the largest in memory. Arrow
  tables are written as parquet anyway; rows that go the dict way get parquet where the
  destination loads it, else CSV (PostgreSQL without its ADBC driver loads CSV by ``COPY``);
* appending instead of merging into a table that is missing or empty, for a merge resource
  whose keys restsync makes unique (``UniqueKeys``): merging into nothing keeps every row, and
  dlt would stage them first and copy them over, which on DuckDB takes as long again as the
  load itself. The next sync merges as usual.

Both happen before the first item, when dlt reads the hints.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt

from restsync._dlt import DatabaseUndefinedRelation, DltResource

#: bulk formats dlt loads in one statement, fastest first
BULK_FORMATS = ("parquet", "csv")


def bulk_file_format(capabilities: Any, table: str) -> str | None:
    """The first of ``BULK_FORMATS`` the destination with ``capabilities`` loads ``table`` in
    (asking the destination's own selector, which drops formats whose driver is missing)."""
    supported = list(capabilities.supported_loader_file_formats or ())
    preferred = capabilities.preferred_loader_file_format
    selector = capabilities.loader_file_format_selector
    if selector is not None:
        preferred, supported = selector(preferred, supported, table_schema={"name": table})
    return next((fmt for fmt in BULK_FORMATS if fmt in supported), None)


def settled(items: Iterator[Any]) -> Iterator[Any]:
    """``items``, the resource being extracted settled with its pipeline first (inside dlt's
    extract only; iterated on its own, nothing changes). A merge turned into an append for
    this extract is turned back when the items end, for a source object that runs again."""
    try:
        pipeline = dlt.current.pipeline()
        resource = dlt.current.resource()
    except Exception:  # no active pipeline or extract: dlt's error differs by context
        yield from items
        return
    _use_bulk_format(pipeline, resource)
    merged = _append_if_empty(pipeline, resource)
    try:
        yield from items
    finally:
        if merged is not None:
            resource.apply_hints(write_disposition=merged)


def _table_of(resource: DltResource) -> str:
    table = resource.table_name if isinstance(resource.table_name, str) else resource.name
    return str(dlt.current.source_schema().naming.normalize_table_identifier(table))


def _own_file_format(resource: DltResource) -> bool:
    """Whether the resource names its file format itself (or has a hint only its records
    can settle, such as a table name function: then it is left as it is)."""
    try:
        return bool(resource.compute_table_schema().get("file_format"))
    except Exception:  # dlt's DataItemRequiredForDynamicTableHints, and its kind
        return True


def _use_bulk_format(pipeline: dlt.Pipeline, resource: DltResource) -> None:
    """Unless the resource has a file format of its own, or there is no destination yet."""
    if pipeline.destination is None or _own_file_format(resource):
        return
    chosen = bulk_file_format(pipeline.destination.capabilities(), _table_of(resource))
    if chosen is not None:
        resource.apply_hints(file_format=chosen)  # type: ignore[arg-type]


def _append_if_empty(pipeline: dlt.Pipeline, resource: DltResource) -> Any:
    """Makes a deduplicated merge resource whose table is missing or empty append, and
    returns its merge disposition (None when nothing changed). Nested tables (of lists) must
    carry the root row's id then, or the next sync's merge could not find their rows: dlt
    adds it only to merged tables by itself."""
    disposition = resource.write_disposition
    if not (isinstance(disposition, dict) and disposition.get("deduplicated")):
        return None
    if pipeline.destination is None or not _is_empty(pipeline, _table_of(resource)):
        return None
    dlt.current.source().root_key = True
    resource.apply_hints(write_disposition="append")
    return disposition


def _is_empty(pipeline: dlt.Pipeline, table: str) -> bool:
    """Whether the destination holds ``table`` without rows or not at all; False when it
    cannot be asked (not an SQL destination, not reachable: the load will say why)."""
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return True
            qualified = client.make_qualified_table_name(table)
            try:
                return not client.execute_sql(f"SELECT 1 FROM {qualified} LIMIT 1")
            except DatabaseUndefinedRelation:
                return True
    except Exception:  # not asked is not known: the table merges, which is always right
        return False
