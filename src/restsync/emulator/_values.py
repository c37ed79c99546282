"""Value generators for one column, chosen by its dlt ``data_type`` and its name.

A generator maps (record key, per-field random bits) to a value: ``email`` looks like an
address, ``city`` like a city, a ``created_at`` grows with the key (APIs list oldest first).
``revise`` models an edit: the value a field has after ``version`` edits, distinct for every
version.
"""

from __future__ import annotations

import base64
import calendar
import time
from collections.abc import Callable
from typing import Any

from restsync.config import ColumnHint

from . import _pools as pools
from ._bits import GOLDEN, mix64

T0 = 1_672_531_200  # 2023-01-01T00:00:00Z
DAY = 86_400

Generator = Callable[[int, int], Any]
"""(record key, per-field random bits) -> value."""

_DAY_PREFIXES: dict[int, str] = {}
_HOUR_MINUTES = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SECONDS = tuple(f"{s:02d}Z" for s in range(60))


def iso(seconds: int) -> str:
    """ISO-8601 UTC with ``Z``, from tables (formatting timestamps is the hot path)."""
    day, rest = divmod(seconds, DAY)
    prefix = _DAY_PREFIXES.get(day)
    if prefix is None:
        prefix = _DAY_PREFIXES[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * DAY))
    return prefix + _HOUR_MINUTES[rest // 60] + _SECONDS[rest % 60]


def uuid(bits: int) -> str:
    """A version-4-shaped UUID from 64 bits."""
    low = mix64(bits ^ GOLDEN)
    return (
        f"{bits >> 32:08x}-{(bits >> 16) & 0xFFFF:04x}-4{bits & 0xFFF:03x}-"
        f"{0x8000 | (low >> 48) & 0x3FFF:04x}-{low & 0xFFFFFFFFFFFF:012x}"
    )


def created_seconds(key: int, bits: int) -> int:
    """A creation time that grows with the key and stays within about a year."""
    return T0 + (key % 2_000_000) * 15 + bits % 15


def email(key: int, r: int) -> str:
    """A plausible, unique-per-key e-mail address."""
    first, last = pools.FIRST_LOWER[r % 26], pools.LAST_LOWER[(r >> 8) % 26]
    return f"{first}.{last}{key}@{pools.DOMAINS[(r >> 16) % 4]}"


def full_name(r: int) -> str:
    return f"{pools.pick(pools.FIRST, r)} {pools.pick(pools.LAST, r >> 8)}"


def title(key: int, r: int) -> str:
    """A name for a thing (a campaign, an account): two words and the key."""
    return f"{pools.pick(pools.ADJECTIVES, r)} {pools.pick(pools.NOUNS, r >> 8)} {key}"


_POOL_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    # (words the name contains, names it equals, values), first match wins
    ((), ("first_name", "firstname", "given_name"), pools.FIRST),
    ((), ("last_name", "lastname", "surname", "family_name"), pools.LAST),
    (("city",), (), pools.CITIES),
    (("country",), (), pools.COUNTRIES),
    ((), ("state", "region", "province"), pools.STATES),
    (("company", "organization", "employer"), ("account_name",), pools.COMPANIES),
    (("job",), ("title", "position", "role"), pools.JOBS),
    (("timezone",), ("tz",), pools.TIMEZONES),
    (("status",), ("stage",), pools.STATUSES),
    (("category",), ("type", "kind", "tier", "plan", "segment"), pools.CATEGORIES),
    (("currency",), (), pools.CURRENCIES),
    (("domain",), (), pools.DOMAINS),
)
_PROSE = frozenset({"description", "notes", "note", "comment", "body", "text", "message"})


def _text(name: str, resource: str) -> Generator:
    """A plausible string generator for a text column, chosen by the column's name."""
    n = name.lower()
    if "email" in n:
        return email
    if "uuid" in n or "guid" in n:
        return lambda k, r: uuid(r)
    if n in ("full_name", "contact_name", "owner_name", "display_name", "username"):
        return lambda k, r: full_name(r)
    if "linkedin" in n:
        return lambda k, r: (
            "https://www.linkedin.com/in/"
            f"{pools.FIRST_LOWER[r % 26]}-{pools.LAST_LOWER[(r >> 8) % 26]}-{k}"
        )
    if "url" in n or "website" in n or "link" in n or n == "href":
        return lambda k, r: f"https://{pools.pick(pools.DOMAINS, r)}/{resource}/{k}"
    if "phone" in n or "mobile" in n or n == "fax":
        return lambda k, r: f"+1-555-{r % 1000:03d}-{(r >> 10) % 10000:04d}"
    for words, names, pool in _POOL_RULES:
        if n in names or any(word in n for word in words):
            return _picker(pool)
    if "zip" in n or "postal" in n:
        return lambda k, r: f"{r % 100000:05d}"
    if "address" in n or "street" in n:
        return lambda k, r: f"{r % 900 + 1} {pools.pick(pools.NOUNS, r >> 10)} Street"
    if n == "object":
        singular = resource[:-1] if resource.endswith("s") else resource
        return lambda k, r: singular
    if n in _PROSE or n == "subject":
        return lambda k, r: sentence(r)
    if "name" in n:
        return title
    return lambda k, r: f"{name}-{r % 100000}"


def sentence(r: int) -> str:
    """Six words of prose."""
    return " ".join(pools.pick(pools.WORDS, r >> (4 * j)) for j in range(6)).capitalize()


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
        return lambda k, r: iso(created_seconds(k, r))
    if is_updated_name(n):
        return lambda k, r: iso(created_seconds(k, r) + 3_600 + r % (30 * DAY))
    return lambda k, r: iso(T0 + r % (730 * DAY))


def generator(name: str, leaf: str, hint: ColumnHint, resource: str) -> Generator:
    """The generator of column ``name`` (``leaf``: its last ``__`` part) of ``resource``."""
    data_type = hint.data_type or infer_type(leaf)
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
        return lambda k, r: iso(T0 + r % (730 * DAY))[:10]
    if data_type == "time":
        return lambda k, r: f"{r % 24:02d}:{(r >> 5) % 60:02d}:{(r >> 11) % 60:02d}"
    if data_type == "json":
        return lambda k, r: {"tier": pools.pick(pools.TIERS, r), "score": (r >> 8) % 100}
    if data_type == "binary":
        return lambda k, r: base64.b64encode(r.to_bytes(8, "big")).decode()
    raise AssertionError(f"unhandled data_type {data_type!r} of column {name!r}")


def key_generator(leaf: str, hint: ColumnHint) -> Generator:
    """The primary-key column: the record key itself (as text or a UUID for text keys)."""
    if hint.data_type == "text":
        if "uuid" in leaf.lower() or "guid" in leaf.lower():
            return lambda k, r: uuid(mix64(k))
        return lambda k, r: str(k)
    return lambda k, r: k


def infer_type(leaf: str) -> str:
    """The data type of an unhinted column, from its name."""
    n = leaf.lower()
    if n == "id" or n.endswith("_id"):
        return "bigint"
    if n.endswith(("_at", "_time", "_date")) or n in ("created", "updated", "modified"):
        return "timestamp"
    if n.startswith(("is_", "has_")):
        return "bool"
    return "text"


def is_updated_name(n: str) -> bool:
    return n.startswith(("updated", "modified", "last_modified", "last_updated", "date_modified"))


def revise(value: Any, version: int, *, timestamp: bool) -> Any:
    """``value`` as edited ``version`` times; distinct for every version."""
    if version == 0 or value is None:
        return value
    if timestamp and isinstance(value, str):
        seconds = calendar.timegm(time.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
        return iso(seconds + version * DAY)
    if isinstance(value, bool):
        return value if version % 2 == 0 else not value
    if isinstance(value, int | float):
        return value + version
    if isinstance(value, dict):
        return {**value, "revision": version}
    return f"{value} (rev {version})"
