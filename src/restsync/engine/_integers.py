"""Integers beyond 64 bits in a page's records: loaded exactly where the resource declares
their column ``decimal`` or ``text``, else a ``ResponseError`` that says which field holds one
and what to declare.

JSON numbers have no size limit, but dlt's are 64-bit: it writes what it extracts with orjson
(which refuses such an integer), infers ``bigint`` for an integer column, and its Arrow writer
refuses one beyond 64 bits ("Python int too large to convert to C long"). Declaring the
column is not enough on its own, as dlt writes the record before it applies the column's type;
restsync therefore hands dlt the value as a ``Decimal`` (``decimal``) or a string (``text``),
which dlt writes, types and loads exactly. A declaration reaches the resource's own table,
where the record's fields (and those of objects inside it, ``meta__id``) are columns; a field
inside a list goes to a nested table, which it does not reach.

The error is raised while extracting, so nothing of the run is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from restsync._dlt import NamingConvention
from restsync._exceptions import ResponseError

from ._resource import ResourceRun

#: the integers dlt loads as they are (its ``bigint`` is a signed 64-bit integer)
INT64 = range(-(2**63), 2**63)

#: dlt's default decimal precision and scale, where a hint names neither
DECIMAL_PRECISION, DECIMAL_SCALE = 38, 9

_NAMING = NamingConvention()

#: a run of digits that may be beyond a signed 64-bit integer (2**63 has 19)
_WIDE_DIGITS = re.compile(rb"[0-9]{19,}")

#: every digit as "0", so that ``bytes.find`` finds a run of digits: a tenth of the time a
#: regex takes over a body (1 ms a MB, where orjson parses it in 4)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN_DIGITS = b"0" * 19


def has_long_digit_run(content: bytes) -> bool:
    """Whether a body holds a run of 19 digits or more: the only place an integer beyond 64
    bits can be. Nearly every body holds none, and is then read without a regex."""
    return content.translate(_DIGITS_AS_ZERO).find(_NINETEEN_DIGITS) >= 0


#: where a value sits in a record: object keys, ``None`` for a list's element
Path = tuple[str | None, ...]


def may_hold_wide_integers(content: bytes) -> bool:
    """Whether a body holds a run of digits beyond 64 bits (in a number, or in a string): the
    test before its records are looked through, for a body ``has_long_digit_run``."""
    for match in _WIDE_DIGITS.finditer(content):
        digits = match.group()
        if len(digits) > 19 or int(digits) not in INT64:
            return True
    return False


def _wide(value: Any, path: Path) -> Iterator[tuple[Path, Any, Any, int]]:
    """(path, container, key or index, value) of each integer beyond 64 bits in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if type(item) is int and item not in INT64:
                yield (*path, key), value, key, item
            elif isinstance(item, dict | list):
                yield from _wide(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if type(item) is int and item not in INT64:
                yield (*path, None), value, index, item
            elif isinstance(item, dict | list):
                yield from _wide(item, (*path, None))


def _column(path: Path) -> str | None:
    """The column of the resource's table a field at ``path`` lands in (dlt joins the keys of
    nested objects with ``__``); ``None`` inside a list (a nested table)."""
    if None in path:
        return None
    return "__".join(_NAMING.normalize_identifier(key) for key in path if key is not None)


def _declared(resource: ResourceRun) -> dict[str, tuple[str, int]]:
    """The resource's columns declared ``decimal`` or ``text``: their type and how many digits
    they hold before the decimal point (any number for ``text``)."""
    declared: dict[str, tuple[str, int]] = {}
    for name, hint in (resource.config.columns or {}).items():
        if hint.data_type == "text":
            declared[_NAMING.normalize_path(name)] = ("text", 0)
        elif hint.data_type == "decimal":
            extra = hint.model_extra or {}
            precision = int(extra.get("precision") or DECIMAL_PRECISION)
            scale = extra.get("scale")
            scale = DECIMAL_SCALE if scale is None else int(scale)
            declared[_NAMING.normalize_path(name)] = ("decimal", precision - scale)
    return declared


def _shown(value: int) -> str:
    """``value`` as the message shows it: a very long one shortened, its digits counted."""
    text = str(value)
    if len(text) <= 40:
        return text
    return f"{text[:20]}...{text[-8:]} ({len(text.lstrip('-'))} digits)"


def settle_wide_integers(records: list[Any], resource: ResourceRun, url: str) -> None:
    """Turns each integer beyond 64 bits in ``records`` (in place) into what its declared
    column loads exactly; raises ``ResponseError`` for one whose column is not declared so, or
    too narrow for it."""
    declared: dict[str, tuple[str, int]] | None = None
    for record in records:
        for path, container, key, value in _wide(record, ()):
            if declared is None:
                declared = _declared(resource)
            field = ".".join("[]" if part is None else part for part in path)
            column = _column(path)
            kind, digits = declared.get(column, ("", 0)) if column is not None else ("", 0)
            width = len(str(abs(value)))
            if kind == "text":
                container[key] = str(value)
                continue
            if kind == "decimal" and width <= digits:
                container[key] = Decimal(value)
                continue
            raise ResponseError(
                f"field '{field}' holds {_shown(value)}, an integer beyond 64 bits, which dlt "
                f"cannot load as a number; nothing of '{resource.name}' is loaded",
                resource=resource.name,
                url=url,
                hint=_advice(column, kind, digits, width),
            )


def _advice(column: str | None, kind: str, digits: int, width: int) -> str:
    """What makes such a value load, given what its column is declared as now."""
    if column is None:
        return (
            "the field is inside a list, so it lands in a nested table, which the resource's "
            "columns do not reach: drop or convert it with a processing step (map), or ask the "
            "API's owner"
        )
    if kind == "decimal":
        return (
            f"the decimal column '{column}' holds {digits} digits before the point, the value "
            f"has {width}: raise its precision (with scale 0 it holds precision digits; DuckDB "
            f"goes up to 38), or declare it {{data_type: text}}"
        )
    wide_enough = f"(exact up to {DECIMAL_PRECISION - DECIMAL_SCALE} digits)"
    return (
        f"declare the column in the resource's columns, as `{column}: {{data_type: decimal}}` "
        f"{wide_enough} or `{column}: {{data_type: text}}`"
    )
