"""restsync: fast, polite, crash-safe syncs of REST APIs into DuckDB or any dlt destination."""

from __future__ import annotations

from ._exceptions import (
    APIError,
    ConfigError,
    FatalAPIError,
    LoadError,
    ResponseError,
    RestSyncError,
    RetriableAPIError,
)

__all__ = [
    "APIError",
    "ConfigError",
    "FatalAPIError",
    "LoadError",
    "ResponseError",
    "RestSyncError",
    "RetriableAPIError",
]
