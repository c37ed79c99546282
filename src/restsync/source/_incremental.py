"""Incremental loading: dlt keeps the cursor, restsync puts its values into the requests.

A resource whose endpoint has an incremental (``endpoint.incremental`` or a ``type:
incremental`` parameter, see ``restsync.config._incremental``) gets a dlt ``Incremental`` as
the default of its resource function's argument, as dlt's ``rest_api`` attaches it. dlt binds
it to the resource before the extract starts, reading the stored state; it filters the rows
the resource yields (dropping those outside the range and those already loaded at the start
boundary) and stores the new state with the load package, so the state advances only with a
committed load. restsync reads the bound values once, before the first request, and sends:

* the start value (``last_value``, lag applied) in ``start_param`` or the ``type:
  incremental`` parameter, the end value in ``end_param``, each through ``convert`` when
  given; a parameter whose value is None is not sent, as ``requests`` (dlt's client) leaves
  it out (``bind_resource``);
* the values of the ``{incremental.start_value}``, ``{incremental.end_value}``,
  ``{incremental.last_value}`` and ``{incremental.initial_value}`` placeholders, ``convert``
  applied, which the engine fills in like every placeholder (``bindings``).

Every page is still fetched by the engine, concurrently: the values are fixed for the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dlt

from restsync._dlt import JsonIncremental
from restsync.config import INCREMENTAL_VALUES, EndpointConfig, IncrementalSpec, ResourceConfig

Incremental = dlt.sources.incremental

_CONTEXT = "incremental"


def make_incremental(spec: IncrementalSpec) -> Incremental[Any]:
    """The dlt ``Incremental`` an endpoint's incremental describes."""
    return Incremental(**spec.args.dlt_arguments())


def bind_resource(resource: ResourceConfig, incremental: Incremental[Any] | None) -> ResourceConfig:
    """``resource`` with its incremental's start and end values in its query parameters:
    ``incremental`` as dlt bound it for this run, or None when dlt did not (a parent fetched
    only for its children): then the configured ``initial_value`` and ``end_value`` are
    sent."""
    spec = resource.endpoint.incremental_spec()
    if spec is None:
        return resource
    endpoint = _bind_params(resource.endpoint, spec, _Values(spec, incremental))
    return resource.model_copy(update={"endpoint": endpoint})


def bindings(resource: ResourceConfig, incremental: Incremental[Any] | None) -> dict[str, Any]:
    """The values of ``resource``'s ``{incremental.<name>}`` placeholders (none when it has
    no incremental); ``incremental`` as for ``bind_resource``."""
    spec = resource.endpoint.incremental_spec()
    if spec is None:
        return {}
    placeholders = _Values(spec, incremental).placeholders
    return {f"{_CONTEXT}.{name}": value for name, value in placeholders.items()}


def kept_rows(incremental: Incremental[Any]) -> Callable[[list[Any]], list[Any]]:
    """The rows of each page, in page order, that the bound ``incremental`` will let through:
    what a parent's children are fed, since dlt hands a transformer only the rows its parent
    yields. A transform of dlt's own, started from the same state as the one dlt runs on the
    parent's rows (which it does not touch), decides row by row as that one does: rows out of
    the range and rows already loaded at the start boundary are left out."""
    state = incremental.get_state()
    name, func = incremental.resource_name, incremental.last_value_func
    assert name is not None, "the incremental is bound by now"
    assert func is not None
    transform = JsonIncremental(
        name,
        incremental.cursor_path,
        incremental.initial_value,
        incremental.start_value,
        incremental.end_value,
        func,
        incremental.primary_key,
        set(state["unique_hashes"]),
        incremental.on_cursor_value_missing,
        incremental.lag,
        incremental.range_start,
        incremental.range_end,
    )

    def keep(rows: list[Any]) -> list[Any]:
        return [row for row in rows if transform(row)[0] is not None]

    return keep


class _Values:
    """The incremental's values as dlt's ``rest_api`` exposes them to a request."""

    def __init__(self, spec: IncrementalSpec, incremental: Incremental[Any] | None) -> None:
        self.spec = spec
        if incremental is None:
            args = spec.args
            raw = {
                "initial_value": args.initial_value,
                "start_value": args.initial_value,
                "last_value": args.initial_value,
                "end_value": args.end_value,
            }
        else:
            raw = {name: getattr(incremental, name) for name in INCREMENTAL_VALUES}
        convert = spec.convert
        # as dlt: a value sent as a parameter goes through convert even when it is None, a
        # placeholder's only when it is not
        self.start = self._sent(spec.start_param, raw["last_value"])
        self.end = self._sent(spec.end_param, raw["end_value"])
        self.placeholders = {
            name: (convert(value) if convert and value is not None else value)
            for name, value in raw.items()
        }

    def _sent(self, param: str | None, value: Any) -> Any:
        convert = self.spec.convert
        return None if param is None else convert(value) if convert else value


def _bind_params(
    endpoint: EndpointConfig, spec: IncrementalSpec, values: _Values
) -> EndpointConfig:
    """``endpoint`` with the start and end values in their query parameters."""
    params = {name: value for name, value in endpoint.params.items() if name != spec.start_param}
    for param, value in ((spec.start_param, values.start), (spec.end_param, values.end)):
        if param is not None and value is not None:
            params[param] = value if isinstance(value, str) else str(value)
    return endpoint.model_copy(update={"params": params})
