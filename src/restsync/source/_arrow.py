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
handed to dlt as files to import (``_table_files``: ``dlt.mark.with_file_import``, with the
Arrow columns for dlt to type the table's columns from, as it types them from a yielded
table).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import dlt

from restsync._dlt import (
    DltResource,
    Schema,
    WriterSettings,
    add_resource_table,
    limits_items,
    transforms_items,
)
from restsync.normalise import PageNormaliser, PageTable, Unfaithful

from ._background import Background
from ._dedup import UniqueKeys
from ._nested import NestedTables
from ._table_files import CSV, TableFiles


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
    ``bulk_format`` says the bulk file format settled for a resource in this extract,
    ``settings`` the settings of dlt's writers in the extract of a load id."""

    def __init__(
        self,
        *,
        unique_column: str | None = None,
        bulk_format: Callable[[DltResource], str | None] = lambda resource: None,
        settings: Callable[[str], WriterSettings],
    ) -> None:
        self._unique_column = unique_column
        self._bulk_format = bulk_format
        self._settings = settings

    @property
    def unique_column(self) -> str | None:
        return self._unique_column

    def items(self, chunks: Iterable[list[Any]]) -> Iterator[Any]:
        unique = None if self._unique_column is None else UniqueKeys(self._unique_column)
        extract: _Extract | None = None
        failed = False
        try:
            for chunk in chunks:
                records = [record for page in chunk for record in page]
                if unique is not None:
                    records = unique.records(records)
                if not records:
                    continue
                if extract is None:
                    context = _extracting()
                    if context is None:
                        yield records
                        continue
                    extract = _Extract(*context, self._bulk_format, self._settings)
                yield from extract.chunk(records)
            if extract is not None:
                yield from extract.finish()
        except GeneratorExit:
            raise  # closed early (a limit on items): what was yielded is loaded
        except BaseException:
            failed = True
            raise
        finally:
            if extract is not None:
                extract.close(failed=failed)


class _Extract:
    """One resource's fast path within one dlt extract: the normaliser, and the writers of
    its tables' files."""

    def __init__(
        self,
        schema: Schema,
        resource: DltResource,
        load_id: str,
        bulk_format: Callable[[DltResource], str | None],
        settings: Callable[[str], WriterSettings],
    ) -> None:
        self._schema = schema
        self._resource = resource
        self._load_id = load_id
        self._normaliser = normaliser = PageNormaliser(schema, resource.compute_table_schema())
        # the table as made here, unless a map or filter added to the resource changes it or
        # a contract may refuse it: those see only the Arrow table (a file dlt imports
        # bypasses them), and dlt lays the table out from it
        self._as_made = normaliser.evolves and not transforms_items(resource)
        as_csv = bulk_format(resource) == CSV and self._as_made
        self._background = background = Background()
        writing = settings(load_id)
        self._nested = NestedTables(schema, background, writing, CSV if as_csv else "parquet")
        self._files = None
        if as_csv:
            limited = limits_items(resource)
            self._files = TableFiles(
                schema, normaliser.table, background, writing, file_per_chunk=limited
            )
        self._placed = False

    def chunk(self, records: list[Any]) -> Iterator[Any]:
        """What dlt gets of a chunk's records: its table's rows, as an Arrow table or the
        files they are in (when one ends), or the records as they are where they cannot be
        made faithfully."""
        try:
            root, *children = self._normaliser.page(records, self._load_id)
        except Unfaithful:
            yield records
            return
        if not self._placed:
            _lay_out(self._schema, self._resource, self._normaliser, root, as_made=self._as_made)
            self._placed = True
        if not self._as_made:
            # the root table first: dlt lays it out in the schema, where its nested tables
            # then name it as their parent
            yield root.table
            self._write_nested(children)
            return
        # the nested rows first: a limit on items closes the extract at the root's item, and
        # dlt loads that item, with the nested rows of its records
        self._write_nested(children)
        if self._files is not None:
            yield from self._files.write(root.table)
        else:
            yield root.table

    def _write_nested(self, children: list[PageTable]) -> None:
        for child in children:
            self._nested.write(child)

    def finish(self) -> Iterator[Any]:
        """The files of the resource's table not yet handed to dlt."""
        self._background.settle()
        if self._files is not None:
            yield from self._files.finish()

    def close(self, *, failed: bool) -> None:
        """Ends the writer thread, then every file (``failed``: without their buffered
        rows)."""
        try:
            self._background.close(failed=failed)
        except BaseException:
            failed = True
            raise
        finally:
            if self._files is not None:
                self._files.discard()
            self._nested.close(failed=failed)
