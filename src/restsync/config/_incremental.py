"""Incremental loading in the config: the two places dlt's ``rest_api`` accepts it.

* ``endpoint.incremental``: ``cursor_path`` and dlt's ``Incremental`` arguments, plus
  ``start_param`` / ``end_param`` (query parameters that carry the start and end value) and
  ``convert`` (a function applied to those values before they are sent);
* a query parameter of ``type: incremental`` (``params: {"since": {"type": "incremental",
  "cursor_path": "updated_at", "initial_value": ...}}``): that parameter carries the start
  value; an end value is refused there, as dlt refuses it.

Both become an ``IncrementalSpec``: the arguments of the dlt ``Incremental`` that keeps the
cursor (dlt filters rows at the boundaries and stores the state) and where its values go in
the request. ``{incremental.start_value}``-style placeholders in the path, params, json body
or headers are filled at run time by ``restsync.source``. A live ``dlt.sources.incremental``
object in either place is read into these models once, by ``from_live``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

#: the arguments of dlt's ``Incremental`` a config may give, in its constructor's order
INCREMENTAL_ARGS = (
    "cursor_path",
    "initial_value",
    "last_value_func",
    "primary_key",
    "end_value",
    "row_order",
    "allow_external_schedulers",
    "on_cursor_value_missing",
    "lag",
    "range_start",
    "range_end",
)


#: the values an ``{incremental.<name>}`` placeholder may name
INCREMENTAL_VALUES = ("initial_value", "start_value", "last_value", "end_value")


class _IncrementalArgs(BaseModel):
    """dlt's ``IncrementalArgs`` plus ``convert``. Values (``initial_value``, ``end_value``)
    stay as given: a string, a number or a datetime object, compared with the cursor values
    by dlt. ``primary_key`` ``()`` switches dlt's deduplication at the boundary off."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    cursor_path: str
    initial_value: Any = None
    end_value: Any = None
    last_value_func: Literal["min", "max"] | Callable[..., Any] = "max"
    primary_key: str | tuple[str, ...] | None = None
    row_order: Literal["asc", "desc"] | None = None
    allow_external_schedulers: bool | None = None
    on_cursor_value_missing: Literal["raise", "include", "exclude"] = "raise"
    lag: float | None = None
    range_start: Literal["open", "closed"] = "closed"
    range_end: Literal["open", "closed"] = "open"
    convert: Callable[[Any], Any] | None = None

    @model_validator(mode="after")
    def _end_needs_start(self) -> _IncrementalArgs:
        if self.end_value is not None and self.initial_value is None:
            raise ValueError(
                "end_value needs an initial_value: the range to load is initial_value up to "
                "end_value"
            )
        return self

    def dlt_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``dlt.sources.incremental`` (those given, and the rest at
        dlt's defaults)."""
        values = {name: getattr(self, name) for name in INCREMENTAL_ARGS}
        return {name: value for name, value in values.items() if value is not None}


class IncrementalConfig(_IncrementalArgs):
    """``endpoint.incremental``: the cursor, and the query parameters that carry its start
    and end values (either may be left out, e.g. when a placeholder sends the value)."""

    start_param: str | None = None
    end_param: str | None = None


class IncrementalParam(_IncrementalArgs):
    """A query parameter of ``type: incremental``: it carries the start value."""

    type: Literal["incremental"] = "incremental"

    @model_validator(mode="before")
    @classmethod
    def _start_only(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and ("end_value" in value or "end_param" in value):
            raise ValueError(
                "an incremental query parameter carries only the start value: move the "
                "incremental to endpoint.incremental to set end_value (with end_param)"
            )
        return value


@dataclass(frozen=True)
class IncrementalSpec:
    """One endpoint's incremental: the dlt ``Incremental`` arguments, ``convert``, and the
    query parameters that carry the start and end values (None: not sent as a parameter)."""

    args: _IncrementalArgs
    start_param: str | None
    end_param: str | None

    @property
    def convert(self) -> Callable[[Any], Any] | None:
        return self.args.convert


def incremental_spec(
    incremental: IncrementalConfig | None, params: Mapping[str, Any]
) -> IncrementalSpec | None:
    """The incremental of an endpoint: a ``type: incremental`` parameter wins over
    ``endpoint.incremental``, as in dlt. Raises ``ValueError`` for more than one such
    parameter (dlt allows one per endpoint)."""
    bound = [name for name, value in params.items() if isinstance(value, IncrementalParam)]
    if len(bound) > 1:
        raise ValueError(
            f"only one incremental parameter is allowed per endpoint, found {', '.join(bound)}"
        )
    if bound:
        param = params[bound[0]]
        return IncrementalSpec(param, start_param=bound[0], end_param=None)
    if incremental is not None:
        return IncrementalSpec(incremental, incremental.start_param, incremental.end_param)
    return None


def from_live(value: Any) -> dict[str, Any] | None:
    """The config form of a live ``dlt.sources.incremental`` object (its arguments as a dict),
    or None when ``value`` is not one. dlt's ``Incremental`` is imported only here, and only
    when a config holds objects, so reading a plain config never imports it."""
    from dlt.sources import incremental

    if not isinstance(value, incremental):
        return None
    found = {name: getattr(value, name, None) for name in INCREMENTAL_ARGS}
    found["primary_key"] = value.primary_key
    func = found["last_value_func"]
    if func is max or func is min:
        found["last_value_func"] = func.__name__
    return {name: item for name, item in found.items() if item is not None}
