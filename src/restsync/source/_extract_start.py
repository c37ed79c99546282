"""What a resource settles with the pipeline when dlt starts extracting it.

Two choices depend on the destination, which a source does not know when it is made (the
user hands it to ``pipeline.run`` of their own), so each resource makes them first thing in
its extract, from ``dlt.current``:

* the file format dlt writes its rows in: a bulk format, not INSERT statements. dlt's default
  for DuckDB and PostgreSQL is ``insert_values``: every row becomes SQL text the database
  parses again, the slowest part of a load and, for many rows, the largest in memory. Arrow
  tables (the fast path) and rows that go the dict way get parquet where the destination
  loads it, else CSV (PostgreSQL without its ADBC driver loads CSV by ``COPY``): the fast
  path writes its CSV files itself (``bulk_format``), for dlt to load as they are;
* appending instead of merging into a table that is missing or empty, for a merge resource
  whose keys restsync makes unique (``UniqueKeys``): merging into nothing keeps every row, and
  dlt would stage them first and copy them over, which on DuckDB takes as long again as the
  load itself. The next sync merges as usual.

Both happen before the first item, when dlt reads the hints. The settings of dlt's writers
(``writer_settings``), with which the fast path writes its files, are settled once an
extract too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt

from restsync._dlt import DatabaseUndefinedRelation, DltResource, WriterSettings, writer_settings

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


class Settling:
    """What the resources of one source settle with their pipeline, asked of the destination
    once per extract (a load id) rather than once per resource: opening a destination client
    costs more than a small resource's whole extract."""

    def __init__(self) -> None:
        self._load_id: str | None = None
        self._pipeline: Any = None
        self._capabilities: Any = None
        self._formats: dict[str, str | None] = {}
        self._empty: dict[str, bool] = {}
        self._writing: tuple[str, WriterSettings] | None = None

    def settled(self, items: Iterator[Any]) -> Iterator[Any]:
        """``items``, the resource being extracted settled with its pipeline first (inside
        dlt's extract only; iterated on its own, nothing changes). A merge turned into an
        append for this extract is turned back when the items end, for a source object that
        runs again."""
        try:
            resource = dlt.current.resource()
            load_id = dlt.current.load_package_state()["load_id"]
            if load_id != self._load_id:
                # dlt resolves its configuration to find the active pipeline: once an extract
                pipeline = dlt.current.pipeline()
                self._load_id, self._pipeline = load_id, pipeline
                self._capabilities, self._formats, self._empty = None, {}, {}
        except Exception:  # no active pipeline or extract: dlt's error differs by context
            yield from items
            return
        pipeline = self._pipeline
        self._use_bulk_format(pipeline, resource)
        merged = self._append_if_empty(pipeline, resource)
        try:
            yield from items
        finally:
            if merged is not None:
                resource.apply_hints(write_disposition=merged)

    def bulk_format(self, resource: DltResource) -> str | None:
        """The bulk format settled for ``resource``'s table in this extract; None where the
        resource names its own, or there is no destination (or before its extract started)."""
        return self._formats.get(_table_of(resource))

    def writer_settings(self, load_id: str) -> WriterSettings:
        """The settings of dlt's writers in the extract of ``load_id``, resolved at its first
        call (inside the extract: in the config sections dlt resolves its own writers' in),
        where dlt resolves them again for every table."""
        if self._writing is None or self._writing[0] != load_id:
            self._writing = (load_id, writer_settings())
        return self._writing[1]

    def _use_bulk_format(self, pipeline: dlt.Pipeline, resource: DltResource) -> None:
        """Unless the resource has a file format of its own, or there is no destination."""
        if pipeline.destination is None or _own_file_format(resource):
            return
        table = _table_of(resource)
        if table not in self._formats:
            if self._capabilities is None:  # dlt resolves its configuration on every call
                self._capabilities = pipeline.destination.capabilities()
            self._formats[table] = bulk_file_format(self._capabilities, table)
        chosen = self._formats[table]
        if chosen is not None:
            resource.apply_hints(file_format=chosen)  # type: ignore[arg-type]

    def _append_if_empty(self, pipeline: dlt.Pipeline, resource: DltResource) -> Any:
        """Makes a deduplicated merge resource whose table is missing or empty append, and
        returns its merge disposition (None when nothing changed). Nested tables (of lists)
        must carry the root row's id then, or the next sync's merge could not find their
        rows: dlt adds it only to merged tables by itself."""
        if not _deduplicated_merge(resource) or pipeline.destination is None:
            return None
        table = _table_of(resource)
        if table not in self._empty:
            # every such table of the source at once, on one destination client
            source = dlt.current.source()
            resources = source.selected_resources.values()
            tables = {_table_of(r) for r in resources if _deduplicated_merge(r)}
            self._empty.update(_empty_tables(pipeline, tables | {table}))
        if not self._empty[table]:
            return None
        dlt.current.source().root_key = True
        disposition = resource.write_disposition
        resource.apply_hints(write_disposition="append")
        return disposition


def _deduplicated_merge(resource: DltResource) -> bool:
    disposition = resource.write_disposition
    return isinstance(disposition, dict) and bool(disposition.get("deduplicated"))


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


def _empty_tables(pipeline: dlt.Pipeline, tables: set[str]) -> dict[str, bool]:
    """Whether the destination holds each of ``tables`` without rows or not at all; False
    for all when it cannot be asked (not an SQL destination, not reachable: the load will
    say why)."""
    try:
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return dict.fromkeys(tables, True)
            empty = {}
            for table in tables:
                qualified = client.make_qualified_table_name(table)
                try:
                    empty[table] = not client.execute_sql(f"SELECT 1 FROM {qualified} LIMIT 1")
                except DatabaseUndefinedRelation:
                    empty[table] = True
            return empty
    except Exception:  # not asked is not known: the tables merge, which is always right
        return dict.fromkeys(tables, False)
