"""Generated records: shaped by column hints, deterministic, and changed by ``generation``."""

from __future__ import annotations

import re
from typing import Any

import pytest
from emulator_helpers import client, ids, resource, source

from restsync.emulator import Emulator, EmulatorOptions

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

PROSPECT_COLUMNS: dict[str, Any] = {
    "id": {"data_type": "bigint", "nullable": False},
    "email": {"data_type": "text"},
    "first_name": {"data_type": "text"},
    "city": {"data_type": "text"},
    "linkedin_url": {"data_type": "text"},
    "phone": {"data_type": "text"},
    "prospect_uuid": {"data_type": "text"},
    "score": {"data_type": "double"},
    "team_id": {"data_type": "bigint"},
    "opted_out": {"data_type": "bool"},
    "created_at": {"data_type": "timestamp"},
    "updated_at": {"data_type": "timestamp"},
    "birthday": {"data_type": "date"},
    "custom_fields": {"data_type": "json"},
    "stats__total_sent": {"data_type": "bigint"},
    "stats__total_opened": {"data_type": "bigint"},
    "stats__last": {"data_type": "timestamp", "nullable": False},
    "status": {"data_type": "text", "nullable": False},
}

TYPE_CHECKS: list[tuple[str, Any]] = [
    ("email", lambda v: isinstance(v, str) and re.fullmatch(r"[a-z]+\.[a-z]+\d+@[\w.]+", v)),
    ("first_name", lambda v: isinstance(v, str) and v.istitle()),
    ("city", lambda v: isinstance(v, str) and v[0].isupper()),
    ("linkedin_url", lambda v: v.startswith("https://www.linkedin.com/in/")),
    ("phone", lambda v: re.fullmatch(r"\+1-555-\d{3}-\d{4}", v)),
    ("prospect_uuid", UUID.fullmatch),
    ("score", lambda v: isinstance(v, float)),
    ("team_id", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    ("opted_out", lambda v: isinstance(v, bool)),
    ("created_at", ISO_Z.fullmatch),
    ("birthday", lambda v: re.fullmatch(r"\d{4}-\d\d-\d\d", v)),
    ("custom_fields", lambda v: isinstance(v, dict) and v),
    ("status", lambda v: v in {"active", "paused", "draft", "archived", "completed"}),
]


def prospects(**options: Any) -> Emulator:
    config = source(resource("prospects", columns=PROSPECT_COLUMNS))
    return Emulator(config, EmulatorOptions(**{"records": 500, **options}))


def test_default_records_without_hints() -> None:
    records = Emulator(source(resource("campaigns")), EmulatorOptions(records=20)).records(
        "campaigns"
    )
    assert ids(records) == list(range(1, 21))
    for record in records:
        assert list(record) == ["id", "name", "created_at", "updated_at", "owner"]
        assert set(record["owner"]) == {"id", "email"}
        assert ISO_Z.fullmatch(record["created_at"])
        assert record["updated_at"] > record["created_at"]
        assert "@" in record["owner"]["email"]


@pytest.mark.parametrize(("column", "check"), TYPE_CHECKS, ids=[c for c, _ in TYPE_CHECKS])
def test_hinted_columns_get_plausible_typed_values(column: str, check: Any) -> None:
    values = [r[column] for r in prospects().records("prospects")]
    present = [v for v in values if v is not None]
    assert len(present) > 400
    bad = [v for v in present if not check(v)]
    assert not bad, bad[:3]


def test_nested_hints_become_objects() -> None:
    record = prospects().records("prospects")[0]
    assert "stats__total_sent" not in record
    assert set(record["stats"]) == {"total_sent", "total_opened", "last"}


def test_nullable_columns_are_sometimes_null_but_keys_and_non_nullable_never() -> None:
    records = prospects().records("prospects")
    share = sum(r["city"] is None for r in records) / len(records)
    assert 0.04 <= share <= 0.2
    assert all(r["id"] is not None and r["status"] is not None for r in records)
    assert all(r["stats"]["last"] is not None for r in records)


def test_primary_key_is_unique_one_to_n_even_when_not_hinted() -> None:
    config = source(
        resource("users", columns={"email": {"data_type": "text"}}, primary_key="user_id")
    )
    records = Emulator(config, EmulatorOptions(records=30)).records("users")
    assert ids(records, "user_id") == list(range(1, 31))
    assert list(records[0]) == ["user_id", "email"]


def test_text_primary_key() -> None:
    columns = {"uuid": {"data_type": "text"}, "name": {"data_type": "text"}}
    config = source(resource("things", columns=columns, primary_key=["uuid", "name"]))
    records = Emulator(config, EmulatorOptions(records=50)).records("things")
    keys = [r["uuid"] for r in records]
    assert len(set(keys)) == 50
    assert all(UUID.fullmatch(k) for k in keys)
    assert all(r["name"] is not None for r in records)


def test_same_seed_same_records_other_seed_other_records() -> None:
    assert prospects().records("prospects") == prospects().records("prospects")
    assert prospects(seed=1).records("prospects") != prospects().records("prospects")


def test_record_count_per_resource() -> None:
    config = source(resource("a"), resource("b"), resource("c"))
    emulator = Emulator(config, EmulatorOptions(records={"a": 3, "b": 0}))
    assert [len(emulator.records(n)) for n in "abc"] == [3, 0, 250]


async def test_records_are_what_the_api_serves() -> None:
    emulator = prospects(records=130)
    async with client(emulator) as http:
        served = (await http.get("/api/v1/prospects")).json()
    assert served == emulator.records("prospects")


def test_generation_edits_every_tenth_record_and_adds_new_ones() -> None:
    before = {r["id"]: r for r in prospects().records("prospects")}
    after = {r["id"]: r for r in prospects(generation=1).records("prospects")}
    later = {r["id"]: r for r in prospects(generation=2).records("prospects")}
    assert sorted(after) == list(range(1, 511))
    assert sorted(later) == list(range(1, 521))
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed == list(range(10, 501, 10))
    for key in changed:
        old, new = before[key], after[key]
        diff = {c for c in old if old[c] != new[c]}
        assert diff == {"first_name", "updated_at"}
        assert new["updated_at"] > old["updated_at"]
        assert later[key]["updated_at"] > new["updated_at"]
        assert later[key]["first_name"] not in (old["first_name"], new["first_name"])


def test_generation_changes_something_even_without_name_or_updated_at() -> None:
    columns = {"id": {"data_type": "bigint"}, "score": {"data_type": "double"}}
    config = source(resource("scores", columns=columns))
    before = Emulator(config, EmulatorOptions(records=20)).records("scores")
    after = Emulator(config, EmulatorOptions(records=20, generation=1)).records("scores")
    changed = [b["id"] for b, a in zip(before, after, strict=False) if a != b]
    assert changed == [10, 20]
    assert all(a["score"] is not None for a in after)


def test_records_are_independent_copies() -> None:
    emulator = prospects(records=3)
    first = emulator.records("prospects")
    first[0]["custom_fields"]["tier"] = "mutated"
    first[1]["stats"]["total_sent"] = -1
    again = emulator.records("prospects")
    assert again[0]["custom_fields"]["tier"] != "mutated"
    assert again[1]["stats"]["total_sent"] != -1
