"""Reading one value (a total, a cursor, a next URL) out of a response body by path.

Paths are written as in dlt: dotted keys (``cursors.next``) or JSONPath (``$.meta.total``);
``restsync.select`` compiles them, so every path in a config is read one way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from restsync.select import Selector, compile_selector


@lru_cache(maxsize=256)
def _compiled(path: str) -> Selector:
    selector = compile_selector(path)
    assert selector is not None, "paginator paths are never empty"
    return selector


def value_at(document: Any, path: str, default: Any = None) -> Any:
    """The value at ``path`` in ``document`` as the document holds it (a list too; the first
    match of a wildcard path), or ``default`` when the path is absent or holds null."""
    found = _compiled(path).first(document)
    return default if found is None else found
