"""The rows of the files restsync hands dlt to load as they are, counted.

dlt's normalize step counts the rows of the files it writes; a file it imports as it is counts
0 (dlt 1.31). Its row counts (``pipeline.last_trace.last_normalize_info.row_counts``, which
dagster-dlt reports as ``rows_loaded``) therefore leave out the CSV files the fast path writes
for PostgreSQL (``_arrow``, ``_nested``). restsync keeps their rows per table in the state of
the load package they are in, which travels with the package to its load (a load an earlier
run left pending included); ``loaded_rows`` adds them to dlt's counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import dlt

from restsync._dlt import CurrentLoadPackageStateNotAvailable

#: the key of the load package's state that holds the rows per table of imported files
STATE_KEY = "restsync_imported_rows"


def count_imported(table: str, files: Iterable[tuple[str, int]]) -> None:
    """Adds the rows of ``files`` (path, rows) of ``table`` to the package being extracted
    (outside an extract there is none, and nothing to count)."""
    try:
        state = cast(dict[str, Any], dlt.current.load_package_state()["state"])
    except CurrentLoadPackageStateNotAvailable:
        return
    counts = state.setdefault(STATE_KEY, {})
    counts[table] = counts.get(table, 0) + sum(rows for _, rows in files)


def loaded_rows(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Rows per table of the packages the pipeline's last normalize step made: dlt's counts
    and the rows of the files it imported as they are."""
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace is not None else None
    if info is None:
        return {}
    counts = dict(info.row_counts)
    for load_id in info.loads_ids:
        state = cast(dict[str, Any], pipeline.get_load_package_state(load_id))
        for table, rows in state.get(STATE_KEY, {}).items():
            counts[table] = counts.get(table, 0) + rows
    return counts
