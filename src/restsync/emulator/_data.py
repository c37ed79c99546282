"""Deterministic fake records, shaped by a resource's dlt column hints.

A ``RecordFactory`` is compiled once per resource: every column hint becomes a small value
generator chosen by its ``data_type`` and its name (``email`` looks like an address, ``city``
like a city). A record is a pure function of (resource, seed, key, version): no state, no
up-front materialisation, so the millionth record costs what the first one does.

Hinted names with ``__`` are dlt's flattened nested fields and are built back into objects
(``stats__total_sent`` -> ``{"stats": {"total_sent": 12}}``). Without hints a resource gets
``id, name, created_at, updated_at, owner{id, email}``. The first primary-key column holds the
record key itself (1..N for top-level resources) and is never null; other nullable columns are
null for roughly one record in ten.

"Versions" model edits: a record at version v > 0 has its name-like and ``updated_at``-like
fields changed in a way guaranteed to differ from every other version.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from restsync.config import ColumnHint

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_T0 = 1_672_531_200  # 2023-01-01T00:00:00Z
_DAY = 86_400

Generator = Callable[[int, int], Any]
"""(record key, per-field random bits) -> value."""


def stable_hash(*parts: object) -> int:
    """A 64-bit hash that is the same in every process (unlike ``hash()``)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def mix64(value: int) -> int:
    """splitmix64's finaliser: spreads a counter into well-mixed 64 bits."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _M64
    return value ^ (value >> 31)


# --- value pools ------------------------------------------------------------------------------

_FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "Dario",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Keiko",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
)
_LAST = (
    "Anders",
    "Baker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Silva",
    "Tanaka",
    "Umarov",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
)
_ADJECTIVES = (
    "Bold",
    "Bright",
    "Calm",
    "Clever",
    "Early",
    "Fresh",
    "Golden",
    "Quiet",
    "Rapid",
    "Silver",
    "Spring",
    "Summer",
    "Swift",
    "Winter",
    "Green",
    "Blue",
)
_NOUNS = (
    "Launch",
    "Outreach",
    "Harbor",
    "Falcon",
    "Summit",
    "Pipeline",
    "Wave",
    "Beacon",
    "Bridge",
    "Canyon",
    "Meadow",
    "Orbit",
    "Signal",
    "Voyage",
    "Anchor",
    "Compass",
)
_CITIES = (
    "Amsterdam",
    "Berlin",
    "Chicago",
    "Denver",
    "Dublin",
    "Lisbon",
    "Lyon",
    "Madrid",
    "Nairobi",
    "Osaka",
    "Oslo",
    "Porto",
    "Seattle",
    "Toronto",
    "Vienna",
    "Zurich",
)
_COUNTRIES = (
    "Austria",
    "Canada",
    "France",
    "Germany",
    "Ireland",
    "Japan",
    "Kenya",
    "Netherlands",
    "Norway",
    "Portugal",
    "Spain",
    "Switzerland",
    "United States",
)
_STATES = ("CA", "CO", "IL", "MA", "NY", "OR", "TX", "WA", "ON", "BC", "Bavaria", "Catalonia")
_COMPANIES = (
    "Acme Corp",
    "Blue Harbor Ltd",
    "Cobalt Systems",
    "Delta Foods",
    "Evergreen Labs",
    "Foxglove GmbH",
    "Granite Partners",
    "Helix Health",
    "Ionic Energy",
    "Juniper Retail",
)
_JOBS = (
    "Account Executive",
    "CTO",
    "Data Engineer",
    "Head of Sales",
    "Marketing Manager",
    "Operations Lead",
    "Product Manager",
    "Software Engineer",
    "VP Engineering",
    "CFO",
)
_TIMEZONES = (
    "America/Chicago",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Europe/Lisbon",
    "Europe/London",
    "Asia/Tokyo",
    "Africa/Nairobi",
    "UTC",
)
_STATUSES = ("active", "paused", "draft", "archived", "completed")
_CATEGORIES = ("standard", "premium", "trial", "enterprise")
_TIERS = ("bronze", "silver", "gold")
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_FIRST_LOWER = tuple(n.lower() for n in _FIRST)
_LAST_LOWER = tuple(n.lower() for n in _LAST)
_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF")
_WORDS = (
    "follow",
    "up",
    "call",
    "about",
    "renewal",
    "pricing",
    "demo",
    "next",
    "quarter",
    "budget",
    "meeting",
    "notes",
    "from",
    "the",
    "team",
    "review",
)


def _pick(pool: tuple[str, ...], bits: int) -> str:
    return pool[bits % len(pool)]


_DAY_PREFIXES: dict[int, str] = {}
_HOUR_MINUTES = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SECONDS = tuple(f"{s:02d}Z" for s in range(60))


def _iso(seconds: int) -> str:
    """ISO-8601 UTC with ``Z``, from tables (formatting timestamps is the hot path)."""
    day, rest = divmod(seconds, _DAY)
    prefix = _DAY_PREFIXES.get(day)
    if prefix is None:
        prefix = _DAY_PREFIXES[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * _DAY))
    return prefix + _HOUR_MINUTES[rest // 60] + _SECONDS[rest % 60]


def _uuid(bits: int) -> str:
    low = mix64(bits ^ _GOLDEN)
    return (
        f"{bits >> 32:08x}-{(bits >> 16) & 0xFFFF:04x}-4{bits & 0xFFF:03x}-"
        f"{0x8000 | (low >> 48) & 0x3FFF:04x}-{low & 0xFFFFFFFFFFFF:012x}"
    )


def _created_seconds(key: int, bits: int) -> int:
    # grows with the key (APIs list oldest first), stays within about a year
    return _T0 + (key % 2_000_000) * 15 + bits % 15


_POOL_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    # (words the name contains, names it equals, values), first match wins
    ((), ("first_name", "firstname", "given_name"), _FIRST),
    ((), ("last_name", "lastname", "surname", "family_name"), _LAST),
    (("city",), (), _CITIES),
    (("country",), (), _COUNTRIES),
    ((), ("state", "region", "province"), _STATES),
    (("company", "organization", "employer"), ("account_name",), _COMPANIES),
    (("job",), ("title", "position", "role"), _JOBS),
    (("timezone",), ("tz",), _TIMEZONES),
    (("status",), ("stage",), _STATUSES),
    (("category",), ("type", "kind", "tier", "plan", "segment"), _CATEGORIES),
    (("currency",), (), _CURRENCIES),
    (("domain",), (), _DOMAINS),
)
_PROSE = frozenset({"description", "notes", "note", "comment", "body", "text", "message"})


def _text(name: str, resource: str) -> Generator:
    """A plausible string generator for a text column, chosen by the column's name."""
    n = name.lower()
    if "email" in n:
        return lambda k, r: (
            f"{_FIRST_LOWER[r % 26]}.{_LAST_LOWER[(r >> 8) % 26]}{k}@{_DOMAINS[(r >> 16) % 4]}"
        )
    if "uuid" in n or "guid" in n:
        return lambda k, r: _uuid(r)
    if n in ("full_name", "contact_name", "owner_name", "display_name", "username"):
        return lambda k, r: f"{_pick(_FIRST, r)} {_pick(_LAST, r >> 8)}"
    if "linkedin" in n:
        return lambda k, r: (
            f"https://www.linkedin.com/in/{_FIRST_LOWER[r % 26]}-{_LAST_LOWER[(r >> 8) % 26]}-{k}"
        )
    if "url" in n or "website" in n or "link" in n or n == "href":
        return lambda k, r: f"https://{_pick(_DOMAINS, r)}/{resource}/{k}"
    if "phone" in n or "mobile" in n or n == "fax":
        return lambda k, r: f"+1-555-{r % 1000:03d}-{(r >> 10) % 10000:04d}"
    for words, names, pool in _POOL_RULES:
        if n in names or any(word in n for word in words):
            return _picker(pool)
    if "zip" in n or "postal" in n:
        return lambda k, r: f"{r % 100000:05d}"
    if "address" in n or "street" in n:
        return lambda k, r: f"{r % 900 + 1} {_pick(_NOUNS, r >> 10)} Street"
    if n == "object":
        singular = resource[:-1] if resource.endswith("s") else resource
        return lambda k, r: singular
    if n in _PROSE or n == "subject":
        return lambda k, r: " ".join(_pick(_WORDS, r >> (4 * j)) for j in range(6)).capitalize()
    if "name" in n:
        return lambda k, r: f"{_pick(_ADJECTIVES, r)} {_pick(_NOUNS, r >> 8)} {k}"
    return lambda k, r: f"{name}-{r % 100000}"


def _picker(pool: tuple[str, ...]) -> Generator:
    size = len(pool)
    return lambda k, r: pool[r % size]


def _bigint(name: str) -> Generator:
    n = name.lower()
    if n == "id" or n.endswith(("_id", "id")):
        return lambda k, r: 1 + r % 5000
    if n in ("age",):
        return lambda k, r: 18 + r % 60
    if "year" in n:
        return lambda k, r: 2000 + r % 25
    return lambda k, r: r % 10_000


def _double(name: str) -> Generator:
    n = name.lower()
    if any(w in n for w in ("score", "rate", "ratio", "probability", "percent")):
        return lambda k, r: (r % 10_000) / 10_000
    return lambda k, r: (r % 10_000_000) / 100


def _timestamp(name: str) -> Generator:
    n = name.lower()
    if n.startswith(("created", "inserted")) or n in ("date_created", "createdon"):
        return lambda k, r: _iso(_created_seconds(k, r))
    if _is_updated_name(n):
        return lambda k, r: _iso(_created_seconds(k, r) + 3_600 + r % (30 * _DAY))
    return lambda k, r: _iso(_T0 + r % (730 * _DAY))


def _generator(name: str, leaf: str, hint: ColumnHint, resource: str) -> Generator:
    data_type = hint.data_type or _infer_type(leaf)
    if data_type == "text":
        return _text(leaf, resource)
    if data_type == "bigint":
        return _bigint(leaf)
    if data_type == "wei":
        return lambda k, r: r % 10**18
    if data_type == "double":
        return _double(leaf)
    if data_type == "decimal":
        return lambda k, r: round((r % 10_000_000) / 100, 2)
    if data_type == "bool":
        return lambda k, r: bool(r & 1)
    if data_type == "timestamp":
        return _timestamp(leaf)
    if data_type == "date":
        return lambda k, r: _iso(_T0 + r % (730 * _DAY))[:10]
    if data_type == "time":
        return lambda k, r: f"{r % 24:02d}:{(r >> 5) % 60:02d}:{(r >> 11) % 60:02d}"
    if data_type == "json":
        return lambda k, r: {"tier": _pick(_TIERS, r), "score": (r >> 8) % 100}
    if data_type == "binary":
        return lambda k, r: base64.b64encode(r.to_bytes(8, "big")).decode()
    raise AssertionError(f"unhandled data_type {data_type!r} of column {name!r}")


def _infer_type(leaf: str) -> str:
    n = leaf.lower()
    if n == "id" or n.endswith("_id"):
        return "bigint"
    if n.endswith(("_at", "_time", "_date")) or n in ("created", "updated", "modified"):
        return "timestamp"
    if n.startswith(("is_", "has_")):
        return "bool"
    return "text"


def _is_updated_name(n: str) -> bool:
    return n.startswith(("updated", "modified", "last_modified", "last_updated", "date_modified"))


_NAME_LIKE = frozenset({"name", "title", "first_name", "last_name", "full_name", "subject"})


def _revise(value: Any, version: int, *, timestamp: bool) -> Any:
    """``value`` as edited ``version`` times; distinct for every version."""
    if version == 0 or value is None:
        return value
    if timestamp and isinstance(value, str):
        seconds = calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
        return _iso(seconds + version * _DAY)
    if isinstance(value, bool):
        return value if version % 2 == 0 else not value
    if isinstance(value, int | float):
        return value + version
    if isinstance(value, dict):
        return {**value, "revision": version}
    return f"{value} (rev {version})"


@dataclass(frozen=True)
class _Leaf:
    key: str
    generate: Generator
    salt: int
    nullable: bool
    mutable: bool
    timestamp: bool
    is_key: bool


_Node = list[tuple[str, "_Leaf | _Node"]]
_SLOTS = 1024
"""Number of template rows: columns whose value does not depend on the record key are drawn
from one of this many precomputed rows, so a record costs a few table look-ups."""
_NO_REVISE, _REVISE, _REVISE_TIMESTAMP = 0, 1, 2


@dataclass(frozen=True)
class _Column:
    """A compiled column: a ``table`` of per-slot values, a nested object (``children``),
    or a value computed per record by ``generate``."""

    name: str
    table: tuple[Any, ...] | None = None
    children: tuple[_Column, ...] | None = None
    salt: int = 0
    nullable: bool = False
    generate: Generator | None = None
    revise: int = _NO_REVISE


_DEFAULT_COLUMNS: dict[str, ColumnHint] = {
    "id": ColumnHint(data_type="bigint", nullable=False),
    "name": ColumnHint(data_type="text", nullable=False),
    "created_at": ColumnHint(data_type="timestamp", nullable=False),
    "updated_at": ColumnHint(data_type="timestamp", nullable=False),
    "owner__id": ColumnHint(data_type="bigint", nullable=False),
    "owner__email": ColumnHint(data_type="text", nullable=False),
}


class RecordFactory:
    """Builds the records of one resource. ``make(key, version)`` is pure and cheap."""

    def __init__(
        self,
        resource: str,
        columns: Mapping[str, ColumnHint] | None,
        primary_key: str | tuple[str, ...] | None,
        *,
        seed: int,
    ) -> None:
        keys = (primary_key,) if isinstance(primary_key, str) else tuple(primary_key or ("id",))
        self.primary_key = keys[0]
        hints = dict(columns) if columns else dict(_DEFAULT_COLUMNS)
        if self.primary_key not in hints:
            hints = {self.primary_key: ColumnHint(data_type="bigint", nullable=False), **hints}
        self._base = stable_hash("record", seed, resource)
        leaves = [self._leaf(name, hint, resource, keys) for name, hint in hints.items()]
        if not any(leaf.mutable for leaf in leaves):
            # an edit must be visible: with no name-like or updated_at-like column, the first
            # other column changes (or an updated_at appears when there is none)
            others = [leaf for leaf in leaves if not leaf.is_key]
            if others:
                index = leaves.index(others[0])
                leaves[index] = _replace_leaf(others[0], mutable=True, nullable=False)
            else:
                extra = ColumnHint(data_type="timestamp", nullable=False)
                leaves.append(self._leaf("updated_at", extra, resource, keys))
        tree: _Node = []
        for leaf in leaves:
            _insert(tree, leaf.key.split("__"), leaf)
        slot_bits = [mix64((self._base ^ (slot * _GOLDEN)) & _M64) for slot in range(_SLOTS)]
        self._plan = _compile(tree, slot_bits)

    def _leaf(self, name: str, hint: ColumnHint, resource: str, keys: tuple[str, ...]) -> _Leaf:
        leaf = name.rsplit("__", 1)[-1]
        lowered = leaf.lower()
        is_key = name in keys or bool(hint.primary_key)
        generate = _generator(name, leaf, hint, resource)
        if name == self.primary_key:
            generate = _key_generator(leaf, hint)
        data_type = hint.data_type or _infer_type(leaf)
        mutable = not is_key and (
            lowered in _NAME_LIKE or (data_type == "timestamp" and _is_updated_name(lowered))
        )
        return _Leaf(
            key=name,
            generate=generate,
            salt=stable_hash("column", name) | 1,
            nullable=hint.nullable is not False and not is_key and not mutable,
            mutable=mutable,
            timestamp=data_type == "timestamp",
            is_key=is_key,
        )

    def make(self, key: int, version: int) -> dict[str, Any]:
        """The record whose primary key is ``key`` (first key column), edited ``version`` times."""
        return self.make_many([key], [version])[0]

    def make_many(self, keys: Sequence[int], versions: Sequence[int]) -> list[dict[str, Any]]:
        """``make`` for many keys at once (much faster per record). Records may share nested
        objects that do not depend on the key: serialise them, do not mutate them."""
        base = self._base
        bits = [mix64((base + key) & _M64) for key in keys]
        slots = [(b >> 7) % _SLOTS for b in bits]
        return _build(self._plan, keys, bits, slots, versions)


def _key_generator(leaf: str, hint: ColumnHint) -> Generator:
    if hint.data_type == "text":
        if "uuid" in leaf.lower() or "guid" in leaf.lower():
            return lambda k, r: _uuid(mix64(k))
        return lambda k, r: str(k)
    return lambda k, r: k


def _replace_leaf(leaf: _Leaf, *, mutable: bool, nullable: bool) -> _Leaf:
    return _Leaf(leaf.key, leaf.generate, leaf.salt, nullable, mutable, leaf.timestamp, leaf.is_key)


def _insert(node: _Node, path: list[str], leaf: _Leaf) -> None:
    head = path[0]
    existing = next((child for key, child in node if key == head), None)
    if len(path) == 1:
        if existing is None:
            node.append((head, leaf))
        return  # a column that clashes with an object of the same name: the first one wins
    if existing is None:
        child: _Node = []
        node.append((head, child))
        _insert(child, path[1:], leaf)
    elif isinstance(existing, list):
        _insert(existing, path[1:], leaf)


def _scramble(bits: int, salt: int) -> int:
    mixed = ((bits ^ salt) * _GOLDEN) & _M64
    return mixed ^ (mixed >> 29)


def _is_null(r: int) -> bool:
    return (r >> 58) % 10 == 0  # about one in ten, from bits the value itself barely uses


def _depends_on_key(generate: Generator) -> bool:
    return any(generate(1, r) != generate(7919, r) for r in (0x123456789ABCDEF0, 0xF0F0, 99))


def _compile(node: _Node, slot_bits: list[int]) -> tuple[_Column, ...]:
    columns: list[_Column] = []
    for name, spec in node:
        if isinstance(spec, list):
            children = _compile(spec, slot_bits)
            tables = [child.table for child in children]
            if all(table is not None for table in tables):
                names = [child.name for child in children]
                rows = zip(*(t for t in tables if t is not None), strict=True)
                columns.append(
                    _Column(name, table=tuple(dict(zip(names, row, strict=True)) for row in rows))
                )
            else:
                columns.append(_Column(name, children=children))
        elif spec.is_key or spec.mutable or _depends_on_key(spec.generate):
            revise = _NO_REVISE
            if spec.mutable:
                revise = _REVISE_TIMESTAMP if spec.timestamp else _REVISE
            columns.append(
                _Column(
                    name,
                    salt=spec.salt,
                    nullable=spec.nullable,
                    generate=spec.generate,
                    revise=revise,
                )
            )
        else:
            values = []
            for bits in slot_bits:
                r = _scramble(bits, spec.salt)
                values.append(None if spec.nullable and _is_null(r) else spec.generate(0, r))
            columns.append(_Column(name, table=tuple(values)))
    return tuple(columns)


def _build(
    plan: tuple[_Column, ...],
    keys: Sequence[int],
    bits: list[int],
    slots: list[int],
    versions: Sequence[int],
) -> list[dict[str, Any]]:
    # column by column: a comprehension per column is much cheaper than a Python loop over the
    # columns of every record, and the benchmarks generate millions of records
    edited = any(versions)
    columns: list[list[Any]] = []
    for col in plan:
        if col.table is not None:
            table = col.table
            columns.append([table[slot] for slot in slots])
            continue
        if col.children is not None:
            columns.append(_build(col.children, keys, bits, slots, versions))
            continue
        generate, salt = col.generate, col.salt
        assert generate is not None
        mixed = [(x := ((b ^ salt) * _GOLDEN) & _M64) ^ (x >> 29) for b in bits]
        if col.nullable:
            column = [
                None if (r >> 58) % 10 == 0 else generate(k, r)
                for k, r in zip(keys, mixed, strict=True)
            ]
        else:
            column = [generate(k, r) for k, r in zip(keys, mixed, strict=True)]
        if col.revise and edited:
            stamp = col.revise == _REVISE_TIMESTAMP
            column = [
                _revise(v, n, timestamp=stamp) if n else v
                for v, n in zip(column, versions, strict=True)
            ]
        columns.append(column)
    names = [col.name for col in plan]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
