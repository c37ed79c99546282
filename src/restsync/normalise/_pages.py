"""One resource's pages into Arrow tables: its root table and the nested tables of its lists.

``PageNormaliser`` is made once per extract of a resource, from the schema dlt extracts into
(``dlt.current.source_schema()``: an earlier sync's tables and types, the source's nesting
limit and naming) and the resource's own table hints (write disposition, keys, columns), so
that dlt's relational normaliser sees what it would see on the dict path.

A page's tables are made whole before any is handed on: a page that cannot be made faithfully
raises ``Unfaithful`` and goes to dlt as dicts, all its tables with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from restsync._dlt import Schema, TColumnSchema, TTableSchema, schema_with_table

from ._columnar import ColumnarPages
from ._columns import ColumnTypes, Unfaithful
from ._rows import split_rows

#: the columns restsync adds to every row of a resource's own table, as dlt's normaliser does
BOOKKEEPING = ("_dlt_id", "_dlt_load_id")


@dataclass(frozen=True)
class PageTable:
    """One table's rows of a page: ``parent`` is None for the resource's own table, else the
    table whose rows ``_dlt_parent_id`` points at. ``columns`` is dlt's schema of each column
    (as its dict path would add it), for the nested tables that restsync adds to the schema
    itself."""

    name: str
    parent: str | None
    table: pa.Table
    columns: Mapping[str, TColumnSchema]


class PageNormaliser:
    """Turns a resource's pages into the Arrow tables dlt's dict path would load; ``page``
    raises ``Unfaithful`` for a page it cannot make faithfully (it goes the dict way)."""

    def __init__(self, schema: Schema, table: TTableSchema) -> None:
        self._schema = schema_with_table(schema, table)
        naming = self._schema.naming
        self._table = naming.normalize_tables_path(str(table["name"]))
        columns = self._schema.tables[self._table].get("columns", {})
        # json columns the resource hints, which dlt types json whatever Arrow hands it
        hinted = {
            naming.normalize_path(str(name))
            for name, column in table.get("columns", {}).items()
            if column.get("data_type") == "json"
        }
        self._types = {
            self._table: ColumnTypes(self._schema, columns, json_columns=frozenset(hinted))
        }
        self._columnar = ColumnarPages(self._schema, self._table)
        # bookkeeping and key columns are NOT NULL in the Arrow schema too, or dlt warns on
        # every table that its hints differ
        self._not_null = {
            name for name, column in columns.items() if column.get("nullable") is False
        }
        self._bookkeeping = frozenset(naming.normalize_identifier(n) for n in BOOKKEEPING)
        self._not_null |= self._bookkeeping
        contract = self._schema.resolve_contract_settings_for_table(self._table)
        self._evolves = all(mode == "evolve" for mode in contract.values())

    @property
    def table(self) -> str:
        """The resource's table, as dlt names it."""
        return self._table

    @property
    def evolves(self) -> bool:
        """Whether the resource's schema contract lets every table and column evolve: rows
        that bypass dlt's contract checks (nested tables, files dlt imports as they are) are
        made only then."""
        return self._evolves

    def root_columns(
        self, root: PageTable, *, bookkeeping_only: bool = False
    ) -> dict[str, TColumnSchema]:
        """dlt's schema of each column of ``root``, the resource's own table of a page (or of
        its ``BOOKKEEPING`` columns only), as its dict path adds the column (``_dlt_id``'s
        ``unique`` and ``row_key`` included)."""
        names = root.table.column_names
        if bookkeeping_only:
            names = [name for name in names if name in self._bookkeeping]
        return self._types[self._table].column_schemas(names)

    def page(self, records: Iterable[Any], load_id: str) -> list[PageTable]:
        """The tables of one page, the resource's own first, parents before their nested
        tables."""
        page = list(records)
        columnar = self._columnar.tables(page, load_id)
        if columnar is not None:
            tables = [(t.name, t.parent, t.columns) for t in columnar]
        else:
            split = split_rows(self._schema, page, self._table, load_id).values()
            tables = [(rows.name, rows.parent, rows.columns) for rows in split]
        if len(tables) > 1 and not self._evolves:
            raise Unfaithful(f"lists make nested tables {[t[0] for t in tables[1:]]}")
        made = []
        for name, parent, columns in tables:
            types = self._types.get(name)
            if types is None:
                known = self._schema.tables.get(name, {}).get("columns", {})
                types = self._types[name] = ColumnTypes(self._schema, known)
            arrays = types.arrays(columns)
            if parent is None:
                made.append(PageTable(name, None, _arrow_table(arrays, self._not_null), {}))
                continue
            schemas = types.column_schemas(arrays)
            not_null = {column for column, schema in schemas.items() if not schema["nullable"]}
            made.append(PageTable(name, parent, _arrow_table(arrays, not_null), schemas))
        return made


def _arrow_table(arrays: dict[str, pa.Array], not_null: set[str]) -> pa.Table:
    fields = [
        pa.field(name, array.type, nullable=name not in not_null) for name, array in arrays.items()
    ]
    return pa.Table.from_arrays(list(arrays.values()), schema=pa.schema(fields))
