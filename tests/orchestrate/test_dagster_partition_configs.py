"""What a partition changes in the config, as pure functions: a time window bounds every
incremental resource, closed at the start and open at the end; another key (an account) goes
to the caller's ``partition_config``; the caller's dict is never modified."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from dagster import DailyPartitionsDefinition, MultiPartitionsDefinition, StaticPartitionsDefinition

from restsync import ConfigError
from restsync.dagster import Partition, restsync_assets, with_window
from restsync.dagster._partitions import partition_source

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 1, 2, tzinfo=UTC)


def _config() -> dict[str, Any]:
    incremental = {"cursor_path": "updated_at", "start_param": "since", "end_param": "until"}
    return {
        "name": "accounts",
        "client": {
            "base_url": "https://api.example.com/",
            "auth": {"type": "bearer", "token": "t"},
        },
        "resources": [
            {"name": "deals", "endpoint": {"path": "deals", "incremental": incremental}},
            {"name": "users", "endpoint": {"path": "users"}},
        ],
    }


def _for_account(account: str, config: dict[str, Any]) -> dict[str, Any]:
    client = {**config["client"], "auth": {"type": "bearer", "token": f"token-of-{account}"}}
    return {**config, "client": client}


def test_a_window_bounds_every_incremental_resource_and_nothing_else() -> None:
    raw = _config()
    before = copy.deepcopy(raw)
    bounded = with_window(raw, START, END)
    deals, users = bounded["resources"]
    assert deals["endpoint"]["incremental"] == {
        **raw["resources"][0]["endpoint"]["incremental"],
        "initial_value": "2024-01-01T00:00:00Z",
        "end_value": "2024-01-02T00:00:00Z",
        "range_start": "closed",
        "range_end": "open",
    }
    assert users == raw["resources"][1]
    assert raw == before


def test_an_account_and_a_window_both_apply() -> None:
    raw = _config()
    partition = Partition("acme|2024-01-01", START, END, other="acme")
    config = partition_source(raw, partition, _for_account, fmt=lambda t: int(t.timestamp()))
    assert config["client"]["auth"]["token"] == "token-of-acme"
    incremental = config["resources"][0]["endpoint"]["incremental"]
    assert (incremental["initial_value"], incremental["end_value"]) == (1704067200, 1704153600)
    assert raw == _config()
    assert partition.slug == "acme_2024_01_01"


def test_partitions_by_account_need_partition_config() -> None:
    accounts = MultiPartitionsDefinition(
        {
            "account": StaticPartitionsDefinition(["acme", "globex"]),
            "day": DailyPartitionsDefinition(start_date="2024-01-01"),
        }
    )
    with pytest.raises(ConfigError) as caught:
        restsync_assets(_config(), partitions_def=accounts)
    assert caught.value.location == "partition_config"
