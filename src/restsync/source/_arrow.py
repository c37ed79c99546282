"""The fast data path: each chunk of pages becomes Arrow tables that dlt loads as they are.

dlt normalises plain dicts value by value in Python and writes them out as rows; handed Arrow
tables it writes parquet directly. ``restsync.normalise`` makes those tables exactly as dlt's
dict path would make its rows (the resource's table and its nested tables, types, variant
columns, row ids); the resource's table is yielded to dlt, its nested tables are written
into the load package beside it (``_nested``). A chunk that cannot be made faithfully (a
``json`` column, a value that fits neither its column nor a variant) goes to dlt as dicts:
slower, loaded the same.

Where the destination loads CSV (PostgreSQL), dlt's normalize step would rewrite every parquet
file as gzipped CSV; there the tables are written as CSV straight away, the resource's table
handed to dlt as a file to import (``dlt.mark.with_file_import``, the Arrow table beside it
for dlt to type the columns from, as it types them from a yielded table).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

import dlt

from restsync._dlt import (
    DltResource,
    PackageJobWriter,
    Schema,
    add_resource_table,
    table_columns,
    transforms_items,
)
from restsync.normalise import PageNormaliser, PageTable, Unfaithful

from ._dedup import UniqueKeys
from ._imported import count_imported
from ._nested import NestedTables

#: the bulk format dlt loads as it is only where restsync writes the files itself
CSV: Final = "csv"


def fast_path_disabled() -> bool:
    """``RESTSYNC_ARROW=0`` hands dlt plain dicts, e.g. to compare both paths."""
    return os.environ.get("RESTSYNC_ARROW", "1") == "0"


def _extracting() -> tuple[Any, DltResource, str] | None:
    """The schema dlt extracts into, the resource being extracted (the source's own copy,
    with the hints applied to it) and the load id, or None outside a dlt extract (the
    resource iterated on its own): then records go on as dicts."""
    try:
        schema = dlt.current.source_schema()
        resource = dlt.current.resource()
        load_id = dlt.current.load_package_state()["load_id"]
    except Exception:  # dlt raises its own "not available" errors, which differ by context
        return None
    return schema, resource, load_id


def _imported(root: PageTable, schema: Schema) -> Iterator[Any]:
    """The resource's table of a chunk as CSV files for dlt's extract to import as they are,
    each with its rows counted."""
    writer = PackageJobWriter(root.name, schema, CSV, staged=True)
    try:
        writer.write(root.table, table_columns(schema, root.name, root.table))
    except BaseException:
        writer.close(failed=True)
        raise
    files = writer.close()
    count_imported(root.name, files)
    for path, rows in files:
        try:
            yield dlt.mark.with_file_import(path, CSV, rows, hints=root.table)
        finally:
            os.remove(path)  # dlt has linked it among the package's jobs (or failed)


def _lay_out(
    schema: Schema,
    resource: DltResource,
    normaliser: PageNormaliser,
    root: PageTable,
    *,
    as_made: bool,
) -> None:
    """Lays out the resource's table before dlt sees the first Arrow table of it, as dlt's dict
    path lays it out: the declared columns, then the page's, with dlt's properties of each
    (dlt's Arrow extract would put the declared ones last). Where dlt lays it out from what a
    map or filter hands it (``as_made`` false), it is told the bookkeeping columns' properties
    (``_dlt_id`` links the nested tables' rows to the table's)."""
    if as_made:
        add_resource_table(schema, resource.compute_table_schema(), normaliser.root_columns(root))
    else:
        resource.apply_hints(columns=normaliser.root_columns(root, bookkeeping_only=True))


class ArrowPages:
    """The fast path of one resource: ``items`` turns chunks of pages into what dlt loads.
    With a ``unique_column``, a record whose key arrived before in this iteration is dropped.
    ``bulk_format`` says the bulk file format settled for a resource in this extract."""

    def __init__(
        self,
        *,
        unique_column: str | None = None,
        bulk_format: Callable[[DltResource], str | None] = lambda resource: None,
    ) -> None:
        self._unique_column = unique_column
        self._bulk_format = bulk_format

    @property
    def unique_column(self) -> str | None:
        return self._unique_column

    def items(self, chunks: Iterable[list[Any]]) -> Iterator[Any]:
        unique = None if self._unique_column is None else UniqueKeys(self._unique_column)
        normaliser: PageNormaliser | None = None
        nested: NestedTables | None = None
        schema: Schema | None = None
        load_id = ""
        placed = False
        as_made = as_csv = False
        failed = False
        try:
            for chunk in chunks:
                records = [record for page in chunk for record in page]
                if unique is not None:
                    records = unique.records(records)
                if not records:
                    continue
                if normaliser is None:
                    context = _extracting()
                    if context is None:
                        yield records
                        continue
                    schema, resource, load_id = context
                    normaliser = PageNormaliser(schema, resource.compute_table_schema())
                    # the table as made here, unless a map or filter added to the resource
                    # changes it or a contract may refuse it: those see only the Arrow table
                    # (a file dlt imports bypasses them), and dlt lays the table out from it
                    as_made = normaliser.evolves and not transforms_items(resource)
                    as_csv = self._bulk_format(resource) == CSV and as_made
                    nested = NestedTables(schema, CSV if as_csv else "parquet")
                try:
                    root, *children = normaliser.page(records, load_id)
                except Unfaithful:
                    yield records
                    continue
                if not placed:
                    assert schema is not None
                    _lay_out(schema, resource, normaliser, root, as_made=as_made)
                    placed = True
                # the root table first: dlt adds it to the schema, which its nested tables
                # then name as their parent
                if as_csv:
                    assert schema is not None
                    yield from _imported(root, schema)
                else:
                    yield root.table
                assert nested is not None
                for child in children:
                    nested.write(child)
        except GeneratorExit:
            raise  # closed early (a limit on pages): what was yielded is loaded
        except BaseException:
            failed = True
            raise
        finally:
            if nested is not None:
                nested.close(failed=failed)
