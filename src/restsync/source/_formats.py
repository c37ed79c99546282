"""The file format dlt writes a resource's rows in: a bulk format, not INSERT statements.

dlt's default for DuckDB and PostgreSQL is ``insert_values``: every row becomes SQL text that
the database parses again, the slowest part of a load and, for many rows, the largest in
memory. Arrow tables (the fast path) are written as parquet anyway; rows that go the dict way
are given the same: parquet where the destination loads it, else CSV (PostgreSQL without
its ADBC driver loads CSV with ``COPY``). The choice is made when extraction starts, from the
pipeline's destination, so it holds for ``pipeline.run(source)`` as for ``restsync.sync``.
"""

from __future__ import annotations

from typing import Any

import dlt

from restsync._dlt import DltResource

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


def use_bulk_format(resource: DltResource) -> None:
    """Gives ``resource`` the bulk file format of the pipeline extracting it, unless it has a
    file format of its own or there is no pipeline (iterated on its own) or destination yet."""
    if resource.compute_table_schema().get("file_format"):
        return
    try:
        destination = dlt.current.pipeline().destination
    except Exception:  # no active pipeline: dlt's error differs by context
        return
    if destination is None:
        return
    table = resource.table_name if isinstance(resource.table_name, str) else resource.name
    chosen = bulk_file_format(destination.capabilities(), table)
    if chosen is not None:
        resource.apply_hints(file_format=chosen)  # type: ignore[arg-type]
