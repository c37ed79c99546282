"""Shape descriptions of response bodies for error messages.

A body may hold private data, so a description names only JSON types, key names and list
lengths, never a value: ``an object with keys data (object with keys items (list of 50
objects)), message (string)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["describe"]

_MAX_DEPTH = 3
_MAX_KEYS = 8
_SAMPLE = 20


def _scalar_kind(value: Any) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _plural(kind: str) -> str:
    return "nulls" if kind == "null" else f"{kind}s"


def _keys(mapping: dict[Any, Any], *, depth: int, with_shapes: bool) -> str:
    names = list(mapping)[:_MAX_KEYS]
    if with_shapes:
        parts = [f"{name} ({_shape(mapping[name], depth + 1)})" for name in names]
    else:
        parts = [str(name) for name in names]
    rest = len(mapping) - len(names)
    if rest:
        parts.append(f"{rest} more")
    return ", ".join(parts)


def _shape(value: Any, depth: int) -> str:
    kind = _scalar_kind(value)
    if kind is not None:
        return kind
    if isinstance(value, dict):
        if not value:
            return "empty object"
        if depth >= _MAX_DEPTH:
            return f"object with {len(value)} key{'' if len(value) == 1 else 's'}"
        return f"object with keys {_keys(value, depth=depth, with_shapes=True)}"
    if isinstance(value, list):
        if not value:
            return "empty list"
        sample = value[:_SAMPLE]
        if all(isinstance(item, dict) for item in sample):
            text = f"list of {len(value)} objects"
            first = sample[0]
            if first and depth + 1 < _MAX_DEPTH:
                text += f" with keys {_keys(first, depth=depth, with_shapes=False)}"
            return text
        kinds = {_scalar_kind(item) or type(item).__name__ for item in sample}
        if len(kinds) == 1:
            only = kinds.pop()
            if only == "list":
                return f"list of {len(value)} lists"
            return f"list of {len(value)} {_plural(only)}"
        return f"list of {len(value)} mixed values"
    return type(value).__name__


def describe(document: Any, *, limit: int = 200) -> str:
    """A short description of ``document``'s shape (at most ``limit`` characters), for messages
    such as "data_selector 'data.items' is absent; the response is an object with keys ..."."""
    text = _shape(document, 0)
    if text != "null":
        text = ("an " if text[0] in "aeiou" else "a ") + text
    if len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return text
