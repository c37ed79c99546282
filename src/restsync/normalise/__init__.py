"""Pages of records into the Arrow table dlt's dict path would load for a resource (see
``_rows`` for the shape, ``_columns`` for the types)."""

from __future__ import annotations

from ._columns import Unfaithful
from ._pages import PageNormaliser

__all__ = ["PageNormaliser", "Unfaithful"]
