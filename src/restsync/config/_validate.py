"""Validation: a normalised config becomes a ``SourceConfig``, or ONE short ``ConfigError``.

Pydantic reports every failed union member and speaks in the model's terms. This module turns
its errors into at most three problems in the user's terms:

* union branch tags (``page_number``, ``str``, ``ResolveParam``) are dropped from locations and,
  for plain unions, only the branch that fits the value best is reported;
* locations are mapped back through ``Normalized.origins`` (``start_from_page``,
  ``resource_defaults.write_disposition``) and keep the user's resource index;
* each problem says the bad value (shortened; masked under credential keys), what is allowed
  and, for misspellings, what was probably meant;
* every secret value is scrubbed from the final text as a last line of defence.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from restsync._exceptions import ConfigError
from restsync._urls import mask_url_credentials

from ._credentials import with_dlt_credentials
from ._models import AUTH_TYPES, PAGINATOR_TYPES, SourceConfig
from ._normalize import DIALECT_KEYS, TOP_LEVEL_KEYS, Normalized, normalize_tracked
from ._paths import Path, format_location, is_secret_key, parse_location, suggest

MAX_PROBLEMS = 3

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "none_required": "null",
}
_TYPE_HINTS = {"paginator": PAGINATOR_TYPES, "auth": AUTH_TYPES}
_UNSUPPORTED_TYPES: dict[str, str] = {}
_MAX_VALUE_CHARS = 40


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config: where (user's terms) and what."""

    path: Path
    detail: str

    @property
    def location(self) -> str:
        return format_location(self.path)


def validate(
    raw: Mapping[str, Any],
    *,
    secrets: Mapping[str, str] | None = None,
    dlt_resources: bool = False,
    section: str | None = None,
    name: str | None = None,
) -> SourceConfig:
    """Normalise and validate a user's config dict; raise one ConfigError if it is invalid.
    ``dlt_resources``: whether ``resources`` may list dlt resources (``normalize_tracked``);
    ``section`` and ``name`` are the dlt source's, under which dlt's config providers are
    asked for what an auth leaves out (``with_dlt_credentials``)."""
    raw = with_dlt_credentials(raw, section=section, name=name)
    normalized = normalize_tracked(raw, secrets=secrets, dlt_resources=dlt_resources)
    return validate_normalized(normalized)


def validate_normalized(normalized: Normalized) -> SourceConfig:
    """Validate an already normalised config (see ``normalize_tracked``)."""
    try:
        config = SourceConfig.model_validate(normalized.data)
    except ValidationError as exc:
        # Not chained: pydantic's own text quotes input values, credentials included.
        raise config_error(exc, normalized) from None
    return config.with_secrets(normalized.secret_values)


def config_error(exc: ValidationError, normalized: Normalized) -> ConfigError:
    """The one ConfigError that explains ``exc`` in the user's terms."""
    problems = problems_from(exc.errors(include_url=False), normalized)
    if not problems:  # pragma: no cover - pydantic always reports at least one error
        problems = [Problem((), "the config is invalid")]
    first = problems[0]
    text = first.detail
    for problem in problems[1:MAX_PROBLEMS]:
        text += f"\n  also {problem.location or 'config'}: {problem.detail}"
    hidden = len(problems) - MAX_PROBLEMS
    if hidden > 0:
        text += f"\n  ({hidden} more problem{'s' if hidden > 1 else ''} not shown)"
    return ConfigError(
        _scrub(text, normalized.secret_values),
        location=_scrub(first.location, normalized.secret_values),
    )


def problems_from(errors: list[ErrorDetails], normalized: Normalized) -> list[Problem]:
    """Pydantic errors -> distinct problems in the user's terms, in the order pydantic found
    them, with the losing branches of plain unions dropped."""
    located = [_Located.of(error) for error in errors]
    located = _drop_consequential(_best_branches(located))
    problems: list[Problem] = []
    for item in located:
        problem = _describe(item, normalized)
        if problem not in problems:
            problems.append(problem)
    return problems


# --- where an error is ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Located:
    error: ErrorDetails
    path: Path  # the real place in the normalised data: no union tags
    site: Path | None  # where the first plain union was crossed; its branches are alternatives
    branch: str | None
    owner: type[BaseModel] | None  # the model whose field the last path element names

    @classmethod
    def of(cls, error: ErrorDetails) -> _Located:
        """Walk the model's types along pydantic's location to tell keys from union tags."""
        kind: Any = SourceConfig
        path: list[str | int] = []
        site: Path | None = None
        branch: str | None = None
        owner: type[BaseModel] | None = None
        for part in error["loc"]:
            kind = _unwrap(kind)
            if _is_union(kind) and isinstance(part, str):
                members = [_unwrap(member) for member in get_args(kind)]
                chosen, discriminated = _member_for_tag(members, part)
                if not discriminated and site is None:
                    site, branch = tuple(path), part
                kind = chosen
                continue
            path.append(part)
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                owner = kind
                field = _model_field(kind, part)
                kind = field.annotation if field is not None else None
            elif get_origin(kind) is dict:
                kind = get_args(kind)[1]
            elif get_origin(kind) in (tuple, list):
                kind = (get_args(kind) or (None,))[0]
            else:
                kind = None
        return cls(error, tuple(path), site, branch, owner)

    @property
    def rank(self) -> int:
        """How well the value fits this error's branch: 0 it reached inside the branch (a
        mapping checked field by field), 1 right type but bad value, 2 wrong type."""
        if self.site is not None and len(self.path) > len(self.site):
            return 0
        return 2 if self.error["type"] in _TYPE_NAMES else 1


def _unwrap(kind: Any) -> Any:
    while True:
        if get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        elif _is_union(kind):
            members = [member for member in get_args(kind) if member is not type(None)]
            if len(members) != 1:
                return kind
            kind = members[0]
        else:
            return kind


def _is_union(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType)


def _member_for_tag(members: list[Any], tag: str) -> tuple[Any, bool]:
    """The union member a pydantic location tag names, and whether the union is discriminated
    (tagged by the ``type`` value) rather than a plain union (tagged by the member's name)."""
    # a model with validators is tagged "function-after[_check(), Model]": the last name
    named = re.findall(r"\w+", tag)[-1] if re.search(r"\w", tag) else tag
    for member in members:
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get("type")
            if (
                field is not None
                and get_origin(field.annotation) is Literal
                and tag in get_args(field.annotation)
            ):
                return member, True
            if member.__name__ == named:
                return member, False
    return None, False


def _model_field(model: type[BaseModel], name: str | int) -> Any:
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias):
            return field
    return None


def _field_names(model: type[BaseModel]) -> list[str]:
    # required keys first: the ones a reader looks for
    fields = sorted(model.model_fields.items(), key=lambda item: not item[1].is_required())
    names = [field.alias or name for name, field in fields]
    if model is SourceConfig:
        names = list(TOP_LEVEL_KEYS)
    return names + list(DIALECT_KEYS.get(model.__name__, ()))


# --- choosing among union branches ------------------------------------------------------------


def _best_branches(located: list[_Located]) -> list[_Located]:
    """For each plain-union site keep only the best-fitting branch; if every branch merely had
    the wrong type, merge them into one 'must be X or Y' error."""
    by_site: dict[Path, dict[str, list[_Located]]] = {}
    for item in located:
        if item.site is not None and item.branch is not None:
            by_site.setdefault(item.site, {}).setdefault(item.branch, []).append(item)
    keep: dict[int, _Located] = {}
    for branches in by_site.values():
        ranked = sorted(branches.values(), key=lambda errs: (min(e.rank for e in errs), len(errs)))
        best = ranked[0]
        if min(e.rank for e in best) == 2 and len(ranked) > 1:
            expected = _join_choices([_TYPE_NAMES[errs[0].error["type"]] for errs in ranked])
            first = best[0]
            merged_error = dict(first.error)
            merged_error["type"] = "restsync_union_type"
            merged_error["msg"] = f"must be {expected}"
            keep[id(first)] = _Located(
                merged_error,  # type: ignore[arg-type]
                first.site or first.path,
                None,
                None,
                first.owner,
            )
        else:
            for item in best:
                keep[id(item)] = item
    result: list[_Located] = []
    for item in located:
        if item.site is None:
            result.append(item)
        elif id(item) in keep:
            result.append(keep[id(item)])
    return result


def _drop_consequential(located: list[_Located]) -> list[_Located]:
    """A tuple 'too short' because its only item failed says nothing the item's error does not."""
    return [
        item
        for item in located
        if not (
            item.error["type"] in ("too_short", "too_long")
            and any(
                other.path[: len(item.path)] == item.path and len(other.path) > len(item.path)
                for other in located
            )
        )
    ]


def _join_choices(choices: list[str]) -> str:
    unique = list(dict.fromkeys(choices))
    if len(unique) == 1:
        return unique[0]
    return f"{', '.join(unique[:-1])} or {unique[-1]}"


# --- what the error says ----------------------------------------------------------------------


def _describe(item: _Located, normalized: Normalized) -> Problem:
    error = item.error
    kind = error["type"]
    path = item.path
    value = error.get("input")
    masked = any(is_secret_key(part) for part in path) or _is_secret(value, normalized)
    shown = "a secret value (not shown)" if masked else _short(value)

    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = _field_names(item.owner) if item.owner is not None else []
        hint = suggest(key, allowed)
        detail = f"unknown key {key!r}" + (
            hint if hint else f"; allowed: {', '.join(allowed)}" if allowed else ""
        )
    elif kind == "missing":
        detail = "required, but not given"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        path = (*path, "type")
        detail = _type_detail(error, str(item.path[-1]) if item.path else "")
    elif kind == "literal_error":
        allowed = re.findall(r"'((?:[^'\\]|\\.)*)'", str(error.get("ctx", {}).get("expected", "")))
        hint = suggest(value, allowed) if isinstance(value, str) and not masked else ""
        detail = f"{shown} is not allowed{hint}; allowed: {', '.join(map(repr, allowed))}"
    elif kind in ("value_error", "assertion_error"):
        message = re.sub(r"^(Value|Assertion) error, ", "", error["msg"])
        embedded, _, rest = message.partition(": ")
        embedded_path = parse_location(embedded) if rest else None
        if embedded_path is not None:
            path, message = (*path, *embedded_path), rest
        detail = message
    elif kind == "too_short":
        minimum = int(error.get("ctx", {}).get("min_length", 1))
        detail = f"must have at least {minimum} item{'s' if minimum > 1 else ''}, got {shown}"
    elif kind == "restsync_union_type" or kind in _TYPE_NAMES:
        expected = error["msg"] if kind == "restsync_union_type" else f"must be {_TYPE_NAMES[kind]}"
        detail = f"{expected}, got {shown}"
    else:
        message = re.sub(r"^Input should be ", "must be ", error["msg"])
        detail = f"{message}, got {shown}"
    return Problem(normalized.user_path(tuple(path)), detail)


def _type_detail(error: ErrorDetails, field: str) -> str:
    ctx = error.get("ctx") or {}
    allowed = _TYPE_HINTS.get(field) or tuple(
        re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
    )
    what = f"{field} type" if field in _TYPE_HINTS else "type"
    allowed_text = f"allowed: {', '.join(allowed)}"
    if error["type"] == "union_tag_not_found":
        return f"{what} is not given; {allowed_text}"
    tag = str(ctx.get("tag", ""))
    if tag in _UNSUPPORTED_TYPES:
        return _UNSUPPORTED_TYPES[tag]
    return f"unknown {what} {tag!r}{suggest(tag, allowed)}; {allowed_text}"


def _is_secret(value: Any, normalized: Normalized) -> bool:
    return isinstance(value, str) and value in normalized.secret_values


def _short(value: Any) -> str:
    """A short, safe description: scalars by repr, containers by shape only (a container may
    hold credentials under keys we do not know)."""
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:5]))
        return f"a mapping with keys [{keys}]" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items" if value else "an empty list"
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def _scrub(text: str, secret_values: set[str]) -> str:
    """``text`` without the config's secret values, nor credentials written into a URL (its
    password, the value of a query parameter named like a credential), even in a value that
    does not parse as a URL."""
    # Very short strings are not credentials, and masking them would garble the message.
    for secret in sorted(secret_values, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return mask_url_credentials(text, is_secret_key)
