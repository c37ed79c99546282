"""restsync on Dagster (``pip install 'restsync[dagster]'``): a config or a built-in connector
as Dagster assets, one per resource, built on the maintained dagster-dlt integration.

``restsync_assets`` builds them (partitioned by time windows over the incremental resources,
by keys such as accounts through ``partition_config``, or both); ``RestSyncTranslator`` is
the dagster-dlt translator that names them and draws child-on-parent dependencies;
``with_window`` and ``iso_utc`` are the time-window edit of a config and its default format.
Workers that call one API share its rate through ``client.limits.shared_budget``.
"""

from __future__ import annotations

from ._assets import restsync_assets
from ._partitions import Partition, PartitionConfig, iso_utc, with_window
from ._translator import RestSyncTranslator

__all__ = [
    "Partition",
    "PartitionConfig",
    "RestSyncTranslator",
    "iso_utc",
    "restsync_assets",
    "with_window",
]
