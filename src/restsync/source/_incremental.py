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
  it out;
* ``{incremental.start_value}``, ``{incremental.end_value}``, ``{incremental.last_value}``
  and ``{incremental.initial_value}`` placeholders in the path, params, headers, json body
  and form body, as dlt's ``rest_api`` fills them (``convert`` applied; in the json body a
  value that is one placeholder alone keeps its type). Other placeholders are left for the
  engine.

Every page is still fetched by the engine, concurrently: the values are fixed for the run.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

import dlt

from restsync._dlt import JsonIncremental
from restsync._exceptions import ConfigError
from restsync.config import EndpointConfig, IncrementalSpec, ResourceConfig

Incremental = dlt.sources.incremental

_CONTEXT = "incremental"
_VALUES = ("initial_value", "start_value", "last_value", "end_value")
_FORMATTER = string.Formatter()


def make_incremental(spec: IncrementalSpec) -> Incremental[Any]:
    """The dlt ``Incremental`` an endpoint's incremental describes."""
    return Incremental(**spec.args.dlt_arguments())


def bind_resource(
    resource: ResourceConfig, incremental: Incremental[Any] | None, *, index: int
) -> ResourceConfig:
    """``resource`` (``resources[index]``) with its incremental's values in its requests:
    ``incremental`` as dlt bound it for this run, or None when dlt did not (a parent fetched
    only for its children): then the configured ``initial_value`` and ``end_value`` are
    sent."""
    spec = resource.endpoint.incremental_spec()
    if spec is None:
        return resource
    values = _Values(f"resources[{index}].endpoint", spec, incremental)
    endpoint = _bind_endpoint(resource.endpoint, spec, values)
    return resource.model_copy(update={"endpoint": endpoint})


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

    def __init__(
        self, location: str, spec: IncrementalSpec, incremental: Incremental[Any] | None
    ) -> None:
        self.location = location
        self.spec = spec
        self.incremental = incremental
        if incremental is None:
            args = spec.args
            raw = {
                "initial_value": args.initial_value,
                "start_value": args.initial_value,
                "last_value": args.initial_value,
                "end_value": args.end_value,
            }
        else:
            raw = {name: getattr(incremental, name) for name in _VALUES}
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

    def lookup(self, field: str) -> Any:
        """The value of an ``incremental.<name>`` placeholder: one of the four values, else
        an attribute of the bound ``Incremental`` (dlt formats with the object itself)."""
        name = field.removeprefix(f"{_CONTEXT}.")
        if name in self.placeholders:
            return self.placeholders[name]
        try:
            value, _ = _FORMATTER.get_field(field, (), {_CONTEXT: self.incremental})
        except (AttributeError, KeyError, IndexError) as exc:
            raise ConfigError(
                f"placeholder {{{field}}} names nothing an incremental has; use one of "
                + ", ".join(f"{{incremental.{n}}}" for n in _VALUES),
                location=self.location,
            ) from exc
        return value


def _bind_endpoint(
    endpoint: EndpointConfig, spec: IncrementalSpec, values: _Values
) -> EndpointConfig:
    """``endpoint`` with the incremental's values in place (see the module docstring)."""
    params: dict[str, Any] = {}
    for name, value in endpoint.params.items():
        if name == spec.start_param:
            continue
        params[_fill(name, values)] = _fill(value, values) if isinstance(value, str) else value
    for param, value in ((spec.start_param, values.start), (spec.end_param, values.end)):
        if param is not None and value is not None:
            params[param] = value if isinstance(value, str) else str(value)
    update: dict[str, Any] = {
        "path": _fill(endpoint.path, values),
        "params": params,
        "headers": {_fill(k, values): _fill(v, values) for k, v in endpoint.headers.items()},
        "json_body": _fill_json(endpoint.json_body, values),
        "data": _fill_data(endpoint.data, values),
    }
    return endpoint.model_copy(update=update)


def _fill_data(data: Any, values: _Values) -> Any:
    """A form (mapping) or raw (string) body with its placeholders filled, as dlt fills them."""
    if isinstance(data, str):
        return _fill(data, values)
    if isinstance(data, Mapping):
        return {
            _fill(str(k), values): _fill(v, values) if isinstance(v, str) else v
            for k, v in data.items()
        }
    return data


def _fill_json(value: Any, values: _Values) -> Any:
    if isinstance(value, str):
        whole = _only_placeholder(value)
        if whole is not None:
            return values.lookup(whole)
        return _fill(value, values)
    if isinstance(value, Mapping):
        return {_fill(str(k), values): _fill_json(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill_json(item, values) for item in value]
    return value


def _only_placeholder(text: str) -> str | None:
    """The field of ``text`` when it is exactly one incremental placeholder (no text around,
    no conversion or format spec)."""
    parsed = list(_FORMATTER.parse(text))
    if len(parsed) != 1:
        return None
    literal, field, spec, conversion = parsed[0]
    if literal or not field or spec or conversion or not _is_incremental(field):
        return None
    return field


def _is_incremental(field: str) -> bool:
    return field.split(".", 1)[0].split("[", 1)[0] == _CONTEXT


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _fill(text: str, values: _Values) -> str:
    """``text`` with its incremental placeholders filled; everything else, other placeholders
    and escaped braces included, stays as written for the engine's own pass."""
    if "{" not in text and "}" not in text:
        return text
    out: list[str] = []
    for literal, field, spec, conversion in _FORMATTER.parse(text):
        out.append(_escape(literal))
        if field is None:
            continue
        if not _is_incremental(field):
            out.append("{" + field + (f"!{conversion}" if conversion else ""))
            out.append((f":{spec}" if spec else "") + "}")
            continue
        value = values.lookup(field)
        value = _FORMATTER.convert_field(value, conversion)
        out.append(_escape(_FORMATTER.format_field(value, spec or "")))
    return "".join(out)
