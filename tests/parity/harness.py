"""Side by side with dlt: dlt's own ``rest_api_source`` and restsync's load the same API over
loopback into two DuckDB files, and what landed is compared table by table.

Imported as ``parity.harness`` (``tests`` is on ``pythonpath``). Typical use, with
``support.serve_url``::

    with serve_url(my_starlette_app) as url:
        parity = Parity(tmp_path)
        parity.run(config_for(url))          # both tools, each into its own DuckDB file
        tables = parity.assert_same()        # names, column layouts, rows: identical

``Parity.run`` may be called again (after the API's data changed, for incremental loading):
each tool keeps its own pipeline, so dlt's state carries over exactly as in real use. Each run
gets a deep copy of the config, so neither tool sees what the other did to it.

What "identical" means: the same tables (dlt's own ``_dlt_*`` tables aside), the same columns
with the same types, in the same order (what ``SELECT *`` shows) with the same nullability and
dlt schema hints (``column_layouts``), and the same multiset of rows. dlt's random row ids
(``_dlt_id``, ``_dlt_parent_id``, ``_dlt_root_id``) and load ids differ between any two loads,
so their values are not compared; ``_dlt_list_idx`` and every data column are.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.sources.rest_api import rest_api_source as dlt_rest_api_source

from restsync import rest_api_source as restsync_rest_api_source

DATASET = "parity"

#: columns whose values are random per load: compared by presence and type, not by value
RANDOM_COLUMNS = frozenset({"_dlt_id", "_dlt_parent_id", "_dlt_root_id", "_dlt_load_id"})

SourceFactory = Callable[..., Any]
TOOLS: dict[str, SourceFactory] = {
    "dlt": dlt_rest_api_source,
    "restsync": restsync_rest_api_source,
}


@dataclass(frozen=True)
class Table:
    """What landed in one table: ``columns`` as ``{name: duckdb type}`` and the rows (random
    id columns blanked) sorted, so two loads in different orders compare equal."""

    columns: dict[str, str]
    rows: list[tuple[Any, ...]]


def read_tables(db_file: Path, dataset: str = DATASET) -> dict[str, Table]:
    """Every data table of ``dataset`` in a DuckDB file (dlt's ``_dlt_*`` tables left out)."""
    with duckdb.connect(str(db_file), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "ORDER BY table_name",
                [dataset],
            ).fetchall()
            if not row[0].startswith("_dlt_")
        ]
        tables: dict[str, Table] = {}
        for name in names:
            columns = dict(
                connection.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY column_name",
                    [dataset, name],
                ).fetchall()
            )
            selected = ", ".join(
                "NULL" if column in RANDOM_COLUMNS else f'"{column}"' for column in columns
            )
            rows = connection.execute(f'SELECT {selected} FROM "{dataset}"."{name}"').fetchall()
            tables[name] = Table(columns, sorted(rows, key=repr))
    return tables


#: the dlt schema properties of a column compared besides its place, type and nullability
COLUMN_HINTS = ("unique", "row_key", "parent_key", "root_key", "primary_key", "merge_key")

#: one column as it stands: name, DuckDB type, nullable, then ``COLUMN_HINTS``' values
Column = tuple[Any, ...]


#: a dataset's columns, ``(table, column, type, nullable)`` in table and ordinal order
LAYOUT_QUERY = (
    "SELECT table_name, column_name, data_type, is_nullable = 'YES' "
    "FROM information_schema.columns WHERE table_schema = '{dataset}' "
    "ORDER BY table_name, ordinal_position"
)
#: the newest dlt schema stored with a dataset's data
STORED_SCHEMA_QUERY = (
    'SELECT schema FROM "{dataset}"."_dlt_version" ORDER BY inserted_at DESC LIMIT 1'
)


def layouts_of(rows: list[tuple[Any, ...]], stored_schema: str) -> dict[str, list[Column]]:
    """Every data table's columns from ``LAYOUT_QUERY``'s ``rows``, each with the
    ``COLUMN_HINTS`` of the ``stored_schema`` (``STORED_SCHEMA_QUERY``'s JSON)."""
    schema_tables = json.loads(stored_schema)["tables"]
    layouts: dict[str, list[Column]] = {}
    for table, name, data_type, nullable in rows:
        if table.startswith("_dlt_"):
            continue
        hints = schema_tables[table]["columns"][name]
        layout = layouts.setdefault(table, [])
        layout.append((name, data_type, nullable, *(hints.get(h, False) for h in COLUMN_HINTS)))
    return layouts


def column_layouts(db_file: Path, dataset: str = DATASET) -> dict[str, list[Column]]:
    """Every data table's columns in a DuckDB file in the order ``SELECT *`` gives them, each
    with its type, nullability and the ``COLUMN_HINTS`` of the dlt schema stored with it."""
    with duckdb.connect(str(db_file), read_only=True) as connection:
        stored = connection.execute(STORED_SCHEMA_QUERY.format(dataset=dataset)).fetchone()
        assert stored is not None
        rows = connection.execute(LAYOUT_QUERY.format(dataset=dataset)).fetchall()
    return layouts_of(rows, stored[0])


class Parity:
    """Two pipelines, one per tool, each into its own DuckDB file under ``folder``."""

    def __init__(self, folder: Path, *, name: str = "parity", dataset: str = DATASET) -> None:
        self.dataset = dataset
        self.files = {tool: folder / f"{name}_{tool}.duckdb" for tool in TOOLS}
        self.pipelines = {
            tool: dlt.pipeline(
                pipeline_name=f"{name}_{tool}",
                destination=dlt.destinations.duckdb(str(path)),
                dataset_name=dataset,
            )
            for tool, path in self.files.items()
        }

    def source(self, tool: str, config: Mapping[str, Any], **options: Any) -> Any:
        """``tool``'s source for a deep copy of ``config``."""
        return TOOLS[tool](copy.deepcopy(dict(config)), **options)

    def run(self, config: Mapping[str, Any], **options: Any) -> None:
        """Load ``config`` with both tools (dlt first); ``options`` go to both source
        functions (``name``, ``max_table_nesting``...)."""
        for tool, pipeline in self.pipelines.items():
            pipeline.run(self.source(tool, config, **options))

    def tables(self) -> dict[str, dict[str, Table]]:
        """``{tool: {table: Table}}`` as they stand now."""
        return {tool: read_tables(path, self.dataset) for tool, path in self.files.items()}

    def assert_same(self) -> dict[str, Table]:
        """Both tools' tables are identical (see the module docstring); returns them."""
        tables = self.tables()
        expected, actual = tables["dlt"], tables["restsync"]
        assert sorted(actual) == sorted(expected), (
            f"the two loads made different tables: dlt {sorted(expected)}, "
            f"restsync {sorted(actual)}"
        )
        for name, table in expected.items():
            other = actual[name]
            assert other.columns == table.columns, f"table {name}: columns differ"
            assert other.rows == table.rows, f"table {name}: rows differ"
        layouts = {tool: column_layouts(path, self.dataset) for tool, path in self.files.items()}
        for name, layout in layouts["dlt"].items():
            assert layouts["restsync"][name] == layout, f"table {name}: column layouts differ"
        return expected


def load_both(config: Mapping[str, Any], folder: Path, **options: Any) -> dict[str, Table]:
    """One run of ``config`` by both tools into fresh DuckDB files under ``folder``; asserts the
    tables are identical and returns them."""
    parity = Parity(folder)
    parity.run(config, **options)
    return parity.assert_same()
