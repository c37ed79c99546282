"""dlt integration: ``rest_api_source`` builds a dlt source; ``sync`` runs it into a destination
(``resolve_destination`` is the check ``sync`` makes of the destination before any request)."""

from __future__ import annotations

from ._destination import resolve_destination
from ._imported import loaded_rows
from ._run import DEFAULT_DUCKDB_FILE, PendingLoad, SyncResult, row_counts, sync
from ._source import rest_api_source

__all__ = [
    "DEFAULT_DUCKDB_FILE",
    "PendingLoad",
    "SyncResult",
    "loaded_rows",
    "resolve_destination",
    "rest_api_source",
    "row_counts",
    "sync",
]
