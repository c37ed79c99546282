"""Auto-detection of the records in a response when the config gives no ``data_selector``
(or ``[]``, as the prospects resource of the sales seed does).

Rules, in order:

1. a top-level list is the records (``$``);
2. an object with a scalar ``id`` at the top is one record, however many lists it holds
   (``{"id": 7, "lines": [...]}`` is an invoice, not an envelope around its lines);
3. otherwise the lists found in nested objects (never inside lists, at most 3 keys deep) are
   the candidates. Lists of objects and empty lists can hold records (an empty list may be
   the last page of a paginated endpoint, so ``{"data": {"prospects": []}}`` still detects
   ``data.prospects``); lists of scalars are considered only when there is nothing else.
   One candidate wins outright; among several, a single well-known name (``data``,
   ``items``, ``results``, ...) wins, then lists of objects over empty ones, then the one
   longest list;
4. an object with no candidate list is itself the one record (``$``).

Anything else raises ``SelectorNotFound`` listing the candidates, so the user can pick one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._describe import describe
from ._selector import KeySelector, RootSelector, Selector

__all__ = ["WELL_KNOWN_NAMES", "SelectorNotFound", "detect_selector"]

WELL_KNOWN_NAMES = frozenset(
    {
        "data",
        "items",
        "results",
        "records",
        "entries",
        "rows",
        "objects",
        "values",
        "payload",
        "content",
    }
)
_MAX_DEPTH = 3
_SAMPLE = 20


class SelectorNotFound(ValueError):
    """The records of a response could not be located without a ``data_selector``. The message
    lists the candidate paths; the engine wraps this in a ``ResponseError``."""

    def __init__(self, message: str, *, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class _Candidate:
    keys: tuple[str, ...]
    length: int
    objects: bool  # non-empty and made of objects

    @property
    def path(self) -> str:
        if all(key and "." not in key and "[" not in key for key in self.keys):
            return ".".join(self.keys)
        return repr(list(self.keys))

    @property
    def well_known(self) -> bool:
        return self.keys[-1].lower() in WELL_KNOWN_NAMES


def _find_lists(node: dict[str, Any], prefix: tuple[str, ...], out: list[_Candidate]) -> None:
    for key, value in node.items():
        keys = (*prefix, str(key))
        if isinstance(value, list):
            sample = value[:_SAMPLE]
            objects = bool(sample) and all(isinstance(item, dict) for item in sample)
            out.append(_Candidate(keys, len(value), objects))
        elif isinstance(value, dict) and len(keys) < _MAX_DEPTH:
            _find_lists(value, keys, out)


def _choose(candidates: list[_Candidate]) -> _Candidate | None:
    if len(candidates) == 1:
        return candidates[0]
    known = [c for c in candidates if c.well_known]
    if len(known) == 1:
        return known[0]
    pool = known or candidates
    with_objects = [c for c in pool if c.objects]
    pool = with_objects or pool
    if len(pool) == 1:
        return pool[0]
    longest = max(c.length for c in pool)
    top = [c for c in pool if c.length == longest]
    return top[0] if len(top) == 1 else None


def _selector(candidate: _Candidate) -> Selector:
    return KeySelector(candidate.path, candidate.keys)


def detect_selector(document: Any) -> Selector:
    """Find where the records are in ``document`` (see the module docstring for the rules).
    Run it on the first page of a resource and keep the result for the following pages."""
    if isinstance(document, list):
        return RootSelector()
    if not isinstance(document, dict):
        raise SelectorNotFound(
            f"the response is {describe(document)}, not a list or an object of records; "
            "set data_selector to say where the records are"
        )
    top_id = document.get("id")
    if top_id is not None and not isinstance(top_id, dict | list):
        return RootSelector()
    found: list[_Candidate] = []
    _find_lists(document, (), found)
    if not found:
        return RootSelector()
    holders = [c for c in found if c.objects or c.length == 0]
    chosen = _choose(holders or found)
    if chosen is not None:
        return _selector(chosen)
    names = tuple(c.path for c in (holders or found))
    raise SelectorNotFound(
        f"cannot tell where the records are: the response has {len(names)} lists that could "
        f"hold them ({', '.join(names)}); set data_selector to one of them",
        candidates=names,
    )
