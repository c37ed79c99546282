"""``since`` / ``until`` filters: the server side of incremental loading.

An endpoint with an incremental (``endpoint.incremental`` or a ``type: incremental`` query
parameter) is served by the emulator as an API with a cursor filter: the parameter that carries
the start value keeps the records whose cursor field is at or after it, the one that carries the
end value those before it, as most APIs' ``since`` / ``updated_after`` and ``until`` parameters
do. The parameters are found in the config: ``start_param`` / ``end_param``, the ``type:
incremental`` parameter, or a parameter whose value is an ``{incremental.start_value}``,
``{incremental.last_value}`` or ``{incremental.end_value}`` placeholder.

Values compare as the API would: numbers as numbers, ISO timestamps as instants (a number
sent for a timestamp field is read as Unix seconds, as a ``convert`` to epoch seconds sends
it), other text as text. Pagination then runs over the matching records only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from restsync.config import ResourceConfig

from ._paths import key_path

_START = re.compile(r"\{incremental\.(start_value|last_value)\}")
_END = re.compile(r"\{incremental\.end_value\}")


@dataclass(frozen=True)
class CursorFilter:
    """Which query parameters bound a route's records, and by which field."""

    field: tuple[str, ...]
    start_param: str | None
    end_param: str | None
    initial_value: Any
    end_value: Any

    def from_query(self, query: Mapping[str, str]) -> tuple[Any, Any] | None:
        """The (start, end) a request asks for; None when it sends neither."""
        start = query.get(self.start_param) if self.start_param else None
        end = query.get(self.end_param) if self.end_param else None
        if start is None and end is None:
            return None
        return start, end

    def select(self, records: Sequence[dict[str, Any]], start: Any, end: Any) -> list[Any]:
        """The records whose cursor is at or after ``start`` and before ``end`` (either may
        be None: unbounded); a record without the field is kept, as APIs do not filter on
        what they do not have."""
        kept: list[Any] = []
        for record in records:
            value = _get(record, self.field)
            if value is None:
                kept.append(record)
                continue
            if start is not None and _compare(value, start) < 0:
                continue
            if end is not None and _compare(value, end) >= 0:
                continue
            kept.append(record)
        return kept


def cursor_filter(resource: ResourceConfig, where: str) -> CursorFilter | None:
    """The filter the endpoint of ``resource`` implies, or None when it has no incremental."""
    endpoint = resource.endpoint
    spec = endpoint.incremental_spec()
    if spec is None:
        return None
    start, end = spec.start_param, spec.end_param
    for name, value in endpoint.params.items():
        if isinstance(value, str) and _START.search(value):
            start = start or name
        elif isinstance(value, str) and _END.search(value):
            end = end or name
    return CursorFilter(
        field=key_path(spec.args.cursor_path, location=f"{where}.incremental.cursor_path"),
        start_param=start,
        end_param=end,
        initial_value=spec.args.initial_value,
        end_value=spec.args.end_value,
    )


def _get(record: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = record
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _compare(value: Any, bound: Any) -> int:
    """-1, 0 or 1 as the record's ``value`` is before, at or after ``bound`` (a query string
    or a configured value)."""
    left, right = _comparable(value), _comparable(bound, like=value)
    if type(left) is not type(right):
        left, right = str(value), str(bound)
    return (left > right) - (left < right)


def _comparable(value: Any, like: Any = None) -> Any:
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    reference = like if like is not None else value
    if isinstance(reference, int | float) and not isinstance(reference, bool):
        try:
            return float(text)
        except ValueError:
            return text
    try:
        return _instant(datetime.fromisoformat(text))
    except ValueError:
        pass
    if isinstance(reference, str) and _looks_like_time(reference):
        try:
            return float(text)  # Unix seconds sent for a timestamp field
        except ValueError:
            return text
    return text


def _looks_like_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _instant(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
