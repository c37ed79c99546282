"""A column of values into a typed Arrow array, as dlt's dict path would type each value.

dlt types a table's column by the first value it receives (``iso_timestamp`` detection and
preferred types included), or by the type the schema holds already (an earlier sync's, a hint
from the config). A later value of another type is coerced into that type by dlt's
``coerce_value``; one that cannot be goes into a variant column (``field__v_text``). That is
per value in dlt; here a column whose values all have the column's own type (the usual case)
becomes an array in one Arrow call, and only a column that mixes types is walked value by
value, through dlt's own functions, so the result is the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from restsync._dlt import (
    VARIANT_FIELD_FORMAT,
    Schema,
    TColumnSchema,
    TDataType,
    autodetect_sc_type,
    coerce_value,
    dlt_json,
    is_complete_column,
    new_column,
    normalize_timezone,
    py_type_to_sc_type,
    type_detections,
)

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

#: the dlt data types a column can have on the fast path, as Arrow types; a column of any
#: other type (decimal, wei, binary, time) sends its page the dict way. A ``json`` column
#: holds its values as JSON text, serialised as dlt's writers serialise them, and only when
#: the resource hints it ``json`` (Arrow text alone would make dlt type it ``text``)
ARROW_TYPES: Mapping[str, pa.DataType] = {
    "json": pa.string(),
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": UTC_TIMESTAMP,
    "date": pa.date32(),
}

#: the one Python type whose values a column of that dlt type takes as they are
_OWN_TYPE: Mapping[str, type] = {"text": str, "bigint": int, "double": float, "bool": bool}

#: the Arrow types whose values have one dlt type, as ``_columnar`` makes its columns
_ARROW_KINDS: Mapping[pa.DataType, str] = {
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.bool_(): "bool",
    pa.string(): "text",
}

#: ISO timestamps with a zone that Arrow parses exactly as dlt does (to the microsecond);
#: other strings in a timestamp column are parsed by dlt, value by value
_ISO_ZONED = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$"


class Unfaithful(Exception):
    """A page that cannot be typed here as dlt would type it: it goes the dict way."""


class ColumnTypes:
    """The data types of one table's columns: those the schema holds, then those decided from
    the first value of each new column. ``arrays`` types one page's columns."""

    def __init__(
        self,
        schema: Schema,
        columns: Mapping[str, TColumnSchema],
        *,
        json_columns: frozenset[str] = frozenset(),
    ) -> None:
        self._schema = schema
        self._detections = type_detections(schema)
        self._json_columns = json_columns
        self._types: dict[str, TDataType] = {}
        self._variants: set[str] = set()
        # naive or coarser timestamps and sized columns: dlt's dict path knows best
        self._unsupported: set[str] = set()
        for name, column in columns.items():
            data_type = column.get("data_type")
            if data_type is None or not is_complete_column(column):
                continue
            if column.get("timezone") is False or column.get("precision") is not None:
                self._unsupported.add(name)
            self._types[name] = data_type

    def arrays(self, columns: Mapping[str, list[Any] | pa.Array]) -> dict[str, pa.Array]:
        """The typed arrays of one page's ``columns`` (Python values, or Arrow arrays of one
        page without lists), variant columns included, leaving out columns without a value,
        as dlt leaves them out. Raises ``Unfaithful``."""
        arrays: dict[str, pa.Array] = {}
        for name, values in columns.items():
            if not isinstance(values, pa.Array):
                self._column(name, values, arrays)
            elif not self._typed_array(name, values, arrays):
                self._column(name, values.to_pylist(), arrays)
        return arrays

    def column_schemas(self, names: Iterable[str]) -> dict[str, TColumnSchema]:
        """dlt's schema of each typed column in ``names``, as its dict path adds the column
        (default hints such as ``parent_key`` included, variant columns marked)."""
        return {
            name: new_column(self._schema, name, self._types[name], variant=name in self._variants)
            for name in names
        }

    def _typed_array(self, name: str, values: pa.Array, arrays: dict[str, pa.Array]) -> bool:
        """Types an Arrow column whose values all have one dlt type without touching them
        one by one; False when they must be (another column type, an odd Arrow type)."""
        if values.null_count == len(values):
            return True
        kind = _ARROW_KINDS.get(values.type)
        if kind is None:
            return False
        data_type = self._types.get(name)
        if data_type is None:
            first = values.drop_null()[0].as_py()
            data_type = self._types[name] = self._infer(name, first)
        self._check(name)
        if data_type == kind:
            arrays[name] = values
            return True
        if data_type == "timestamp" and kind == "text":
            timestamps = _zoned_timestamps(values)
            if timestamps is not None:
                arrays[name] = timestamps
                return True
        return False

    def _column(self, name: str, values: list[Any], arrays: dict[str, pa.Array]) -> None:
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if not kinds:
            return
        data_type = self._types.get(name)
        if data_type is None:
            first = next(value for value in values if value is not None)
            data_type = self._types[name] = self._infer(name, first)
        self._check(name)
        arrow_type = ARROW_TYPES[data_type]
        if kinds == {_OWN_TYPE.get(data_type)}:
            try:
                arrays[name] = pa.array(values, arrow_type)
                return
            except (OverflowError, pa.ArrowException):
                pass  # integers beyond 64 bits: dlt's way below decides what becomes of them
        if data_type == "timestamp" and kinds == {str}:
            timestamps = _zoned_timestamps(values)
            if timestamps is not None:
                arrays[name] = timestamps
                return
        self._by_value(name, data_type, values, arrays)

    def _by_value(
        self, name: str, data_type: TDataType, values: list[Any], arrays: dict[str, pa.Array]
    ) -> None:
        """dlt's per-value coercion: each value into the column's type, else into the variant
        column of the value's own type."""
        typed: list[Any] = [None] * len(values)
        variants: dict[str, list[Any]] = {}
        naming = self._schema.naming
        own = _OWN_TYPE.get(data_type)
        for index, value in enumerate(values):
            if value is None:
                continue
            if type(value) is own:  # dlt's coercion keeps a value of the column's own type
                typed[index] = value
                continue
            value_type = py_type_to_sc_type(type(value))
            try:
                typed[index] = _coerce(data_type, value_type, value)
            except (ValueError, SyntaxError):
                variant = naming.shorten_fragments(name, VARIANT_FIELD_FORMAT % value_type)
                variant_type = self._types.get(variant)
                if variant_type is None:
                    variant_type = self._types[variant] = self._infer(variant, value, skip=True)
                    self._variants.add(variant)
                try:
                    coerced = _coerce(variant_type, value_type, value)
                except (ValueError, SyntaxError):
                    raise Unfaithful(f"{value!r} fits neither {name!r} nor {variant!r}") from None
                variants.setdefault(variant, [None] * len(values))[index] = coerced
        for column, column_values in ((name, typed), *variants.items()):
            self._check(column)
            arrow_type = ARROW_TYPES[self._types[column]]
            if any(value is not None for value in column_values):
                try:
                    arrays[column] = pa.array(column_values, arrow_type)
                except (OverflowError, pa.ArrowException) as exc:
                    raise Unfaithful(f"column {column!r}: {exc}") from None

    def _check(self, name: str) -> None:
        """Raises ``Unfaithful`` unless column ``name`` can be made here as dlt makes it."""
        data_type = self._types[name]
        if name in self._unsupported or data_type not in ARROW_TYPES:
            raise Unfaithful(f"column {name!r} of type {data_type}")
        if data_type == "json" and name not in self._json_columns:
            raise Unfaithful(f"column {name!r} of type json without a json hint")

    def _infer(self, name: str, value: Any, *, skip: bool = False) -> TDataType:
        """dlt's type for a new column whose first value is ``value`` (``skip``: without the
        schema's preferred types, as dlt infers a variant column)."""
        kind = type(value)
        found = autodetect_sc_type(self._detections, kind, value) or py_type_to_sc_type(kind)
        preferred = None if skip else self._schema.get_preferred_type(name)
        return preferred or found


def _coerce(data_type: TDataType, value_type: TDataType, value: Any) -> Any:
    coerced = coerce_value(data_type, value_type, value)
    if callable(coerced):  # a value dlt recovers into a variant of its own (wei): rare
        raise Unfaithful(f"{value!r} recovered as a variant")
    if data_type == "timestamp":
        return normalize_timezone(coerced, True)
    if data_type == "json":
        return dlt_json.dumps(coerced)
    return coerced


def _zoned_timestamps(values: list[Any] | pa.Array) -> pa.Array | None:
    """The strings as UTC timestamps when every one is an ISO timestamp with a zone (parsed by
    Arrow), else None."""
    strings = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    if not pc.all(pc.match_substring_regex(strings, _ISO_ZONED)).as_py():
        return None
    try:
        return pc.cast(strings, UTC_TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
