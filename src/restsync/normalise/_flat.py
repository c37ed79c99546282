"""A page without lists straight into columns, without dlt's per-record normaliser.

Most pages of most APIs hold records without lists: objects at most, which dlt flattens into
``parent__child`` columns. Such a page is split column by column (one list comprehension per
field, objects recursively), each column named as dlt's normaliser would name it (the
schema's naming convention applied to each key, the parts joined by ``shorten_fragments``)
and made an Arrow array in one call (``pa.array``, in C) when its values have one type. The
result is handed to ``ColumnTypes`` like the columns ``_rows`` gathers, and typed the same
way.

It applies only where the result is certainly dlt's; otherwise ``None`` sends the page to
dlt's own normaliser (``_rows``): a list anywhere, a field that is an object in one record
and a value in another, two keys that land on one column name (dlt keeps the last in its
own order), an object past the nesting limit or hinted ``json`` (dlt keeps it whole), an
empty key, and row ids that are not random (hashes of keys, for upsert and scd2 merges). A
column whose values have several types stays a list of values, typed one by one as dlt does.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from restsync._dlt import Schema, TTableSchema, max_table_nesting, root_row_id_type


def random_row_ids(rows: int) -> pa.Array:
    """``rows`` row ids as dlt makes them (``generate_dlt_id``: 14 base64 characters of
    random bytes), cut from one random string."""
    encoded = base64.b64encode(os.urandom(12 * rows))
    offsets = pa.array(range(0, 16 * (rows + 1), 16), pa.int32())
    blocks = pa.StringArray.from_buffers(rows, offsets.buffers()[1], pa.py_buffer(encoded))
    return pc.utf8_slice_codeunits(blocks, 0, 14)


_SCALARS = frozenset({str, int, float, bool})


class FlatPages:
    """Pages of one table without lists, as columns named as dlt names them."""

    def __init__(self, schema: Schema, table: TTableSchema) -> None:
        self._schema = schema
        self._table = str(table["name"])
        self._nesting = max_table_nesting(schema, self._table)
        self._random_ids = root_row_id_type(schema, self._table) == "random"
        self._names: dict[tuple[str, ...], str] = {}

    def columns(self, records: Sequence[Any], types: Any) -> dict[str, pa.Array | list[Any]] | None:
        """The page's columns (dlt's names; an Arrow array where Arrow types the values as
        dlt would, else the values) without dlt's bookkeeping columns, or None when the page
        must go through dlt's normaliser. ``types`` answers ``is_json(name)``."""
        if not self._random_ids or not records:
            return None
        if not all(type(record) is dict for record in records):
            return None
        columns: dict[str, pa.Array | list[Any]] = {}
        if not self._gather(records, (), columns, types):
            return None
        return columns

    def _gather(
        self,
        rows: Sequence[dict[str, Any] | None],
        path: tuple[str, ...],
        out: dict[str, pa.Array | list[Any]],
        types: Any,
    ) -> bool:
        """Adds the fields of ``rows`` (objects at ``path``, or None) to ``out`` column by
        column; False if dlt would make anything else of them."""
        keys: dict[str, None] = {}
        for row in rows:
            if row:
                keys.update(dict.fromkeys(row))
        for key in keys:
            if not isinstance(key, str) or not key or key.isspace():
                return False
            name = self._name((*path, key))
            values = [None if row is None else row.get(key) for row in rows]
            kinds = set(map(type, values))
            kinds.discard(type(None))
            if types.is_json(name):
                # kept whole by dlt, typed value by value (``ColumnTypes``)
                if name in out:
                    return False
                out[name] = values
                continue
            if dict in kinds:
                # dlt descends into an object unless past the nesting limit (or hinted json)
                if kinds != {dict} or len(path) + 1 > self._nesting:
                    return False
                if not self._gather(values, (*path, key), out, types):
                    return False
                continue
            if not kinds <= _SCALARS or name in out:
                return False
            out[name] = _as_array(values, kinds)
        return True

    def _name(self, path: tuple[str, ...]) -> str:
        name = self._names.get(path)
        if name is None:
            naming = self._schema.naming
            parts = [naming.normalize_path(key) for key in path]
            name = self._names[path] = naming.shorten_fragments(*parts)
        return name


def _as_array(values: list[Any], kinds: set[type]) -> pa.Array | list[Any]:
    """The values as one Arrow array when they have one Python type Arrow keeps exactly
    (Arrow would make ``[1, 2.5]`` all floats, which dlt types apart), else as they are."""
    if len(kinds) != 1:
        return values
    try:
        return pa.array(values)
    except (pa.ArrowException, OverflowError):  # integers beyond 64 bits
        return values
