"""The fast data path: a page of records becomes one Arrow table that dlt loads as is.

dlt normalises plain dicts row by row in Python (a few thousand rows a second into DuckDB);
handed Arrow tables it skips that work and writes parquet directly. To keep the tables and
types the same as dlt's own dict path would make, a page is converted only when that is
faithful, and otherwise goes to dlt as dicts:

* nested objects are flattened into ``parent__child`` columns, as dlt names them, except those
  hinted ``json``, which stay one column;
* a column hinted in the config is cast to the hinted type; an unhinted text column whose first
  value is an ISO timestamp becomes a timestamp, which is dlt's default ``iso_timestamp``
  detection, decided once per resource as dlt does;
* all-null columns are left out, as dlt leaves out columns that received no data;
* ``_dlt_load_id`` and ``_dlt_id`` are added as dlt's dict path adds them (dlt's own Arrow path
  does not unless configured globally), so both kinds of page can share one table;
* a resource whose first page holds lists, or cannot be typed, goes the dict way for good
  (dlt turns lists into nested tables); lists that first appear on a later page are loaded
  as JSON text, because mixing dict pages into an Arrow resource breaks dlt's merge of nested
  tables;
* a page Arrow cannot type (mixed types in one column) or that does not fit the types decided
  earlier goes the dict way, and dlt's usual variant columns take the odd values.

A page that goes the dict way is loaded correctly; it is only slower.

After the first page, ``decode`` can read a page straight from its body with Arrow's JSON
reader, which creates no Python objects and releases the GIL, so pages decode in parallel with
everything else. It declares the record type learned from the pages prepared so far (their own
types, strings staying strings) and gives up on any page whose records do not have exactly
that type, which then goes through ``prepare`` as above: the tables are the same either way.
"""

from __future__ import annotations

import array
import base64
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from restsync._dlt import (
    CurrentLoadPackageStateNotAvailable,
    is_iso_timestamp,
    load_package_state,
)
from restsync.config import ColumnHint
from restsync.engine import Decoded

from ._dedup import UniqueKeys

SEPARATOR = "__"
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

ARROW_TYPES: Mapping[str, pa.DataType] = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": UTC_TIMESTAMP,
    "date": pa.date32(),
}


def fast_path_disabled() -> bool:
    """``RESTSYNC_ARROW=0`` hands dlt plain dicts, e.g. to compare both paths."""
    return os.environ.get("RESTSYNC_ARROW", "1") == "0"


class _Unfaithful(Exception):
    """This page cannot become an Arrow table with the types dlt would give it."""


def _has_list(data_type: pa.DataType) -> bool:
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return True
    if pa.types.is_struct(data_type):
        return any(_has_list(data_type.field(i).type) for i in range(data_type.num_fields))
    return False


def _as_json_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A list column as JSON text: its type can then not clash with later pages."""
    values = [None if v is None else orjson.dumps(v).decode() for v in column.to_pylist()]
    return pa.chunked_array([pa.array(values, pa.string())])


def _to_timestamp(column: pa.ChunkedArray) -> pa.ChunkedArray:
    try:
        return pc.cast(column, UTC_TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        return pc.assume_timezone(pc.cast(column, pa.timestamp("us")), "UTC")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _Unfaithful(str(exc)) from None


def _table_of(records: list[Any]) -> pa.Table:
    """The records as one table. ``Table.from_pylist`` is the fast way, but it takes the
    field names from the first record only and would silently drop a field that one lacks;
    such a page goes through ``pa.array``, which looks at every record."""
    if isinstance(records[0], dict) and len(set().union(*records)) == len(records[0]):
        return pa.Table.from_pylist(records)
    rows = pa.array(records)
    if not pa.types.is_struct(rows.type):
        raise TypeError(f"records of type {rows.type}")
    return pa.Table.from_struct_array(rows)


def decode_records(
    body: bytes, keys: tuple[str, ...], record_type: pa.StructType
) -> tuple[pa.Table, dict[str, Any]] | None:
    """The records under ``keys`` of the JSON document ``body`` as a table of ``record_type``,
    read by Arrow with that type declared, and the rest of the document (what a paginator may
    read: a total, a has-more flag) as Python values; None unless ``body`` is one document
    whose records have exactly that type (a field it lacks, a value of another type, no
    records there)."""
    records_type = pa.list_(record_type)
    declared: pa.DataType = records_type
    for key in reversed(keys[1:]):
        declared = pa.struct([pa.field(key, declared)])
    parse = pa_json.ParseOptions(
        explicit_schema=pa.schema([pa.field(keys[0], declared)]),
        unexpected_field_behavior="infer",
    )
    # one block for the whole body: a document must not straddle two
    read = pa_json.ReadOptions(use_threads=False, block_size=max(len(body) + 1, 1 << 20))
    try:
        parsed = pa_json.read_json(io.BytesIO(body), read_options=read, parse_options=parse)
    except pa.ArrowException:  # not one document of that shape: the usual path says why
        return None
    if parsed.num_rows != 1:
        return None
    document = pa.StructArray.from_arrays(
        [column.combine_chunks() for column in parsed.columns], names=parsed.column_names
    )
    node: pa.Array = document
    for key in keys:
        node = node.field(key)
    if node.type != records_type or node.null_count:
        return None
    return pa.Table.from_struct_array(node.flatten()), _without(document, keys)


def _without(node: pa.StructArray, keys: tuple[str, ...]) -> dict[str, Any]:
    """The only value of ``node`` as Python values, leaving out the field at ``keys``."""
    head, rest = keys[0], keys[1:]
    value: dict[str, Any] = {}
    for index in range(node.type.num_fields):
        name = node.type.field(index).name
        if name != head:
            value[name] = node.field(index)[0].as_py()
        elif rest:
            value[name] = _without(node.field(index), rest)
    return value


def identify_table(table: pa.Table) -> tuple[int, bytes, bytes] | None:
    """``identify`` of a decoded page: its row count, first and last row."""
    if table.num_rows == 0:
        return None
    first, last = table.slice(0, 1).to_pylist()[0], table.slice(table.num_rows - 1).to_pylist()[0]
    return (table.num_rows, orjson.dumps(first), orjson.dumps(last))


def _with_dlt_columns(table: pa.Table) -> pa.Table:
    """Adds dlt's bookkeeping columns when running inside a dlt extract."""
    try:
        load_id = load_package_state()["load_id"]
    except CurrentLoadPackageStateNotAvailable:
        return table
    rows = table.num_rows
    # dlt's row ids: 16 url-safe base64 characters of 12 random bytes, cut from one string
    encoded = base64.b64encode(os.urandom(12 * rows), altchars=b"-_")
    offsets = array.array("i", range(0, 16 * (rows + 1), 16))
    ids = pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(encoded))
    table = table.append_column("_dlt_load_id", pa.repeat(pa.scalar(load_id, pa.string()), rows))
    return table.append_column("_dlt_id", ids)


class ArrowPages:
    """Converts the pages of one resource, remembering the types decided on earlier pages:
    ``prepare`` turns each page into a raw table as it is fetched, ``items`` turns chunks of
    prepared pages into what dlt loads."""

    def __init__(
        self,
        columns: Mapping[str, ColumnHint] | None,
        primary_key: Iterable[str] = (),
        *,
        unique_column: str | None = None,
    ) -> None:
        hints = columns or {}
        self._unique_column = unique_column
        self._unique: UniqueKeys | None = None
        # declared NOT NULL in the Arrow schema too, or dlt warns on every item that the
        # hints differ; a null that arrives anyway still fails the load at the destination
        self._not_null = set(primary_key) | {n for n, h in hints.items() if h.nullable is False}
        self._json = {name for name, hint in hints.items() if hint.data_type == "json"}
        self._types: dict[str, pa.DataType] = {
            name: ARROW_TYPES[hint.data_type]
            for name, hint in hints.items()
            if hint.data_type is not None and hint.data_type in ARROW_TYPES
        }
        self._decided: set[str] = set(self._types)
        self._dicts_only = False
        self._first = True
        self._record_type: pa.StructType | None = None

    @property
    def unique_column(self) -> str | None:
        return self._unique_column

    def prepare(self, records: list[Any]) -> pa.Table | list[Any]:
        """One page as a raw Arrow table, called by the engine as each page is handed on (in
        page order): Arrow holds a buffered page in a fraction of the memory of its dicts.
        Returns the records themselves when they must go the dict way."""
        if self._dicts_only or not records:
            return records
        first, self._first = self._first, False
        try:
            table = _table_of(records)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            # the first page decides for the resource: had it lists, dlt made nested tables of
            # them, which later Arrow pages must not be mixed with
            self._dicts_only = self._dicts_only or first
            return records
        if first and any(_has_list(field.type) for field in table.schema):
            self._dicts_only = True
            return records
        self._learn(table.schema)
        return table

    def _learn(self, schema: pa.Schema) -> None:
        """The record type ``decode`` declares from now on: this page's own types, with the
        types seen earlier for its all-null fields and for the fields it lacks."""
        known = {} if self._record_type is None else {f.name: f.type for f in self._record_type}
        fields = [
            pa.field(f.name, known.get(f.name, f.type) if pa.types.is_null(f.type) else f.type)
            for f in schema
        ]
        fields += [
            pa.field(name, type_) for name, type_ in known.items() if name not in schema.names
        ]
        self._record_type = pa.struct(fields)

    def decode(self, body: bytes, keys: tuple[str, ...]) -> Decoded | None:
        """One page read straight from its JSON ``body`` (records under ``keys``) as the table
        ``prepare`` would make of it; None when it must be parsed and prepared as usual. Safe
        to call from another thread."""
        record_type = self._record_type
        if record_type is None or self._dicts_only:
            return None
        decoded = decode_records(body, keys, record_type)
        if decoded is None:
            return None
        table, document = decoded
        return Decoded(table, table.num_rows, identify_table(table), document)

    def items(self, chunks: Iterable[list[Any]]) -> Iterator[pa.Table | list[Any]]:
        """What dlt is handed for each chunk of prepared pages: their tables joined into one,
        flattened and typed, and the pages that must go the dict way as they are. With a
        ``unique_column``, a record whose key arrived before in this iteration is dropped."""
        if self._unique_column is not None:
            self._unique = UniqueKeys(self._unique_column)
        try:
            for chunk in chunks:
                yield from self._chunk_items(chunk)
        finally:
            self._unique = None  # the keys seen (8 bytes each) are not needed while loading

    def _chunk_items(self, chunk: list[Any]) -> Iterator[pa.Table | list[Any]]:
        tables = [item for item in chunk if isinstance(item, pa.Table)]
        for item in chunk:
            if not isinstance(item, pa.Table) and item:
                yield self._records(item)
        if not tables:
            return
        try:
            joined = [pa.concat_tables(tables, promote_options="permissive")]
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            joined = tables
        for table in joined:
            yield self._finish(table)

    def _finish(self, table: pa.Table) -> pa.Table | list[Any]:
        try:
            typed = self._typed(self._flatten(table))
        except _Unfaithful:
            return self._records(table.to_pylist())
        if self._unique is not None:
            typed = self._unique.table(typed)
        return _with_dlt_columns(typed)

    def _records(self, records: list[Any]) -> list[Any]:
        return records if self._unique is None else self._unique.records(records)

    def _flatten(self, table: pa.Table) -> pa.Table:
        while True:
            names = table.column_names
            structs = [
                i
                for i, field in enumerate(table.schema)
                if pa.types.is_struct(field.type) and names[i] not in self._json
            ]
            if not structs:
                return table
            for index in reversed(structs):
                name = names[index]
                column = table.column(index)
                struct_type = column.type
                table = table.remove_column(index)
                for child in reversed(range(struct_type.num_fields)):
                    child_name = f"{name}{SEPARATOR}{struct_type.field(child).name}"
                    table = table.add_column(index, child_name, pc.struct_field(column, [child]))
            names = table.column_names

    def _typed(self, table: pa.Table) -> pa.Table:
        columns: list[pa.ChunkedArray] = []
        names: list[str] = []
        for name, original in zip(table.column_names, table.columns, strict=True):
            column = _as_json_text(original) if _has_list(original.type) else original
            if pa.types.is_null(column.type) or column.null_count == len(column):
                continue
            if name in self._json:
                columns.append(column)
                names.append(name)
                continue
            wanted = self._types.get(name)
            if wanted is None and name not in self._decided:
                wanted = self._decide(name, column)
            needs_cast = wanted is not None and column.type != wanted
            columns.append(self._cast(column, wanted) if needs_cast else column)
            names.append(name)
        fields = [
            pa.field(name, column.type, nullable=name not in self._not_null)
            for name, column in zip(names, columns, strict=True)
        ]
        return pa.Table.from_arrays(columns, schema=pa.schema(fields))

    def _decide(self, name: str, column: pa.ChunkedArray) -> pa.DataType | None:
        """The type of a column seen for the first time, as dlt would infer it."""
        self._decided.add(name)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            first = column.drop_null()[0].as_py()
            if is_iso_timestamp(str, first):
                self._types[name] = UTC_TIMESTAMP
                return UTC_TIMESTAMP
        self._types[name] = column.type
        return column.type

    @staticmethod
    def _cast(column: pa.ChunkedArray, wanted: pa.DataType) -> pa.ChunkedArray:
        if wanted == UTC_TIMESTAMP and pa.types.is_string(column.type):
            return _to_timestamp(column)
        if pa.types.is_integer(wanted) and pa.types.is_floating(column.type):
            raise _Unfaithful("floats in an integer column")
        try:
            return pc.cast(column, wanted)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise _Unfaithful(str(exc)) from None
