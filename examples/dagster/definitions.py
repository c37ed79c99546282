"""Both built-in connectors as Dagster definitions: one asset per resource, a job that syncs
them all on Dagster's multiprocess executor (each connector's op in its own process).

    pip install 'restsync[dagster]'
    export API_KEY=...  ACCESS_TOKEN=...          # the connectors' secrets, as for `restsync run`
    dagster dev -f examples/dagster/definitions.py                 # the UI, or:
    dagster job execute -f examples/dagster/definitions.py -j sync_all

Settings, from the environment (all optional):

- ``RESTSYNC_DESTINATION``: ``duckdb`` (default) or any dlt destination name, e.g. ``postgres``
  with ``DESTINATION__POSTGRES__CREDENTIALS=postgresql://...``;
- ``RESTSYNC_DUCKDB_DIR``: where the DuckDB files go, one per connector (a DuckDB file takes
  one writer process at a time, and the two connectors load at once);
- ``RESTSYNC_DATASET_PREFIX``: prefixed to each connector's dataset name;
- ``SALES_ENGAGEMENT_BASE_URL`` / ``CRM_BASE_URL``: another host for the API (the emulator,
  ``restsync emulate crm``).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import AssetsDefinition, Definitions, define_asset_job, multiprocess_executor

from restsync.dagster import restsync_assets

DESTINATION = os.environ.get("RESTSYNC_DESTINATION", "duckdb")
DUCKDB_DIR = Path(os.environ.get("RESTSYNC_DUCKDB_DIR", "."))
PREFIX = os.environ.get("RESTSYNC_DATASET_PREFIX", "")


def connector_assets(name: str) -> AssetsDefinition:
    return restsync_assets(
        name,
        destination=DESTINATION,
        dataset=f"{PREFIX}{name}",
        duckdb_file=DUCKDB_DIR / f"{name}_data.duckdb",
        base_url=os.environ.get(f"{name.upper()}_BASE_URL"),
    )


defs = Definitions(
    assets=[connector_assets("sales_engagement"), connector_assets("crm")],
    jobs=[define_asset_job("sync_all", selection="*")],
    executor=multiprocess_executor,
)
