"""The async engine: all resources of a source fetched concurrently on one event loop.

``_engine`` plans and runs a source's resources; ``_bridge`` runs the loop in a thread and hands
batches to dlt's; ``_sequence`` fetches one request sequence of a resource (``_pages`` decides
which pages, ``_parse`` reads their bodies); ``_children`` fans a child resource out over its
parent's records; ``_resource`` holds a resource's runtime state and progress events.
"""

from __future__ import annotations

from ._bridge import Batch
from ._engine import Engine
from ._pages import FetchedPage, PaginationLoop, detect_base_page, run_sequential, run_windowed
from ._resource import ProgressEvent, ResourceStats
from ._sequence import join_url

__all__ = [
    "Batch",
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
