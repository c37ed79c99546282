"""``sync()`` and its destination: a name dlt does not know, a dataset DuckDB cannot tell from
its file and unconfigured credentials each fail before any request, with one short message
saying what to change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.sync_harness import DATASET, api_ids, config, emulator, landed_ids, resource
from restsync import ConfigError, LoadError, RestSyncError, sync

SOURCE = config(resource("items", paginator={"type": "single_page"}))


def _sync(tmp_path: Path, **options: Any) -> tuple[RestSyncError, int]:
    """The error ``sync`` raises and how many requests the API saw."""
    api = emulator(SOURCE, records=5)
    options.setdefault("duckdb_file", tmp_path / "out.duckdb")
    with pytest.raises(RestSyncError) as info:
        sync(SOURCE, transport=httpx.ASGITransport(app=api.app), **options)
    return info.value, api.stats.requests


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        ("postgress", "unknown destination 'postgress' (did you mean 'postgres'?); use one of "),
        ("Postgres", "unknown destination 'Postgres' (did you mean 'postgres'?)"),
        ("nowhere_at_all", "unknown destination 'nowhere_at_all'; use one of "),
    ],
    ids=["misspelt", "capitalised", "nothing-close"],
)
def test_an_unknown_destination_is_a_config_error(
    destination: str, expected: str, tmp_path: Path
) -> None:
    error, requests = _sync(tmp_path, destination=destination)

    assert isinstance(error, ConfigError)
    assert error.location == "destination"
    assert expected in str(error)
    for known in ("bigquery", "duckdb", "filesystem", "postgres", "snowflake"):
        assert known in error.detail
    assert f"[destination.{destination}] destination_type" in error.detail
    assert requests == 0


@pytest.mark.parametrize(
    ("file_name", "dataset"),
    [("crm.duckdb", "crm"), ("Sales.duckdb", "sales"), (f"{DATASET}.duckdb", None)],
    ids=["same-name", "other-case", "default-dataset"],
)
def test_a_dataset_named_like_the_duckdb_file_is_a_config_error(
    file_name: str, dataset: str | None, tmp_path: Path
) -> None:
    db = tmp_path / file_name

    error, requests = _sync(tmp_path, duckdb_file=db, dataset=dataset)

    assert isinstance(error, ConfigError)
    assert error.location == "dataset"
    assert f"dataset {dataset or DATASET!r} has the name of the DuckDB file" in error.detail
    assert requests == 0
    assert not db.exists()


def test_missing_destination_credentials_are_one_short_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS", raising=False)

    error, requests = _sync(tmp_path, destination="postgres")

    assert isinstance(error, LoadError)
    message = str(error)
    assert message.startswith("destination 'postgres' is not configured: missing credentials.")
    assert "credentials.password" in message
    assert "Set DESTINATION__POSTGRES__CREDENTIALS (e.g. postgresql://" in message
    # not dlt's report of every provider and key it tried
    assert "tried in order" not in message
    assert "\n" not in message
    assert requests == 0


@pytest.mark.parametrize(
    "settings",
    [
        {"DESTINATION__POSTGRES__CREDENTIALS": "postgresql://loader@127.0.0.1:5432/test"},
        {
            "DESTINATION__POSTGRES__CREDENTIALS__USERNAME": "loader",
            "DESTINATION__POSTGRES__CREDENTIALS__HOST": "127.0.0.1",
            "DESTINATION__POSTGRES__CREDENTIALS__DATABASE": "test",
        },
    ],
    ids=["url", "fields"],
)
def test_credentials_without_a_password_say_where_to_put_one(
    settings: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESTINATION__POSTGRES__CREDENTIALS", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)

    error, requests = _sync(tmp_path, destination="postgres")

    assert isinstance(error, ConfigError)
    assert error.location == "DESTINATION__POSTGRES__CREDENTIALS"
    assert error.detail.startswith(
        "the credentials of destination 'postgres' have no password, and dlt requires one: "
        "put it into the URL in DESTINATION__POSTGRES__CREDENTIALS (user:password@host), or "
        "set DESTINATION__POSTGRES__CREDENTIALS__PASSWORD, or password under "
        "[destination.postgres.credentials] in .dlt/secrets.toml"
    )
    assert "tried in order" not in str(error)
    assert requests == 0


@pytest.mark.parametrize("limit", ["lots", "256", "-1GB"], ids=["word", "no-unit", "negative"])
def test_a_bad_duckdb_memory_limit_is_a_config_error(limit: str, tmp_path: Path) -> None:
    error, requests = _sync(tmp_path, duckdb_memory_limit=limit)

    assert isinstance(error, ConfigError)
    assert error.location == "duckdb_memory_limit"
    assert "write it like 256MB or 1GB" in error.detail
    assert requests == 0


def test_a_capped_duckdb_still_loads_and_merges_every_row(tmp_path: Path) -> None:
    """DuckDB spills to disk under its memory limit; the rows are the same."""
    page_number = {"type": "page_number", "base_page": 1}
    source = config(resource("items", paginator=page_number, write_disposition="merge"))
    db = tmp_path / "capped.duckdb"
    for generation in (0, 1):
        api = emulator(source, records=3000, page_size=500, generation=generation)
        transport = httpx.ASGITransport(app=api.app)
        sync(source, transport=transport, duckdb_file=db, duckdb_memory_limit="32MB")
        assert landed_ids(db, "items") == api_ids(api, "items")
