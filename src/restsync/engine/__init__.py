"""The async engine: all resources of a source fetched concurrently on one event loop."""

from __future__ import annotations

from ._engine import Batch, Decoded, Engine, ProgressEvent, ResourceStats, join_url
from ._pages import FetchedPage, PaginationLoop, detect_base_page, run_sequential, run_windowed

__all__ = [
    "Batch",
    "Decoded",
    "Engine",
    "FetchedPage",
    "PaginationLoop",
    "ProgressEvent",
    "ResourceStats",
    "detect_base_page",
    "join_url",
    "run_sequential",
    "run_windowed",
]
