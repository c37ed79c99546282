"""Order-independent digests of what a run loaded, to check restsync against dlt row by row.

A dataset's digest holds, for every table but dlt's own ``_dlt_*`` tables (the root tables
and every nested ``<table>__<field>`` table), its columns with their types and a digest of
its rows, both without dlt's ``_dlt_*`` columns: those hold random row ids and load ids that
differ between any two loads, so they cannot be compared (``_dlt_list_idx`` goes with them;
the rows of a nested table still have to match as a multiset).

A row's digest is a 128-bit hash of its values in column-name order; a table's is the sum of
its rows' modulo 2**128, so the order rows come back in does not matter but every duplicate
counts. Two loads agree when their digests are equal; ``differences`` says where they do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

_MODULO = 1 << 128
_BATCH = 10_000


class _Cursor(Protocol):
    def execute(self, query: str, parameters: Any = ..., /) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ..., /) -> list[Any]: ...


@dataclass(frozen=True)
class TableDigest:
    """One table: its data columns (``name type``, sorted), row count and rows' digest."""

    columns: tuple[str, ...]
    rows: int
    digest: str


def _canonical(value: Any) -> str:
    # one text per value whatever driver returned it: timestamps in UTC, floats as repr
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return repr(value)


def rows_digest(rows: Iterable[tuple[Any, ...]]) -> tuple[int, str]:
    """(row count, digest) of ``rows``, whatever their order."""
    total = 0
    count = 0
    for row in rows:
        text = "\x1f".join(_canonical(value) for value in row)
        total += int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")
        count += 1
    return count, f"{total % _MODULO:032x}"


def _batches(cursor: _Cursor) -> Iterable[tuple[Any, ...]]:
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def dataset_digest(cursor: _Cursor, dataset: str) -> dict[str, TableDigest]:
    """The digest of every table of ``dataset`` the cursor's database holds (DuckDB or
    PostgreSQL: both answer ``information_schema``)."""
    placeholder = "%s" if type(cursor).__module__.startswith("psycopg") else "?"
    cursor.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = {placeholder} ORDER BY table_name, column_name",
        [dataset],
    )
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in cursor.fetchall():
        if not table.startswith("_dlt_"):
            columns.setdefault(table, [])
            if not column.startswith("_dlt_"):
                columns[table].append((column, data_type))
    digests: dict[str, TableDigest] = {}
    for table, cols in sorted(columns.items()):
        names = sorted(name for name, _ in cols)
        if names:
            selected = ", ".join(f'"{name}"' for name in names)
            cursor.execute(f'SELECT {selected} FROM "{dataset}"."{table}"')
            rows, digest = rows_digest(_batches(cursor))
        else:
            cursor.execute(f'SELECT COUNT(*) FROM "{dataset}"."{table}"')
            rows, digest = int(cursor.fetchall()[0][0]), ""
        digests[table] = TableDigest(
            columns=tuple(sorted(f"{name} {data_type}" for name, data_type in cols)),
            rows=rows,
            digest=digest,
        )
    return digests


def differences(
    reference: Mapping[str, TableDigest], candidate: Mapping[str, TableDigest], *, most: int = 6
) -> list[str]:
    """Where ``candidate`` differs from ``reference``, one short line per table (at most
    ``most`` lines; an empty list means the two loads hold the same data)."""
    found: list[str] = []
    for table in sorted(set(reference) | set(candidate)):
        want, got = reference.get(table), candidate.get(table)
        if want is None:
            found.append(f"{table}: not in the reference")
        elif got is None:
            found.append(f"{table}: missing")
        elif want.columns != got.columns:
            extra = sorted(set(got.columns) - set(want.columns))
            lacking = sorted(set(want.columns) - set(got.columns))
            found.append(f"{table}: columns differ (extra {extra[:3]}, missing {lacking[:3]})")
        elif want.rows != got.rows:
            found.append(f"{table}: {got.rows} rows, the reference has {want.rows}")
        elif want.digest != got.digest:
            found.append(f"{table}: same {got.rows} rows counted, different values")
    if len(found) > most:
        found = [*found[:most], f"... and {len(found) - most} more tables"]
    return found


def to_json(digests: Mapping[str, TableDigest]) -> dict[str, dict[str, Any]]:
    return {table: asdict(digest) for table, digest in digests.items()}


def from_json(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, TableDigest]:
    return {
        table: TableDigest(tuple(value["columns"]), int(value["rows"]), str(value["digest"]))
        for table, value in raw.items()
    }
