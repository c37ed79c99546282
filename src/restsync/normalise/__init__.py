"""Pages of records into the Arrow tables dlt's dict path would load for a resource: its own
table and the nested tables of its lists (``_columnar`` makes their columns, ``_rows`` through
dlt's normaliser where that cannot; ``_columns`` types them; ``_pages`` puts them together)."""

from __future__ import annotations

from ._columns import Unfaithful
from ._pages import PageNormaliser, PageTable

__all__ = ["PageNormaliser", "PageTable", "Unfaithful"]
