"""A page without lists straight into columns, without a Python object per value.

Most pages of most APIs hold records without lists: objects at most, which dlt flattens into
``parent__child`` columns. Such a page becomes one Arrow table in one call (``pa.array``,
in C), its struct columns are split into their fields, and each column is named as dlt's
normaliser would name it (the schema's naming convention applied to each key, the parts
joined by ``shorten_fragments``). The result is handed to ``ColumnTypes`` like the columns
``_rows`` gathers, and typed the same way.

It applies only where the result is certainly dlt's; otherwise ``None`` sends the page to
dlt's own normaliser (``_rows``): a list anywhere, values Arrow cannot put in one column
(mixed types), two keys that land on one column name (dlt keeps the last in its own order),
an object past the nesting limit or hinted ``json`` (dlt keeps it whole), an empty key, and
row ids that are not random (hashes of keys, for upsert and scd2 merges).
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


class FlatPages:
    """Pages of one table without lists, as columns named as dlt names them."""

    def __init__(self, schema: Schema, table: TTableSchema) -> None:
        self._schema = schema
        self._table = str(table["name"])
        self._nesting = max_table_nesting(schema, self._table)
        self._random_ids = root_row_id_type(schema, self._table) == "random"
        self._names: dict[tuple[str, ...], str] = {}

    def columns(self, records: Sequence[Any], types: Any) -> dict[str, pa.Array] | None:
        """The page's columns (dlt's names, Arrow's own types, before typing) without dlt's
        bookkeeping columns, or None when the page must go through dlt's normaliser.
        ``types`` answers ``is_json(name)`` for the table's columns."""
        if not self._random_ids or not records:
            return None
        try:
            rows = pa.array(records)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return None
        if not pa.types.is_struct(rows.type):
            return None
        columns: dict[str, pa.Array] = {}
        if not self._split(rows, (), columns, types):
            return None
        return columns

    def _split(
        self, struct: pa.Array, path: tuple[str, ...], out: dict[str, pa.Array], types: Any
    ) -> bool:
        """Adds the fields of ``struct`` (at ``path``) to ``out``; False if dlt would make
        anything else of them."""
        for index in range(struct.type.num_fields):
            field = struct.type.field(index)
            key = field.name
            if not key or key.isspace():
                return False
            name = self._name((*path, key))
            values = _field(struct, index)
            kind = field.type
            if pa.types.is_struct(kind):
                # dlt descends into an object unless past the nesting limit or hinted json
                if len(path) + 1 > self._nesting or types.is_json(name):
                    return False
                if not self._split(values, (*path, key), out, types):
                    return False
                continue
            if _has_list(kind) or name in out or _maybe_ints(values):
                return False
            out[name] = values
        return True

    def _name(self, path: tuple[str, ...]) -> str:
        name = self._names.get(path)
        if name is None:
            naming = self._schema.naming
            parts = [naming.normalize_path(key) for key in path]
            name = self._names[path] = naming.shorten_fragments(*parts)
        return name


def _field(struct: pa.Array, index: int) -> pa.Array:
    """A struct's field with the struct's own nulls applied (a null object: null fields)."""
    values = struct.field(index)
    if struct.null_count:
        values = pc.if_else(struct.is_valid(), values, pa.nulls(len(values), values.type))
    return values


def _maybe_ints(values: pa.Array) -> bool:
    """Whether a float column may hold integers Arrow made floats of (``[1, 2.5]``), which
    dlt types apart (a ``bigint`` column and a ``__v_double`` variant)."""
    if not pa.types.is_floating(values.type):
        return False
    whole = pc.equal(pc.floor(values), values)
    return bool(pc.any(whole).as_py())


def _has_list(kind: pa.DataType) -> bool:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_list(kind.field(i).type) for i in range(kind.num_fields))
    return False
