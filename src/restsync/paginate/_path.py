"""Reading one value (a total, a cursor, a next URL) out of a response body by path.

Paths are written as in dlt: dotted keys (``cursors.next``) or JSONPath (``$.meta.total``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng.ext import parse as parse_jsonpath

from restsync._exceptions import ConfigError

_MISSING = object()


@lru_cache(maxsize=256)
def _compile(path: str) -> Any:
    try:
        return parse_jsonpath(path)
    except Exception as exc:
        raise ConfigError(f"{path!r} is not a valid JSONPath: {exc}") from exc


def _is_jsonpath(path: str) -> bool:
    return path.startswith("$") or "[" in path or ".." in path or "*" in path


def value_at(document: Any, path: str, default: Any = None) -> Any:
    """The value at ``path`` in ``document``, or ``default`` when the path is absent."""
    if _is_jsonpath(path):
        matches = _compile(path).find(document)
        return matches[0].value if matches else default
    node = document
    for key in path.split("."):
        if not isinstance(node, dict):
            return default
        node = node.get(key, _MISSING)
        if node is _MISSING:
            return default
    return node
