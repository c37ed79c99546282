"""Placeholders in request templates: the ONE mechanism that fills a request from values known
only at run time (a parent's record, an incremental cursor).

A *template* is any string in an endpoint's ``path``, ``params`` (keys and values), ``json``,
``data`` or ``headers``. A placeholder is a ``str.format`` field, ``{name}``, ``{name:spec}``
or ``{name!r}``; ``{{`` and ``}}`` are literal braces. The name is a dotted key, looked up
whole (``{resources.posts.id}`` is the binding named ``resources.posts.id``, not attribute
access), as dlt's ``rest_api`` does. The part before the first dot is its *context*:

``resources``
    ``{resources.<parent>.<field>}`` is filled from each record of the parent resource
    (``field`` a dotted path into the record) and makes the resource a child of ``parent``.
    The older ``params: {x: {type: resolve, resource, field}}`` with ``{x}`` in the path is
    rewritten into this form by ``_normalize``; fixed path parameters (``{section}`` with
    ``params: {section: posts}``) are formatted into the path there too.
``incremental``
    ``{incremental.start_value}``, ``{incremental.end_value}``... available only when the
    endpoint configures ``incremental``; the incremental code supplies their values.

How the pieces meet: ``_normalize`` binds plain path names (``bind_path``); the endpoint
model calls ``check_templates`` with the contexts it configures (an unknown context, an
unbound name, a malformed reference, two parents are each a ``ConfigError`` naming the place);
``references`` tells which parent a resource depends on (``_graph`` checks parents exist and
form no cycle); the engine builds a ``bindings`` mapping (placeholder name -> value) per
request sequence and calls ``render`` on each part.

To add a context (``incremental`` is named here but filled by the incremental code): list
its name in ``CONTEXTS``, let ``EndpointConfig.contexts`` say when an endpoint may use it, and
have the engine put ``<context>.<name>`` keys into the bindings it renders with.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._incremental import INCREMENTAL_VALUES
from ._paths import Path, format_location, suggest

#: every context a placeholder may name; which of them an endpoint may use is its own to say
#: (``EndpointConfig.contexts``)
CONTEXTS = ("resources", "incremental")
#: the endpoint keys whose strings are templates, in the order they are checked
TEMPLATE_KEYS = ("path", "params", "json", "data", "headers")

RESOURCES = "resources"
INCREMENTAL = "incremental"


@dataclass(frozen=True)
class Reference:
    """``{resources.<resource>.<field>}``: a value read from each record of ``resource``."""

    resource: str
    field: str

    @property
    def placeholder(self) -> str:
        return f"{RESOURCES}.{self.resource}.{self.field}"


@dataclass(frozen=True)
class Field:
    """One placeholder as written: its name and the text that rebuilds it."""

    name: str
    spec: str
    conversion: str | None

    def text(self, name: str | None = None) -> str:
        conversion = f"!{self.conversion}" if self.conversion else ""
        spec = f":{self.spec}" if self.spec else ""
        return "{" + (name or self.name) + conversion + spec + "}"


class TemplateError(ValueError):
    """A string is not a valid template (an unmatched brace); the message says why."""


def parse(template: str) -> list[tuple[str, Field | None]]:
    """``template`` as (literal text, placeholder or None) pairs; raises ``TemplateError``."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"{exc} (write {{{{ and }}}} for literal braces)") from None
    return [
        (literal, Field(name, spec or "", conversion) if name is not None else None)
        for literal, name, spec, conversion in parts
    ]


def fields(template: Any) -> Iterator[tuple[Path, Field]]:
    """Every placeholder in the strings of ``template`` (nested dicts and lists, dict keys
    included), with the path to the string that holds it."""
    if isinstance(template, str):
        for _, found in parse(template):
            if found is not None:
                yield (), found
    elif isinstance(template, Mapping):
        for key, value in template.items():
            for where, found in fields(key):
                yield (key, *where), found
            for where, found in fields(value):
                yield (key, *where), found
    elif isinstance(template, list | tuple):
        for index, item in enumerate(template):
            for where, found in fields(item):
                yield (index, *where), found


def context_of(name: str) -> str | None:
    """The context a placeholder name starts with (``resources``), or None for a plain name."""
    head, dot, _ = name.partition(".")
    return head if dot else None


def reference(name: str) -> Reference | None:
    """The ``Reference`` a ``resources.<resource>.<field>`` name means; None when ``name`` is
    not in the ``resources`` context; ``ValueError`` when it is but is malformed."""
    if context_of(name) != RESOURCES:
        return None
    parts = name.split(".", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise ValueError(
            f"placeholder {{{name}}} is malformed: write {{resources.<resource>.<field>}}"
        )
    return Reference(parts[1].strip(), parts[2].strip())


def sites(templates: Mapping[str, Any]) -> Iterator[tuple[Path, Field]]:
    """Every placeholder of an endpoint's templates (``{"path": ..., "params": ...}``) with
    the path to the string that holds it (``("params", "since")``)."""
    for key in TEMPLATE_KEYS:
        for where, found in fields(templates.get(key)):
            yield (key, *where), found


def references(templates: Mapping[str, Any]) -> dict[str, Reference]:
    """Every well-formed ``{resources...}`` reference in an endpoint's templates, by name."""
    found: dict[str, Reference] = {}
    for _, item in sites(templates):
        with contextlib.suppress(ValueError):
            ref = reference(item.name)
            if ref is not None:
                found.setdefault(item.name, ref)
    return found


def check_templates(templates: Mapping[str, Any], contexts: Collection[str]) -> None:
    """Raise ``ValueError("<where>: <what>")`` for the first placeholder an endpoint cannot
    fill: a plain name (only a path binds those, see ``_normalize``), an unknown context, a
    context the endpoint does not configure, a malformed reference; or for references to
    more than one parent."""
    parents: dict[str, Path] = {}
    for where, item in _checked_sites(templates):
        location = format_location(where)
        context = context_of(item.name)
        if context is None:
            raise ValueError(f"{location}: {_unbound(item.name, where)}")
        if context not in CONTEXTS:
            raise ValueError(
                f"{location}: {{{item.name}}} names no known context "
                f"{context!r}{suggest(context, CONTEXTS)}; placeholders start with "
                f"{' or '.join(c + '.' for c in CONTEXTS)}"
            )
        if context not in contexts:
            raise ValueError(
                f"{location}: {{{item.name}}} needs endpoint.{context} to be configured"
            )
        if context == INCREMENTAL and item.name.partition(".")[2] not in INCREMENTAL_VALUES:
            names = ", ".join(f"{{{INCREMENTAL}.{value}}}" for value in INCREMENTAL_VALUES)
            raise ValueError(
                f"{location}: {{{item.name}}} is not a value an incremental has; use {names}"
            )
        try:
            ref = reference(item.name)
        except ValueError as exc:
            raise ValueError(f"{location}: {exc}") from None
        if ref is not None:
            parents.setdefault(ref.resource, where)
    if len(parents) > 1:
        names = " and ".join(f"'{name}'" for name in parents)
        second = format_location(list(parents.values())[1])
        raise ValueError(
            f"{second}: a resource can have one parent, but its placeholders name {names}"
        )


def _checked_sites(templates: Mapping[str, Any]) -> Iterator[tuple[Path, Field]]:
    for key in TEMPLATE_KEYS:
        try:
            yield from (((key, *where), item) for where, item in fields(templates.get(key)))
        except TemplateError as exc:
            raise ValueError(f"{key}: {exc}") from None


def _unbound(name: str, where: Path) -> str:
    if where[0] == "path":
        return (
            f"{{{name}}} is not bound: give params.{name} a value, or write "
            "{resources.<parent>.<field>} to fill it from a parent's records"
        )
    return (
        f"{{{name}}} is not a placeholder restsync can fill: write "
        "{resources.<parent>.<field>} (or {incremental.start_value}), or {{ and }} for "
        "literal braces"
    )


#: the ``type`` values a mapping in ``params`` may have (dlt's ``PARAM_TYPES``)
PARAM_TYPES = ("resolve", "incremental")


class BindError(ValueError):
    """A path parameter that cannot be bound; ``where`` is relative to the endpoint."""

    def __init__(self, where: Path, message: str) -> None:
        super().__init__(message)
        self.where = where


def bind_path(endpoint: dict[str, Any]) -> None:
    """dlt's path binding, on an endpoint dict being normalised (changed in place): a plain
    ``{name}`` in the path is filled from ``params[name]``, which is then removed: a fixed
    value is formatted in, a ``{type: resolve, resource, field}`` becomes
    ``{resources.<resource>.<field>}``. A resolve param the path does not use is refused, as
    dlt refuses it (in a query parameter, ``"{resources.<parent>.<field>}"`` says it)."""
    path = endpoint.get("path")
    params = endpoint.get("params")
    if not isinstance(params, dict):
        params = {}
    if isinstance(path, str):
        try:
            parts = parse(path)
        except TemplateError as exc:
            raise BindError(("path",), str(exc)) from None
        text: list[str] = []
        used: list[str] = []
        for literal, item in parts:
            text.append(_escape(literal))
            if item is None:
                continue
            if context_of(item.name) is not None:
                text.append(item.text())
                continue
            if item.name not in params:
                raise BindError(("path",), _unbound(item.name, ("path",)))
            value = params[item.name]
            if isinstance(value, dict):
                text.append(item.text(_resolved_name(value, item.name)))
            else:
                text.append(_escape(str(value)))
            used.append(item.name)
        endpoint["path"] = "".join(text)
        for name in used:
            params.pop(name, None)
    for name, value in params.items():
        if isinstance(value, dict):
            _check_param_type(value, name)
            if value.get("type") == "resolve":
                raise BindError(
                    ("params", name),
                    f"a resolve param must appear in the path as {{{name}}}; to send a parent's "
                    f'field as a query parameter write "{{resources.{value.get("resource")}.'
                    f'{value.get("field")}}}"',
                )


def _resolved_name(param: dict[str, Any], name: str) -> str:
    _check_param_type(param, name)
    if param.get("type") != "resolve":
        raise BindError(
            ("params", name, "type"),
            f"the path binds {{{name}}} to a param of type {param.get('type')!r}: a path binds "
            "fixed values and 'resolve' params only",
        )
    for key in ("resource", "field"):
        if not isinstance(param.get(key), str) or not param[key].strip():
            raise BindError(("params", name, key), "required, a non-empty string")
    return f"{RESOURCES}.{param['resource'].strip()}.{param['field'].strip()}"


def _check_param_type(param: dict[str, Any], name: str) -> None:
    kind = param.get("type")
    if kind in PARAM_TYPES:
        return
    allowed = ", ".join(map(repr, PARAM_TYPES))
    if kind is None:
        raise BindError(
            ("params", name),
            f"a mapping as a param value needs a type ({allowed}); for a fixed value write "
            "a string, number, boolean or list",
        )
    hint = suggest(kind, PARAM_TYPES) if isinstance(kind, str) else ""
    raise BindError(("params", name, "type"), f"{kind!r} is not allowed{hint}; allowed: {allowed}")


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _WholeKeyFormatter(string.Formatter):
    """``str.format`` that looks a field up by its whole dotted name."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        return kwargs[field_name], field_name


_FORMATTER = _WholeKeyFormatter()


def render(template: Any, bindings: Mapping[str, Any], *, keep_type: bool = False) -> Any:
    """``template`` with every placeholder filled from ``bindings`` (dict keys and nested
    values too; ``{{``/``}}`` become braces). With ``keep_type`` a string that is exactly one
    placeholder becomes the bound value itself (a JSON body keeps a parent's integer id an
    integer), as dlt does for ``json``. Non-string leaves are returned as they are."""
    if isinstance(template, str):
        if keep_type:
            parts = parse(template)
            if len(parts) == 1 and parts[0][0] == "" and parts[0][1] is not None:
                single = parts[0][1]
                if not single.spec and single.conversion is None:
                    return bindings[single.name]
        return _FORMATTER.vformat(template, (), bindings)
    if isinstance(template, Mapping):
        return {
            render(key, bindings, keep_type=keep_type): render(value, bindings, keep_type=keep_type)
            for key, value in template.items()
        }
    if isinstance(template, list | tuple):
        return [render(item, bindings, keep_type=keep_type) for item in template]
    return template


def has_templates(value: Any) -> bool:
    """Whether any string in ``value`` holds a placeholder or an escaped brace (so rendering
    changes it)."""
    if isinstance(value, str):
        return "{" in value or "}" in value
    if isinstance(value, Mapping):
        return any(has_templates(k) or has_templates(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_templates(item) for item in value)
    return False
