"""The resource's own table as CSV files that dlt's extract imports as they are (PostgreSQL
and any destination that loads CSV), written by one writer for the whole extract.

dlt loads every file as a job of its own (on PostgreSQL a connection, a ``COPY`` and a
commit each), and its extract spends a fixed time on every file it imports (the table's
columns worked out from the file's Arrow hints); a file per chunk of pages would make both
grow with the number of pages. Here the chunks of one extract go into the same file, as dlt's own
writers and the nested tables' (``_nested``) write theirs: a file ends where dlt's rotation
settings (``file_max_items``, ``file_max_bytes``) end it, where a chunk brings a column the
file lacks, and with the extract (the files that ended are handed to dlt then). A chunk that
lacks some of the file's columns gets nulls in them: the table holds nulls there for its
rows either way. The writing itself runs on the extract's writer thread (``_background``).

Where a limit on the resource's items (``add_limit``: a number of items, or a time) may stop
the extract at any item, every chunk is a file of its own, handed to dlt at once: dlt counts
and limits items, and rows it never got would be lost while the nested rows of their records
were written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from typing import Any, Final

import dlt
import pyarrow as pa

from restsync._dlt import (
    PackageJobWriter,
    Schema,
    TTableSchemaColumns,
    WriterSettings,
    table_columns,
)

from ._background import Background, columns_now
from ._imported import count_imported

#: the bulk format dlt loads as it is only where restsync writes the files itself
CSV: Final = "csv"


class TableFiles:
    """The CSV files of table ``table`` of one resource's extract, into ``schema``'s load
    package, written with the extract's ``settings`` (``writer_settings``). ``write`` and
    ``finish`` yield dlt's import of every file that ended; ``discard`` drops what a failed
    extract wrote."""

    def __init__(
        self,
        schema: Schema,
        table: str,
        background: Background,
        settings: WriterSettings,
        *,
        file_per_chunk: bool = False,
    ) -> None:
        self._schema = schema
        self._table = table
        self._background = background
        self._settings = settings
        self._file_per_chunk = file_per_chunk
        self._writer: PackageJobWriter | None = None
        self._fields: pa.Schema | None = None
        self._columns: TTableSchemaColumns = {}

    def write(self, table: pa.Table) -> Iterator[Any]:
        """Writes a chunk's rows; yields the import of each file that ended."""
        if self._fields is not None and not _fits(table.schema, self._fields):
            yield from self._end()
        if self._writer is None:
            self._open(table.schema)
        assert self._writer is not None
        assert self._fields is not None
        aligned = _aligned(table, self._fields)
        self._background.run(partial(self._writer.write, aligned, self._columns))
        if self._file_per_chunk:
            yield from self._end(hints=aligned)

    def finish(self) -> Iterator[Any]:
        """Ends the last file; yields the import of each file not yet handed on."""
        yield from self._end()

    def discard(self) -> None:
        """Ends the writer without its buffered rows (the package is not loaded; dlt deletes
        the files with it). Only once the writer thread is done with it."""
        if self._writer is not None:
            self._writer.close(failed=True)
            self._writer = None

    def _open(self, chunk: pa.Schema) -> None:
        """A new file with the columns of the last one (each known to dlt by now) and the
        chunk's new ones, in the chunk's order, as dlt adds them to the table."""
        before = [] if self._fields is None else list(self._fields)
        known = {field.name for field in before}
        fields = [f if chunk.get_field_index(f.name) < 0 else chunk.field(f.name) for f in before]
        self._fields = pa.schema(fields + [field for field in chunk if field.name not in known])
        self._columns = columns_now(
            table_columns(self._schema, self._table, self._fields.empty_table())
        )
        self._writer = PackageJobWriter(self._table, self._schema, self._settings, CSV, staged=True)

    def _end(self, *, hints: pa.Table | None = None) -> Iterator[Any]:
        """Ends the file; yields the import of the files not yet handed on, with ``hints``
        (by default the file's columns, without rows) for dlt to type the columns from."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        self._background.settle()
        yield from self._imports(writer.close(), hints)

    def _imports(
        self, files: list[tuple[str, int]], hints: pa.Table | None = None
    ) -> Iterator[Any]:
        if not files:
            return
        count_imported(self._table, files)
        assert self._fields is not None
        shown = self._fields.empty_table() if hints is None else hints
        for path, rows in files:
            yield dlt.mark.with_file_import(path, CSV, rows, hints=shown)
            # dlt has linked it among the package's jobs. Not on leaving the generator at
            # the yield: a limit closes it there and dlt imports the file after (a failed
            # package is deleted with the files beside it)
            os.remove(path)


def _fits(chunk: pa.Schema, fields: pa.Schema) -> bool:
    """Whether every column of ``chunk`` is one of ``fields``, of the same type."""
    return all(
        fields.get_field_index(field.name) >= 0 and fields.field(field.name).equals(field)
        for field in chunk
    )


def _aligned(table: pa.Table, fields: pa.Schema) -> pa.Table:
    """``table`` with the columns ``fields`` lists, in their order: nulls where it has none."""
    if table.schema.equals(fields):
        return table
    rows = table.num_rows
    arrays = [
        table.column(field.name) if field.name in table.column_names else pa.nulls(rows, field.type)
        for field in fields
    ]
    return pa.Table.from_arrays(arrays, schema=fields)
