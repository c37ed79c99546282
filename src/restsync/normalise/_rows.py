"""Records into the rows of dlt's tables, by dlt's own relational normaliser: the way for
the pages ``_columnar`` does not make exactly.

dlt's normaliser (``Schema.normalize_data_item``) decides everything about the shape of the
data: nested objects flattened into ``parent__child`` columns, lists into nested tables with
``_dlt_parent_id``/``_dlt_list_idx``/``_dlt_id`` (and ``_dlt_root_id`` when the table chain
needs it), names normalised by the schema's naming convention (keys that collide after
normalisation: the last one wins, as in dlt), the table nesting limit and ``json`` hints. The
rows are taken from it as they are and gathered by column here, to be typed column by column
(``_columns``) like ``_columnar``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from restsync._dlt import Schema


@dataclass
class TableRows:
    """The rows one page gives one table, by column: each column list holds one value per row
    (None where a row lacks the field), columns in the order dlt met them."""

    name: str
    parent: str | None
    columns: dict[str, list[Any]] = field(default_factory=dict)
    count: int = 0

    def add(self, row: Mapping[str, Any]) -> None:
        columns = self.columns
        count = self.count
        for name, value in row.items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = [None] * count
            column.append(value)
        self.count = count = count + 1
        # columns this row lacks keep one value per row
        if len(row) != len(columns):
            for column in columns.values():
                if len(column) < count:
                    column.append(None)


def split_rows(
    schema: Schema, records: Iterable[Any], table: str, load_id: str
) -> dict[str, TableRows]:
    """The rows of every table that ``records`` (of the resource loading ``table``) make, by
    table name, parents before their nested tables."""
    tables: dict[str, TableRows] = {}
    naming = schema.naming
    normalize = schema.normalize_data_item
    for record in records:
        for (name, parent_path, _), row in normalize(record, load_id, table):
            rows = tables.get(name)
            if rows is None:
                parent = naming.shorten_fragments(*parent_path) if parent_path else None
                rows = tables[name] = TableRows(name, parent)
            rows.add(row)
    return tables
