"""Compiled record selectors: turn a ``data_selector`` into something that pulls the records out
of one decoded response body, millions of times, cheaply.

Three spellings, one result contract (see ``Selector.select``):

* a tuple of keys, as in dlt: ``("data", "campaigns")``;
* a dotted path with ``*`` wildcards: ``"data.campaigns"``, ``"list.*.record"``;
* JSONPath (the spec starts with ``$`` or contains ``[`` or ``..``): ``"$.list[*].record"``.

Keys, dotted paths and the JSONPath expressions that are only a chain of names, indices and
wildcards all compile to the same hand-written walker: no jsonpath machinery per record. Only
expressions that need it (filters, ``..``, slices, unions) are evaluated by ``jsonpath_ng``.

In every spelling ``*`` is a wildcard over the members of an object or the elements of a list,
and a key made of digits indexes a list (``"items.0"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from jsonpath_ng import jsonpath as jp
from jsonpath_ng.ext import parse as parse_jsonpath

from restsync._exceptions import ConfigError

__all__ = ["Selector", "compile_selector"]


class _Wildcard:
    def __repr__(self) -> str:
        return "*"


WILDCARD: Final = _Wildcard()
_MISSING: Final = object()

Segment = str | int | _Wildcard


class Selector:
    """Pulls the records out of one decoded response body.

    ``path`` is the selector as a user would write it (``"data.items"``, ``"$.list[*].record"``,
    ``"$"`` for the whole document); use it in messages.

    ``select`` returns the records, or ``None`` when the path is *absent* from the document (so
    the caller can say so clearly). A path that ends at a list gives that list (not a copy), at
    an object gives ``[object]``, at ``null`` gives ``[]`` (an empty page), at any other value
    gives ``[value]``. With wildcards the matches are collected in document order: ``null``
    matches are dropped and list matches are spliced in (a record is never a list). A wildcard
    over an empty list or object is an empty page, not an absent path; the path is absent only
    when no branch of it can be followed.

    To add a spelling, subclass and implement ``select``; ``compile_selector`` is the one place
    that chooses the class.
    """

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def select(self, document: Any) -> list[Any] | None:
        raise NotImplementedError

    def first(self, document: Any) -> Any:
        """The first value the path matches, as the document holds it (a list is one value,
        not records), or ``None`` when the path is absent or holds null: how paginators
        read a total, a cursor or a link (dlt's first match). A wildcard path splices lists
        as ``select`` does."""
        found = self.select(document)
        return found[0] if found else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, Selector) and other.path == self.path

    def __hash__(self) -> int:
        return hash((type(self), self.path))


def _as_records(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None:
        return []
    return [value]


def _splice(values: Iterable[Any]) -> list[Any]:
    records: list[Any] = []
    for value in values:
        if isinstance(value, list):
            records.extend(value)
        elif value is not None:
            records.append(value)
    return records


class RootSelector(Selector):
    """The whole document is the records (``"$"``)."""

    __slots__ = ()

    def __init__(self, path: str = "$") -> None:
        super().__init__(path)

    def select(self, document: Any) -> list[Any] | None:
        return _as_records(document)

    def first(self, document: Any) -> Any:
        return document


class KeySelector(Selector):
    """A fixed chain of keys (and list indices): the fast path for most configs."""

    __slots__ = ("_indices", "_keys")

    def __init__(self, path: str, keys: tuple[str | int, ...]) -> None:
        super().__init__(path)
        self._keys = keys
        # A digit key may address a list element; precomputed so the walk never parses ints.
        self._indices = tuple(_index_of(key) for key in keys)

    def select(self, document: Any) -> list[Any] | None:
        node = self._node(document)
        return None if node is _MISSING else _as_records(node)

    def first(self, document: Any) -> Any:
        node = self._node(document)
        return None if node is _MISSING else node

    def _node(self, document: Any) -> Any:
        """The value at the path, or ``_MISSING``."""
        node = document
        for key, index in zip(self._keys, self._indices, strict=True):
            if isinstance(node, dict):
                node = node.get(key, _MISSING)
                if node is _MISSING:
                    return _MISSING
            elif isinstance(node, list) and index is not None:
                if not -len(node) <= index < len(node):
                    return _MISSING
                node = node[index]
            else:
                return _MISSING
        return node


class WildcardSelector(Selector):
    """A chain of keys with at least one ``*``."""

    __slots__ = ("_plain_tail", "_segments")

    def __init__(self, path: str, segments: tuple[Segment, ...]) -> None:
        super().__init__(path)
        self._segments = tuple((seg, _index_of(seg)) for seg in segments)
        # For each position, the keys from there to the end when none is a wildcard: the
        # common "list.*.record" then costs one tight loop per element, not a recursion.
        self._plain_tail: tuple[tuple[tuple[Segment, int | None], ...] | None, ...] = tuple(
            None if any(seg is WILDCARD for seg, _ in self._segments[i:]) else self._segments[i:]
            for i in range(len(self._segments) + 1)
        )

    def select(self, document: Any) -> list[Any] | None:
        found: list[Any] = []
        if not self._walk(document, 0, found):
            return None
        return found

    def _walk(self, node: Any, position: int, found: list[Any]) -> bool:
        """Add every match below ``node`` to ``found`` (nulls dropped, lists spliced in);
        False when no branch of the path exists below ``node``."""
        segments = self._segments
        while position < len(segments):
            segment, index = segments[position]
            position += 1
            if segment is WILDCARD:
                if isinstance(node, dict):
                    children: Iterable[Any] = node.values()
                elif isinstance(node, list):
                    children = node
                else:
                    return False
                if not node:
                    return True
                if position == len(segments):
                    found.extend(_splice(children))
                    return True
                tail = self._plain_tail[position]
                reached = False
                if tail is None:
                    for child in children:
                        reached = self._walk(child, position, found) or reached
                    return reached
                for child in children:
                    for key, key_index in tail:
                        if isinstance(child, dict):
                            child = child.get(key, _MISSING)  # noqa: PLW2901
                            if child is _MISSING:
                                break
                        elif isinstance(child, list) and key_index is not None:
                            if not -len(child) <= key_index < len(child):
                                break
                            child = child[key_index]  # noqa: PLW2901
                        else:
                            break
                    else:
                        reached = True
                        if isinstance(child, list):
                            found.extend(child)
                        elif child is not None:
                            found.append(child)
                return reached
            if isinstance(node, dict):
                node = node.get(segment, _MISSING)
                if node is _MISSING:
                    return False
            elif isinstance(node, list) and index is not None:
                if not -len(node) <= index < len(node):
                    return False
                node = node[index]
            else:
                return False
        if isinstance(node, list):
            found.extend(node)
        elif node is not None:
            found.append(node)
        return True


class JsonPathSelector(Selector):
    """A JSONPath expression that needs ``jsonpath_ng`` (filters, ``..``, slices, unions).

    When nothing matches, the path counts as absent only if its leading chain of plain names
    (``$.data.items`` in ``$.data.items[?(@.active)]``) is absent: a filter that matches nothing
    on a page that has the list is an empty page.
    """

    __slots__ = ("_expression", "_prefix")

    def __init__(self, path: str, expression: jp.JSONPath, prefix: Selector) -> None:
        super().__init__(path)
        self._expression = expression
        self._prefix = prefix

    def select(self, document: Any) -> list[Any] | None:
        matches = self._expression.find(document)
        if not matches:
            return None if self._prefix.select(document) is None else []
        return _splice(match.value for match in matches)

    def first(self, document: Any) -> Any:
        matches = self._expression.find(document)
        return matches[0].value if matches else None


def _index_of(segment: object) -> int | None:
    if isinstance(segment, bool):
        return None
    if isinstance(segment, int):
        return segment
    if isinstance(segment, str):
        digits = segment[1:] if segment.startswith("-") else segment
        if digits.isdigit() and digits.isascii():
            return int(segment)
    return None


def _from_segments(path: str, segments: tuple[Segment, ...]) -> Selector:
    if not segments:
        return RootSelector(path)
    if any(seg is WILDCARD for seg in segments):
        return WildcardSelector(path, segments)
    return KeySelector(path, segments)  # type: ignore[arg-type]


def _bad(spec: object, problem: str) -> ConfigError:
    return ConfigError(f"data_selector {spec!r} is not valid: {problem}")


def _flatten_jsonpath(node: jp.JSONPath) -> list[jp.JSONPath]:
    """The chain of a JSONPath AST left to right (``Child(Child(a, b), c)`` -> a, b, c)."""
    if isinstance(node, jp.Child):
        return _flatten_jsonpath(node.left) + _flatten_jsonpath(node.right)
    return [node]


def _simple_segment(node: jp.JSONPath) -> Segment | None:
    if isinstance(node, jp.Wildcard):
        return WILDCARD
    if isinstance(node, jp.Fields) and len(node.fields) == 1:
        name = node.fields[0]
        return WILDCARD if name == "*" else str(name)
    if isinstance(node, jp.Index) and len(node.indices) == 1:
        return int(node.indices[0])
    return None


def _compile_jsonpath(spec: str) -> Selector:
    try:
        expression = parse_jsonpath(spec)
    except Exception as exc:
        # jsonpath_ng raises bare Exception subclasses (lexer and parser errors) with a useful
        # position in the message; keep it, but inside our family.
        raise _bad(spec, f"JSONPath syntax error: {exc}") from exc
    chain = _flatten_jsonpath(expression)
    if chain and isinstance(chain[0], jp.Root):
        chain = chain[1:]
    prefix: list[Segment] = []
    for node in chain:
        segment = _simple_segment(node)
        if segment is None:
            break
        prefix.append(segment)
    else:
        return _from_segments(spec, tuple(prefix))
    # The leading plain names decide "absent" versus "empty page"; see JsonPathSelector.
    names: list[Segment] = []
    for segment in prefix:
        if segment is WILDCARD:
            break
        names.append(segment)
    return JsonPathSelector(spec, expression, _from_segments(spec, tuple(names)))


def _looks_like_jsonpath(spec: str) -> bool:
    return spec.startswith("$") or "[" in spec or ".." in spec


def compile_selector(spec: str | tuple[str, ...] | list[str] | None) -> Selector | None:
    """Compile a ``data_selector`` once per resource.

    ``None``, ``""``, ``()`` and ``[]`` mean "detect it" and give ``None`` (see
    ``detect_selector``). A tuple or list is a chain of literal keys (``"*"`` is a wildcard,
    digits index lists); a string is a dotted path or, when it starts with ``$`` or contains
    ``[`` or ``..``, JSONPath. A malformed spec raises ``ConfigError`` naming it.
    """
    if spec is None:
        return None
    if isinstance(spec, list | tuple):
        if not spec:
            return None
        segments: list[Segment] = []
        for key in spec:
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise _bad(spec, f"every key must be a string, got {type(key).__name__} {key!r}")
            if key == "":
                raise _bad(spec, "a key is an empty string")
            segments.append(WILDCARD if key == "*" else key)
        path = ".".join(str(key) for key in spec)
        if any(isinstance(key, str) and "." in key for key in spec):
            # A dotted rendering would read as a different path; show the keys as a list.
            path = repr(list(spec))
        return _from_segments(path, tuple(segments))
    if not isinstance(spec, str):
        raise _bad(spec, f"expected a string or a list of keys, got {type(spec).__name__}")
    text = spec.strip()
    if not text:
        return None
    if _looks_like_jsonpath(text):
        return _compile_jsonpath(text)
    parts = text.split(".")
    if any(part == "" for part in parts):
        raise _bad(spec, "a dotted path may not start or end with '.'")
    return _from_segments(text, tuple(WILDCARD if part == "*" else part for part in parts))
