"""The ``realistic`` record shape: the hinted fields unchanged, plus what real APIs send
beyond them (lists, nested objects, mixed types, late and mostly-null fields, colliding and
unicode keys), deterministic per seed; and what plain dlt makes of it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from emulator_helpers import client, resource, source

from restsync.emulator import Emulator, EmulatorOptions
from restsync.emulator._realistic import HUGE_EVERY, LATE_AFTER

COLUMNS: dict[str, Any] = {
    "id": {"data_type": "bigint", "nullable": False},
    "email": {"data_type": "text"},
    "custom_fields": {"data_type": "json"},
    "updated_at": {"data_type": "timestamp"},
}
COUNT = LATE_AFTER + 300


def api(name: str = "accounts", **options: Any) -> Emulator:
    config = source(resource(name, columns=COLUMNS))
    return Emulator(config, EmulatorOptions(**{"records": COUNT, "shape": "realistic", **options}))


@pytest.fixture(scope="module")
def accounts() -> list[dict[str, Any]]:
    return api().records("accounts")


def test_hinted_fields_are_those_of_the_flat_shape(accounts: list[dict[str, Any]]) -> None:
    flat = api(shape="flat").records("accounts")
    for plain, rich in zip(flat, accounts, strict=True):
        for key, value in plain.items():
            if key != "custom_fields":  # a JSON hint cannot say what is inside: replaced
                assert rich[key] == value, key
        assert set(rich) - set(plain) >= {"name", "owner", "line_items", "deleted_at"}


def test_same_seed_same_records_other_seed_other_records(
    accounts: list[dict[str, Any]],
) -> None:
    assert api().records("accounts") == accounts
    assert api(seed=3).records("accounts") != accounts


def test_lists_of_scalars_and_of_objects_two_levels_deep(
    accounts: list[dict[str, Any]],
) -> None:
    tags = [r["tags"] for r in accounts if "tags" in r]
    assert 0.85 < len(tags) / len(accounts) < 1  # some records have no tags key at all
    assert any(t == [] for t in tags)
    assert all(isinstance(tag, str) for t in tags for tag in t)
    assert {len(t) for t in tags} == {0, 1, 2, 3, 4}
    items = [item for r in accounts for item in r["line_items"]]
    assert items
    assert {len(r["line_items"]) for r in accounts} == {0, 1, 2, 3}
    assert set(items[0]) == {"sku", "quantity", "unit_price", "discount", "serials"}
    assert any(item["serials"] for item in items)
    assert all(isinstance(s, str) for item in items for s in item["serials"])


def test_people_like_resources_get_emails_instead_of_line_items() -> None:
    prospects = api("prospects").records("prospects")
    assert all("line_items" not in r for r in prospects)
    emails = [e for r in prospects for e in r["emails"]]
    assert {e["type"] for e in emails} == {"work", "home", "other"}
    assert all(r["emails"][0]["primary"] for r in prospects if r["emails"])


def test_nested_owner_object_sometimes_null(accounts: list[dict[str, Any]]) -> None:
    owners = [r["owner"] for r in accounts]
    assert any(o is None for o in owners)
    assert all(set(o) == {"id", "name", "email"} for o in owners if o is not None)


def test_custom_fields_mix_types_within_one_key(accounts: list[dict[str, Any]]) -> None:
    kinds = Counter(type(r["custom_fields"]["priority"]).__name__ for r in accounts)
    assert set(kinds) == {"int", "str", "bool", "NoneType"}
    scores = {type(r["custom_fields"]["score"]).__name__ for r in accounts}
    assert scores == {"int", "float"}
    renewals = sum("renewal_on" in r["custom_fields"] for r in accounts)
    assert 0 < renewals < len(accounts)


def test_unicode_keys_and_keys_that_collide_after_normalisation(
    accounts: list[dict[str, Any]],
) -> None:
    fields = accounts[0]["custom_fields"]
    assert {"Größe", "名前", "a.b", "a b"} <= set(fields)
    both = [r for r in accounts if "Name" in r]
    assert 0.1 < len(both) / len(accounts) < 0.3
    assert all(r["Name"] != r["name"] for r in both)


def test_late_fields_appear_only_after_the_first_records(
    accounts: list[dict[str, Any]],
) -> None:
    for record in accounts:
        late = "last_activity_at" in record and "engagement_score" in record
        assert late is (record["id"] > LATE_AFTER), record["id"]


def test_mostly_null_fields_are_present_and_almost_always_null(
    accounts: list[dict[str, Any]],
) -> None:
    for field, most in (("deleted_at", 0.97), ("archived_reason", 0.95)):
        values = [r[field] for r in accounts]
        nulls = sum(v is None for v in values)
        assert most < nulls / len(values) < 1, field


def test_integers_beyond_64_bits_only_when_asked(accounts: list[dict[str, Any]]) -> None:
    assert all(0 <= r["external_ref"] < 2**63 for r in accounts)
    huge = [r for r in api(huge_integers=True).records("accounts") if r["external_ref"] >= 2**64]
    assert [r["id"] for r in huge] == list(range(HUGE_EVERY, COUNT + 1, HUGE_EVERY))


async def test_the_api_serves_integers_beyond_64_bits() -> None:
    emulator = api(huge_integers=True)
    async with client(emulator) as http:
        served = (await http.get("/api/v1/accounts")).json()
    assert served[HUGE_EVERY - 1]["external_ref"] >= 2**64
    assert served == emulator.records("accounts")


def test_an_edit_shortens_lists_and_changes_nested_values(
    accounts: list[dict[str, Any]],
) -> None:
    edited = {r["id"]: r for r in api(generation=1).records("accounts")}
    shrunk = 0
    for before in accounts:
        after = edited[before["id"]]
        if before["id"] % 10:
            assert after == before
            continue
        assert len(after.get("tags", [])) <= len(before.get("tags", []))
        shrunk += len(after.get("tags", [])) < len(before.get("tags", []))
        quantities = [(i["quantity"], j["quantity"]) for i, j in zip(
            before["line_items"], after["line_items"], strict=True
        )]  # fmt: skip
        assert all(new == old + 1 for old, new in quantities)
    assert shrunk > 0


def test_plain_dlt_makes_nested_tables_and_variant_columns(
    accounts: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The shape exercises what it claims: dlt's own dict path turns it into nested tables at
    two levels, variant columns and collided names."""
    db = tmp_path / "data.duckdb"  # not shape.duckdb: a catalog named like the dataset
    pipeline = dlt.pipeline(
        pipeline_name="realistic_shape",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="shape",
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run(accounts, table_name="accounts", primary_key="id", write_disposition="merge")
    with duckdb.connect(str(db), read_only=True) as connection:
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'shape'"
            ).fetchall()
        }
        columns = {
            name
            for (name,) in connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'shape' AND table_name = 'accounts'"
            ).fetchall()
        }
    assert {"accounts__tags", "accounts__line_items", "accounts__line_items__serials"} <= tables
    assert {"custom_fields__a_b", "owner__email"} <= columns
    assert any(c.startswith("custom_fields__priority__v_") for c in columns)
    assert "custom_fields__score__v_double" in columns
    assert {"last_activity_at", "name", "custom_fields__gr_e"} <= columns
