"""Paths into a JSON body, read the server's way: where to *put* records, totals and cursors.

The emulator understands the selector forms configs use: a tuple of keys (``("data",
"campaigns")``), a dotted path (``data.items``, ``list.*.record``) and the simple JSONPath
subset (``$``, ``$.data``, ``$.list[*].record``, ``$['odd key']``). It deliberately does not
share the client's selector code (``restsync.select``): a misreading there must show up as a
test failure, not be mirrored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from restsync._exceptions import ConfigError

WILDCARD = "*"


class PathSyntaxError(Exception):
    """Internal: a path the emulator cannot build a body for; turned into ``ConfigError``."""


def parse_path(path: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Split a selector into steps: key names and ``WILDCARD``. ``()`` is the body itself."""
    if not isinstance(path, str):
        return tuple(WILDCARD if step == "*" else str(step) for step in path)
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str] = []
    i, n = 0, len(text)
    first = True
    while i < n:
        char = text[i]
        if char == ".":
            if text.startswith("..", i):
                raise PathSyntaxError("recursive descent '..' is not supported")
            i += 1
            if i >= n:
                raise PathSyntaxError("path ends with '.'")
            i = _read_name(text, i, steps)
        elif char == "[":
            end = text.find("]", i)
            if end < 0:
                raise PathSyntaxError("unclosed '['")
            inner = text[i + 1 : end].strip()
            if inner == "*":
                steps.append(WILDCARD)
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(inner[1:-1])
            else:
                raise PathSyntaxError(f"'[{inner}]' is not supported (use [*] or ['key'])")
            i = end + 1
        elif first:
            i = _read_name(text, i, steps)
        else:
            raise PathSyntaxError(f"unexpected {char!r} at position {i}")
        first = False
    return tuple(steps)


def _read_name(text: str, start: int, steps: list[str]) -> int:
    end = start
    while end < len(text) and text[end] not in ".[":
        end += 1
    name = text[start:end]
    if not name:
        raise PathSyntaxError(f"empty key at position {start}")
    if any(c in name for c in "?()@]"):
        raise PathSyntaxError(f"filter or expression {name!r} is not supported")
    steps.append(name)
    return end


def key_path(path: str, *, location: str) -> tuple[str, ...]:
    """A path that must name one value (no wildcard): totals, cursors, next links."""
    try:
        steps = parse_path(path)
    except PathSyntaxError as exc:
        raise ConfigError(f"cannot place a value at {path!r}: {exc}", location=location) from exc
    if not steps or WILDCARD in steps:
        raise ConfigError(
            f"{path!r} must name a single field of the response body, such as 'meta.total'",
            location=location,
        )
    return steps


@dataclass(frozen=True)
class RecordPlacement:
    """Where the record list sits in a body: ``list_keys`` lead from the top to the list (empty:
    the body is the list) and each record is wrapped by ``wrap_steps`` (``("record",)`` puts
    ``{"record": r}`` in the list; a wildcard wraps it in a one-element list)."""

    list_keys: tuple[str, ...]
    wrap_steps: tuple[str, ...]

    @classmethod
    def from_steps(cls, steps: tuple[str, ...]) -> RecordPlacement:
        if WILDCARD in steps:
            cut = steps.index(WILDCARD)
            return cls(steps[:cut], steps[cut + 1 :])
        return cls(steps, ())

    def renamed(self) -> RecordPlacement:
        """The same body with the list under another key, as an API that changed would send."""
        if not self.list_keys:
            return RecordPlacement(("items",), self.wrap_steps)
        last = self.list_keys[-1]
        return RecordPlacement(
            (*self.list_keys[:-1], "results" if last == "items" else "items"), self.wrap_steps
        )

    def wrap(self, record: dict[str, Any]) -> Any:
        value: Any = record
        for step in reversed(self.wrap_steps):
            value = [value] if step == WILDCARD else {step: value}
        return value


def put(body: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    """Set ``value`` at ``keys`` inside ``body``, creating objects on the way."""
    node = body
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise PathSyntaxError(f"'{key}' already holds a non-object value")
        node = child
    if keys[-1] in node:
        raise PathSyntaxError(f"'{'.'.join(keys)}' is already used by another field")
    node[keys[-1]] = value


def get(body: Any, keys: tuple[str, ...]) -> Any:
    """The value at ``keys`` (keys only), or None when any step is missing."""
    node = body
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
