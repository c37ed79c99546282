"""dlt integration: ``rest_api_source`` builds a dlt source; ``sync`` runs it into a destination."""

from __future__ import annotations

from ._run import DEFAULT_DUCKDB_FILE, SyncResult, row_counts, sync
from ._source import rest_api_source

__all__ = ["DEFAULT_DUCKDB_FILE", "SyncResult", "rest_api_source", "row_counts", "sync"]
