"""The two seed integrations, run from their own code blocks (import line and host changed)
against the emulator, into DuckDB: every record lands once, and a second run after the API's
data changed updates rows in place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import pytest

from restsync.cli._configs import demo_secrets
from restsync.config import SourceConfig, load_config
from restsync.emulator import options_for, serve
from support import host_of, query, run_seed_block, seed_code

SEEDS = {
    "000": ("sales_engagement", {"API_KEY": "api_key"}),
    "002": ("crm", {"ACCESS_TOKEN": "access_token"}),
}


def _sync_seed(
    seed: str, db: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> tuple[SourceConfig, dict[str, list[dict[str, Any]]]]:
    """Serve the seed's API (its built-in connector describes it), run the seed's own code
    block against it into ``db``; return the API's config and records to compare with."""
    connector, env = SEEDS[seed]
    secrets = demo_secrets(connector)
    for variable, key in env.items():
        monkeypatch.setenv(variable, secrets[key])
    config = load_config(connector, secrets=secrets)
    with serve(config, options_for(connector, **options)) as running:
        source = run_seed_block(seed_code(seed), host_of(running.url))
        pipeline = dlt.pipeline(
            pipeline_name=f"seed_{seed}",
            destination=dlt.destinations.duckdb(str(db)),
            dataset_name="seed",
        )
        pipeline.run(source)
        return config, {r.name: running.emulator.records(r.name) for r in config.resources}


def _assert_landed(db: Path, config: SourceConfig, api: dict[str, list[dict[str, Any]]]) -> int:
    """Every API record is in its table exactly once with the API's text values; returns how
    many text values were compared."""
    compared = 0
    for resource in config.resources:
        records = api[resource.name]
        assert records, f"the emulator served no {resource.name}"
        columns = [
            name
            for name, hint in (resource.columns or {}).items()
            if hint.data_type == "text" and "__" not in name
        ]
        rows = query(db, f"SELECT id, {', '.join(columns)} FROM seed.{resource.name} ORDER BY id")
        assert [row[0] for row in rows] == sorted(r["id"] for r in records), resource.name
        landed = {row[0]: row[1:] for row in rows}
        for record in records:
            assert landed[record["id"]] == tuple(record.get(c) for c in columns), (
                f"{resource.name} id {record['id']} differs from the API"
            )
            compared += len(columns)
    return compared


@pytest.mark.parametrize("seed", ["000", "002"], ids=["sales_engagement", "crm"])
def test_seed_block_loads_every_record_once_then_merges_changes(
    seed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "api.duckdb"
    config, first = _sync_seed(seed, db, monkeypatch)
    assert _assert_landed(db, config, first) > 0

    config, second = _sync_seed(seed, db, monkeypatch, generation=1)
    _assert_landed(db, config, second)
    changed = sum(
        1
        for name, records in second.items()
        for record, before in zip(records, first[name], strict=False)
        if record != before
    )
    grown = sum(len(second[name]) - len(first[name]) for name in second)
    assert changed > 0, "generation 1 changed no record: the merge was not exercised"
    assert grown > 0, "generation 1 added no record"


def test_prospects_envelope_is_detected_not_loaded_as_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed's prospects selector is [] while the API wraps records in an envelope: the
    records land (not envelopes), and paging stops."""
    db = tmp_path / "api.duckdb"
    _sync_seed("000", db, monkeypatch)
    columns = {row[0] for row in query(db, "DESCRIBE seed.prospects")}
    assert {"email", "first_name"} <= columns
    assert not columns & {"message", "status", "data"}
