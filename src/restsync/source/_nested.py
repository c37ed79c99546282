"""A resource's nested tables, written into the load package beside what dlt extracts.

dlt's extract takes the rows of a resource's own table only; the rows of nested tables are
made later by its normaliser, one record at a time. On the fast path restsync makes them in
Arrow (``restsync.normalise``) and hands them to dlt here: each nested table is added to the
schema dlt extracts into (linked to its parent, its columns as dlt's dict path would add
them) and its rows are written as job files (parquet, or the destination's CSV) into the
package being extracted, for dlt's normalize and load steps to take like any other, on the
extract's writer thread (``_background``).
"""

from __future__ import annotations

from functools import partial

from restsync._dlt import (
    PackageJobWriter,
    Schema,
    TLoaderFileFormat,
    WriterSettings,
    add_nested_table,
)
from restsync.normalise import PageTable

from ._background import Background, columns_now
from ._imported import count_imported


class NestedTables:
    """The nested tables of one resource's extract, written into ``schema`` (dlt's schema of
    the source being extracted) and its load package as ``file_format`` files, with the
    extract's ``settings`` (``writer_settings``). ``close`` ends the last files."""

    def __init__(
        self,
        schema: Schema,
        background: Background,
        settings: WriterSettings,
        file_format: TLoaderFileFormat = "parquet",
    ) -> None:
        self._schema = schema
        self._background = background
        self._settings = settings
        self._file_format = file_format
        self._writers: dict[str, PackageJobWriter] = {}

    def write(self, page_table: PageTable) -> None:
        """Adds a page's rows of one nested table, and the table or its new columns to the
        schema."""
        name, parent = page_table.name, page_table.parent
        assert parent is not None, f"{name} is not a nested table"
        known = self._schema.tables.get(name, {}).get("columns", {})
        new = {column: s for column, s in page_table.columns.items() if column not in known}
        if new or name not in self._schema.tables:
            add_nested_table(self._schema, name, parent, new)
        writer = self._writers.get(name)
        if writer is None:
            writer = PackageJobWriter(name, self._schema, self._settings, self._file_format)
            self._writers[name] = writer
        columns = columns_now(self._schema.get_table_columns(name))
        self._background.run(partial(writer.write, page_table.table, columns))

    def close(self, *, failed: bool = False) -> None:
        """Ends every file; ``failed`` leaves their buffered rows out (the package is not
        loaded). Only once the writer thread is done with them."""
        for name, writer in self._writers.items():
            files = writer.close(failed=failed)
            if self._file_format != "parquet" and not failed:
                count_imported(name, files)  # dlt's normalize step counts parquet rows only
        self._writers.clear()
