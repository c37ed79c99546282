"""Select: where the records are in a response body.

``compile_selector`` turns a config's ``data_selector`` (keys, a dotted path with ``*``, or
JSONPath) into a ``Selector`` once; ``detect_selector`` finds one when the config gives none;
``describe`` summarises a body's shape for error messages without revealing its values.
"""

from __future__ import annotations

from ._describe import describe
from ._detect import WELL_KNOWN_NAMES, SelectorNotFound, detect_selector
from ._selector import (
    JsonPathSelector,
    KeySelector,
    RootSelector,
    Selector,
    WildcardSelector,
    compile_selector,
)

__all__ = [
    "WELL_KNOWN_NAMES",
    "JsonPathSelector",
    "KeySelector",
    "RootSelector",
    "Selector",
    "SelectorNotFound",
    "WildcardSelector",
    "compile_selector",
    "describe",
    "detect_selector",
]
