"""Realistic record fields: what real CRM and sales APIs send beyond a connector's hints.

A connector's column hints describe a flat, uniformly typed record. Real APIs also send, and
the ``realistic`` record shape adds to every record (after its hinted fields):

- ``name`` (unless hinted) and, on one record in five, ``Name``: two keys that collide after
  dlt's snake_case normalisation (the later one wins in dlt);
- ``tags``: a list of 0-4 strings (absent on about one record in sixteen): dlt's nested table
  ``<table>__tags``;
- ``line_items`` (``emails`` for people-like resources): a list of 0-3 objects, each line item
  with its own list of ``serials`` (a nested table two levels down);
- ``owner`` (unless hinted): ``{id, name, email}``, null on about one record in 32;
- ``custom_fields``: ``priority`` is an integer, a string, a boolean or null from record to
  record; ``score`` an integer or a float (both integers on the first records, so a loader
  typing columns from the first values meets wider types later); unicode keys (``Größe``,
  ``名前``); ``a.b`` and ``a b``, which collide after normalisation; ``renewal_on`` present
  on some records only;
- ``deleted_at`` and ``archived_reason``: present on every record, almost always null;
- ``last_activity_at`` and ``engagement_score``: late fields, only on records whose key is
  above ``LATE_AFTER`` (absent from the first pages of a listing);
- ``external_ref``: an integer; with ``huge_integers``, records whose key is a multiple of
  ``HUGE_EVERY`` send one beyond 64 bits (dlt 1.31 itself cannot extract those).

Every value is a pure function of (seed, resource, key, version). An edit (``version`` > 0)
renames, shortens the ``tags`` and ``emails`` lists (a merge must drop the stale nested rows)
and changes line-item quantities.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from . import _pools as pools
from ._bits import M64, mix64, stable_hash
from ._values import DAY, T0, created_seconds, email, full_name, iso, sentence, title

LATE_AFTER = 2_000
"""Records with a key above this carry the late fields."""
HUGE_EVERY = 997
"""With ``huge_integers``, records whose key is a multiple of this get an int beyond int64."""

_NARROW_FIRST = 5
_PEOPLE = ("prospect", "contact", "lead", "people", "person", "user", "member", "customer")
_SALTS = tuple(mix64(0x5EED + i) for i in range(8))


class RealisticFields:
    """Adds the realistic fields to the records of one resource (see the module docstring).
    ``hinted`` holds the record's top-level keys that the hints already generate: ``name`` and
    ``owner`` stay theirs; ``custom_fields`` is replaced (a hint can only say it is JSON)."""

    def __init__(
        self, resource: str, *, seed: int, hinted: Collection[str], huge_integers: bool
    ) -> None:
        self._base = stable_hash("realistic", seed, resource)
        self._name = "name" not in hinted
        self._owner = "owner" not in hinted
        self._people = any(word in resource.lower() for word in _PEOPLE)
        self._huge = huge_integers

    def add(
        self, records: Sequence[dict[str, Any]], keys: Sequence[int], versions: Sequence[int]
    ) -> None:
        """Add the fields to ``records`` (made for ``keys`` at ``versions``), in place."""
        base = self._base
        for record, key, version in zip(records, keys, versions, strict=True):
            self._fill(record, key, version, mix64((base + key) & M64))

    def _fill(self, record: dict[str, Any], key: int, version: int, bits: int) -> None:
        r = [mix64(bits ^ salt) for salt in _SALTS]
        if self._name:
            record["name"] = title(key, r[0]) + (f" (rev {version})" if version else "")
        if r[0] % 5 == 0:
            record["Name"] = title(key, r[0] >> 3).upper()
        if r[1] >> 60:  # absent on one record in sixteen
            count = max(0, r[1] % 5 - version)
            record["tags"] = [pools.pick(pools.TAGS, r[1] >> (8 + 4 * j)) for j in range(count)]
        if self._people:
            record["emails"] = _emails(key, r[2], version)
        else:
            record["line_items"] = _line_items(r[2], version)
        if self._owner:
            owner_id = 1 + r[3] % 500
            record["owner"] = (
                None
                if r[3] >> 59 == 0
                else {"id": owner_id, "name": full_name(r[3] >> 9), "email": email(owner_id, r[3])}
            )
        record["custom_fields"] = _custom_fields(key, r[4])
        record["deleted_at"] = iso(created_seconds(key, r[5]) + DAY) if r[5] % 100 == 0 else None
        record["archived_reason"] = sentence(r[5] >> 8) if r[5] % 53 == 1 else None
        if key > LATE_AFTER:
            record["last_activity_at"] = iso(T0 + r[6] % (700 * DAY))
            record["engagement_score"] = (r[6] >> 20) % 1000 / 10
        ref = r[7] % 10**12
        if self._huge and key % HUGE_EVERY == 0:
            ref += 1 << 64
        record["external_ref"] = ref


def _custom_fields(key: int, r: int) -> dict[str, Any]:
    # the first records hold the narrowest types (an integer priority and score), so a loader
    # that types a column from its first values meets wider ones later
    first = key <= _NARROW_FIRST
    kind = 0 if first else r % 6
    priority: Any = (
        (r >> 8) % 5,
        pools.pick(pools.PRIORITIES, r >> 8),
        bool((r >> 8) & 1),
        None,
        (r >> 8) % 5,
        pools.pick(pools.PRIORITIES, r >> 8),
    )[kind]
    fields: dict[str, Any] = {
        "priority": priority,
        "region": pools.pick(pools.REGIONS, r >> 12),
        "score": (r >> 16) % 100 if first or (r >> 24) % 4 else (r >> 16) % 10_000 / 100,
        "Größe": pools.pick(pools.SIZES, r >> 28),
        "名前": full_name(r >> 32),
        "a.b": (r >> 40) % 10,
        "a b": (r >> 44) % 10,
    }
    if (r >> 48) % 3 == 0:
        fields["renewal_on"] = iso(T0 + mix64(r) % (700 * DAY))[:10]
    return fields


def _line_items(r: int, version: int) -> list[dict[str, Any]]:
    items = []
    for j in range(r % 4):
        x = mix64(r + j)
        items.append(
            {
                "sku": pools.pick(pools.SKUS, x),
                "quantity": 1 + (x >> 4) % 9 + version,
                "unit_price": (x >> 8) % 100_000 / 100,
                "discount": (x >> 24) % 50 / 100 if x >> 60 == 0 else None,
                "serials": [f"SN{(x >> (28 + 8 * s)) % 1_000_000:06d}" for s in range(x % 3)],
            }
        )
    return items


def _emails(key: int, r: int, version: int) -> list[dict[str, Any]]:
    emails = []
    for j in range(max(0, 1 + r % 3 - version)):
        x = mix64(r + j)
        emails.append(
            {
                "address": email(key * 4 + j, x),
                "type": "work" if j == 0 else ("home" if x & 1 else "other"),
                "primary": j == 0,
                "verified_at": iso(T0 + (x >> 8) % (700 * DAY)) if (x >> 40) % 4 else None,
            }
        )
    return emails
