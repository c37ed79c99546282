"""Deterministic fake records of one resource, shaped by its dlt column hints.

A ``RecordFactory`` is compiled once per resource: every column hint becomes a small value
generator (``_values``). A record is a pure function of (resource, seed, key, version): no
state, no up-front materialisation, so the millionth record costs what the first one does.

Hinted names with ``__`` are dlt's flattened nested fields and are built back into objects
(``stats__total_sent`` -> ``{"stats": {"total_sent": 12}}``). Without hints a resource gets
``id, name, created_at, updated_at, owner{id, email}``. The first primary-key column holds the
record key itself (1..N for top-level resources) and is never null; other nullable columns are
null for roughly one record in ten.

"Versions" model edits: a record at version v > 0 has its name-like and ``updated_at``-like
fields changed in a way guaranteed to differ from every other version.

The ``realistic`` shape adds, after the hinted fields, what real APIs send beyond them
(``_realistic``: lists, nested objects, mixed types, late and mostly-null fields, colliding
keys); ``flat`` is the hinted fields alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from restsync.config import ColumnHint

from ._bits import GOLDEN, M64, is_null, mix64, scramble, stable_hash
from ._options import RecordShape
from ._realistic import RealisticFields
from ._values import Generator, generator, infer_type, is_updated_name, key_generator, revise


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
_NAME_LIKE = frozenset({"name", "title", "first_name", "last_name", "full_name", "subject"})


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
        shape: RecordShape = "flat",
        huge_integers: bool = False,
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
                leaves[index] = replace(others[0], mutable=True, nullable=False)
            else:
                extra = ColumnHint(data_type="timestamp", nullable=False)
                leaves.append(self._leaf("updated_at", extra, resource, keys))
        tree: _Node = []
        for leaf in leaves:
            _insert(tree, leaf.key.split("__"), leaf)
        slot_bits = [mix64((self._base ^ (slot * GOLDEN)) & M64) for slot in range(_SLOTS)]
        self._plan = _compile(tree, slot_bits)
        self._realistic = (
            RealisticFields(
                resource,
                seed=seed,
                hinted={name for name, _ in tree},
                huge_integers=huge_integers,
            )
            if shape == "realistic"
            else None
        )

    def _leaf(self, name: str, hint: ColumnHint, resource: str, keys: tuple[str, ...]) -> _Leaf:
        leaf = name.rsplit("__", 1)[-1]
        lowered = leaf.lower()
        is_key = name in keys or bool(hint.primary_key)
        generate = generator(name, leaf, hint, resource)
        if name == self.primary_key:
            generate = key_generator(leaf, hint)
        data_type = hint.data_type or infer_type(leaf)
        mutable = not is_key and (
            lowered in _NAME_LIKE or (data_type == "timestamp" and is_updated_name(lowered))
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
        bits = [mix64((base + key) & M64) for key in keys]
        slots = [(b >> 7) % _SLOTS for b in bits]
        records = _build(self._plan, keys, bits, slots, versions)
        if self._realistic is not None:
            self._realistic.add(records, keys, versions)
        return records


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
            revise_as = _NO_REVISE
            if spec.mutable:
                revise_as = _REVISE_TIMESTAMP if spec.timestamp else _REVISE
            columns.append(
                _Column(
                    name,
                    salt=spec.salt,
                    nullable=spec.nullable,
                    generate=spec.generate,
                    revise=revise_as,
                )
            )
        else:
            values = []
            for bits in slot_bits:
                r = scramble(bits, spec.salt)
                values.append(None if spec.nullable and is_null(r) else spec.generate(0, r))
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
        mixed = [(x := ((b ^ salt) * GOLDEN) & M64) ^ (x >> 29) for b in bits]
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
                revise(v, n, timestamp=stamp) if n else v
                for v, n in zip(column, versions, strict=True)
            ]
        columns.append(column)
    names = [col.name for col in plan]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
