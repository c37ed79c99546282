"""Dagster definitions the partition tests run in worker processes (``dagster asset
materialize -m partition_defs``): one incremental resource, ``items``, cut into ten-minute
windows of ``created_at``, loaded into PostgreSQL, every worker sharing one rate budget.

Everything comes from the environment the test sets: the API's URL (``PARTITION_API``), the
dataset (``PARTITION_DATASET``), the store of the budget (``PARTITION_BUDGET``) and the rate
the API allows (``PARTITION_RATE``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from dagster import Definitions, TimeWindowPartitionsDefinition

from restsync.dagster import restsync_assets

#: the emulator's records are created from 2023-01-01T00:00:00Z on, one every ~15 s
START = datetime(2023, 1, 1, tzinfo=UTC)
WINDOWS = TimeWindowPartitionsDefinition(
    start=START,
    end=datetime(2023, 1, 1, 0, 40, tzinfo=UTC),
    cron_schedule="*/10 * * * *",
    fmt="%Y-%m-%d-%H:%M",
)


def items_config(**limits: Any) -> dict[str, Any]:
    return {
        "name": "windows",
        "client": {"base_url": "http://api.test/", "limits": limits},
        "resources": [
            {
                "name": "items",
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {
                    "path": "items",
                    "data_selector": "data",
                    "paginator": {"type": "page_number", "base_page": 1, "total_path": None},
                    "incremental": {
                        "cursor_path": "created_at",
                        "start_param": "since",
                        "end_param": "until",
                    },
                },
            }
        ],
    }


def definitions() -> Definitions:
    limits: dict[str, Any] = {"max_in_flight_per_host": 4}
    if os.environ.get("PARTITION_BUDGET"):
        limits["shared_budget"] = os.environ["PARTITION_BUDGET"]
        limits["requests_per_second"] = float(os.environ["PARTITION_RATE"])
    assets = restsync_assets(
        items_config(**limits),
        destination="postgres",
        dataset=os.environ["PARTITION_DATASET"],
        base_url=os.environ["PARTITION_API"],
        partitions_def=WINDOWS,
    )
    return Definitions(assets=[assets])


defs = definitions() if "PARTITION_API" in os.environ else None
