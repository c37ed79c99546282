"""One resource's pages into Arrow tables of its root table.

``PageNormaliser`` is made once per extract of a resource, from the schema dlt extracts into
(``dlt.current.source_schema()``: an earlier sync's tables and types, the source's nesting
limit and naming) and the resource's own table hints (write disposition, keys, columns), so
that dlt's relational normaliser sees what it would see on the dict path.

A page whose records hold lists makes nested tables. dlt's extract cannot take rows for a
nested table (its extract attributes every table it writes to a resource, and a nested table
must have none), so such a page raises ``Unfaithful`` and goes to dlt as dicts; its nested
tables are then made by dlt itself, exactly as always.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from restsync._dlt import Schema, TTableSchema

from ._columns import ColumnTypes, Unfaithful
from ._flat import FlatPages, random_row_ids
from ._rows import split_rows


class PageNormaliser:
    """Turns a resource's pages into the Arrow table dlt's dict path would load; ``page``
    raises ``Unfaithful`` for a page it cannot make faithfully (it goes the dict way)."""

    def __init__(self, schema: Schema, table: TTableSchema) -> None:
        self._schema = schema.clone()
        self._schema.update_table(table)  # normalises its names
        naming = self._schema.naming
        self._table = naming.normalize_tables_path(str(table["name"]))
        columns = self._schema.tables[self._table].get("columns", {})
        # json columns the resource hints, which dlt types json whatever Arrow hands it
        hinted = {
            naming.normalize_path(str(name))
            for name, column in table.get("columns", {}).items()
            if column.get("data_type") == "json"
        }
        self._types = ColumnTypes(self._schema, columns, json_columns=frozenset(hinted))
        self._flat = FlatPages(self._schema, self._schema.tables[self._table])
        self._load_id = naming.normalize_identifier("_dlt_load_id")
        self._row_id = naming.normalize_identifier("_dlt_id")
        # bookkeeping and key columns are NOT NULL in the Arrow schema too, or dlt warns on
        # every table that its hints differ
        self._not_null = {
            name for name, column in columns.items() if column.get("nullable") is False
        }
        self._not_null |= {naming.normalize_identifier(n) for n in ("_dlt_id", "_dlt_load_id")}

    def page(self, records: Iterable[Any], load_id: str) -> pa.Table:
        """The resource's table of one page."""
        page = list(records)
        flat = self._flat.columns(page, self._types)
        if flat is not None:
            flat[self._load_id] = pa.repeat(pa.scalar(load_id, pa.string()), len(page))
            flat[self._row_id] = random_row_ids(len(page))
            arrays = self._types.arrays(flat)
        else:
            tables = split_rows(self._schema, page, self._table, load_id)
            if len(tables) != 1:
                raise Unfaithful(f"lists make nested tables {sorted(tables)[1:]}")
            (rows,) = tables.values()
            arrays = self._types.arrays(rows.columns)
        fields = [
            pa.field(name, array.type, nullable=name not in self._not_null)
            for name, array in arrays.items()
        ]
        return pa.Table.from_arrays(list(arrays.values()), schema=pa.schema(fields))
