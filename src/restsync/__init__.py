"""restsync: fast, polite, crash-safe syncs of REST APIs into DuckDB or any dlt destination.

``rest_api_source`` is a drop-in for ``dlt.sources.rest_api.rest_api_source``; ``sync`` runs a
config (dict, file or built-in connector name) into a destination in one call. Importing
or calling restsync changes nothing process-wide; ``tune_process`` is the opt-in tuning of
a process that runs restsync alone (the ``restsync`` command makes it).
"""

from __future__ import annotations

from ._exceptions import (
    APIError,
    ConfigError,
    FatalAPIError,
    Interrupted,
    LoadError,
    ResponseError,
    RestSyncError,
    RetriableAPIError,
)
from ._memory import tune_process
from .config import SourceConfig, load_config
from .engine import ProgressEvent
from .source import SyncResult, rest_api_source, sync

__all__ = [
    "APIError",
    "ConfigError",
    "FatalAPIError",
    "Interrupted",
    "LoadError",
    "ProgressEvent",
    "ResponseError",
    "RestSyncError",
    "RetriableAPIError",
    "SourceConfig",
    "SyncResult",
    "load_config",
    "rest_api_source",
    "sync",
    "tune_process",
]
