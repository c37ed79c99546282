"""A page of records straight into columns, one set per table, without dlt's per-record
normaliser.

dlt's relational normaliser walks each record: nested objects become ``parent__child``
columns, lists become nested tables (``<table>__<field>``) whose rows point at their parent
row (``_dlt_parent_id``, ``_dlt_list_idx``), carry an id derived from it (``_dlt_id``, dlt's
own hash of the parent's id, the table and the position) and, where the table chain needs it,
the root row's id (``_dlt_root_id``). Here the same walk is
made a field at a time over a whole page: one list comprehension per field, each column named
by dlt's own rules (``NormaliserRules``), a column of one Python type made an Arrow array in
one call. The result is handed to ``ColumnTypes`` and typed as the rows ``_rows`` gathers are.

It applies only where the result is certainly dlt's; otherwise ``None`` sends the page to
dlt's own normaliser (``_rows``): a field that is an object (or a list) in one record and a
value in another, a list mixing objects with values, lists of lists, keys that land on one
column name unless they are plain values side by side in one object (dlt keeps the last in
each record's order, and so does this), an object or list dlt keeps whole past the nesting
limit, an empty key, a record's own bookkeeping field (``_dlt_id``), row ids that are not
random (hashes of keys, for upsert and scd2 merges) and propagation beyond the root id.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from restsync._dlt import NormaliserRules, Schema, max_table_nesting, root_row_id_type


def random_row_ids(rows: int) -> pa.Array:
    """``rows`` row ids as dlt makes them (``generate_dlt_id``: 14 base64 characters of
    random bytes), cut from one random string."""
    encoded = base64.b64encode(os.urandom(12 * rows))
    offsets = pa.array(range(0, 16 * (rows + 1), 16), pa.int32())
    blocks = pa.StringArray.from_buffers(rows, offsets.buffers()[1], pa.py_buffer(encoded))
    return pc.utf8_slice_codeunits(blocks, 0, 14)


_SCALARS = frozenset({str, int, float, bool})
_ARROW_OF = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
_NONE = type(None)


class NotColumnar(Exception):
    """The page holds a shape this walk does not make exactly as dlt: dlt's normaliser
    makes it."""


@dataclass
class TableColumns:
    """One table's columns of a page, in dlt's column order, bookkeeping columns included:
    an Arrow array where the values have one type Arrow keeps exactly, else the values."""

    name: str
    parent: str | None
    columns: dict[str, pa.Array | list[Any]] = field(default_factory=dict)


@dataclass
class _Rows:
    """Rows of one table on their way into columns: ``ids`` their row ids, ``roots`` the
    ids of their records' root rows."""

    table: TableColumns
    path: tuple[str, ...]
    level: int
    ids: list[str]
    roots: list[str]


class ColumnarPages:
    """Pages of one resource's table as the columns of it and of its nested tables."""

    def __init__(self, schema: Schema, table: str) -> None:
        self._table = table
        self._rules = rules = NormaliserRules(schema)
        self._nesting = max_table_nesting(schema, table)
        names = rules.names
        self._bookkeeping = frozenset(vars(names).values())
        # what nested rows inherit: nothing, or the root row's id as ``_dlt_root_id``
        inherited = rules.propagation(table, is_root=True)
        self._root_key = inherited.get(names.row_id)
        self._applies = root_row_id_type(schema, table) == "random" and set(inherited.items()) <= {
            (names.row_id, names.root_id)
        }

    def tables(self, records: Sequence[Any], load_id: str) -> list[TableColumns] | None:
        """The page's tables, the resource's own first and parents before their nested
        tables (a nested table only where some record's list has an element), or None when
        the page must go through dlt's normaliser."""
        if not self._applies or not records:
            return None
        if not all(type(record) is dict for record in records):
            return None
        names = self._rules.names
        root = TableColumns(self._table, None)
        ids = random_row_ids(len(records))
        id_list = ids.to_pylist()
        made: dict[str, TableColumns] = {self._table: root}
        try:
            lists = self._flatten(root, records, self._nesting, ())
            root.columns[names.load_id] = pa.repeat(pa.scalar(load_id, pa.string()), len(records))
            root.columns[names.row_id] = ids
            rows = _Rows(root, (self._table,), self._nesting, id_list, id_list)
            self._nest(rows, lists, made)
        except NotColumnar:
            return None
        return list(made.values())

    def _flatten(
        self,
        table: TableColumns,
        rows: Sequence[dict[str, Any] | None],
        level: int,
        path: tuple[str, ...],
    ) -> list[tuple[tuple[str, ...], list[Any]]]:
        """Adds the fields of ``rows`` (objects at ``path`` within ``table``'s rows, or None)
        to its columns, objects flattened; returns the list fields, by their path for
        naming, with each row's list."""
        rules = self._rules
        keys: dict[str, Any] = {}  # every key, in the order first met; the values unused
        for row in rows:
            if row:
                keys.update(row)
        # a row is an object or None (an absent object): without None, each field's values
        # are read in one call
        whole = rows.count(None) == 0
        by_name: dict[str, list[str]] = {}
        for key in keys:
            if not isinstance(key, str) or not key or key.isspace():
                raise NotColumnar
            normalised = rules.normalize_key(key)
            name = rules.shorten(*path, normalised) if path else normalised
            by_name.setdefault(name, []).append(key)
        out = table.columns
        lists: list[tuple[tuple[str, ...], list[Any]]] = []
        objects: list[tuple[str, list[Any]]] = []
        for name, group in by_name.items():
            if name in out or name in self._bookkeeping:
                raise NotColumnar
            key = group[-1]
            if len(group) == 1:
                if whole:
                    objects_only = cast("Sequence[dict[str, Any]]", rows)
                    values = list(map(dict.get, objects_only, repeat(key)))
                else:
                    values = [None if row is None else row.get(key) for row in rows]
                array = _one_kind_array(values)
                if array is not None:
                    out[name] = array
                    continue
                kinds = set(map(type, values))
            else:
                # keys that land on one column: dlt writes each value of a record in turn, so
                # the last one stays; an object or list among them is flattened or nested
                # instead, under other names
                kinds = {type(row[k]) for row in rows if row for k in group if k in row}
                if not kinds <= _SCALARS | {_NONE}:
                    raise NotColumnar
                colliding = frozenset(group)
                values = [_last(row, colliding) for row in rows]
            kinds.discard(_NONE)
            if kinds & {dict, list}:
                if rules.is_kept_whole(table.name, name, level):
                    out[name] = values  # json, typed value by value
                elif len(kinds) > 1:
                    raise NotColumnar
                elif dict in kinds:
                    objects.append((rules.normalize_key(key), values))
                else:
                    lists.append(((*path, rules.normalize_table_key(key)), values))
                continue
            if not kinds <= _SCALARS:
                raise NotColumnar
            out[name] = _as_array(values, kinds)
        # dlt flattens a record's objects last first, each one's own objects before the next
        for key, values in reversed(objects):
            lists += self._flatten(table, values, level - 1, (*path, key))
        return lists

    def _nest(
        self,
        rows: _Rows,
        lists: list[tuple[tuple[str, ...], list[Any]]],
        made: dict[str, TableColumns],
    ) -> None:
        """Makes the nested table of each list field of ``rows``, and theirs in turn."""
        rules = self._rules
        names = rules.names
        for ident, values in lists:
            name = rules.shorten(*rows.path, *ident)
            if name in made or not rules.is_nested(name):
                raise NotColumnar
            if rules.propagation(name, is_root=False):
                raise NotColumnar
            elements: list[Any] = []
            parents: list[str] = []
            roots: list[str] = []
            positions: list[int] = []
            for parent, root, sequence in zip(rows.ids, rows.roots, values, strict=True):
                if sequence:
                    elements += sequence
                    parents += [parent] * len(sequence)
                    roots += [root] * len(sequence)
                    positions += range(len(sequence))
            if not elements:
                continue
            table = made[name] = TableColumns(name, rows.table.name)
            kinds = set(map(type, elements))
            inner: list[tuple[tuple[str, ...], list[Any]]] = []
            if kinds == {dict}:
                inner = self._flatten(table, elements, rows.level - 1, ())
            elif kinds - {_NONE} <= _SCALARS:
                table.columns[names.value] = _as_array(elements, kinds - {_NONE})
            else:
                raise NotColumnar
            ids = [rules.nested_row_id(p, name, i) for p, i in zip(parents, positions, strict=True)]
            if self._root_key is not None:
                table.columns[self._root_key] = roots
            table.columns[names.parent_id] = parents
            table.columns[names.list_idx] = pa.array(positions, pa.int64())
            table.columns[names.row_id] = ids
            if inner:
                nested = _Rows(table, (*rows.path, *ident), rows.level - 1, ids, roots)
                self._nest(nested, inner, made)


def _last(row: dict[str, Any] | None, group: frozenset[str]) -> Any:
    """The value of the key of ``group`` that comes last in ``row`` (dlt writes each key of a
    record in turn, so the last one that lands on a column stays)."""
    if row:
        for key in reversed(row):
            if key in group:
                return row[key]
    return None


#: the Arrow types that Arrow infers only from values of one Python type (it makes a double
#: of ints and floats, and of bools and floats, which dlt types apart)
_ONE_KIND = (pa.string(), pa.int64(), pa.bool_())


def _one_kind_array(values: list[Any]) -> pa.Array | None:
    """The values as an Arrow array, when they are strings, integers or booleans, one of
    these alone (or None): what ``_as_array`` makes of them, without looking at every value's
    type first. None for any other values."""
    for value in values:
        if value is not None:
            if type(value) not in (str, int, bool):
                return None
            break
    else:
        return None
    try:
        array = pa.array(values)
    except (pa.ArrowException, OverflowError):  # mixed types; integers beyond 64 bits
        return None
    return array if array.type in _ONE_KIND else None


def _as_array(values: list[Any], kinds: set[type]) -> pa.Array | list[Any]:
    """The values as one Arrow array when they have one Python type Arrow keeps exactly
    (Arrow would make ``[1, 2.5]`` all floats, which dlt types apart), else as they are."""
    if len(kinds) != 1:
        return values
    try:
        # the type given, Arrow converts without first scanning the values for one (twice
        # as fast for integers and floats)
        return pa.array(values, _ARROW_OF.get(next(iter(kinds))))
    except (pa.ArrowException, OverflowError):  # integers beyond 64 bits
        return values
