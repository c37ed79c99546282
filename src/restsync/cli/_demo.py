"""``restsync demo``: every built-in connector synced from its bundled emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from restsync import connectors
from restsync.emulator import options_for, serve
from restsync.source import DEFAULT_DUCKDB_FILE, resolve_destination, sync

from ._configs import emulated_config
from ._errors import errors
from ._output import console, print_notes, progress, say


def demo(
    duckdb_file: Annotated[Path, typer.Option(help="Where to write the DuckDB file.")] = Path(
        DEFAULT_DUCKDB_FILE
    ),
) -> None:
    """Sync every built-in connector from its bundled emulator into a local DuckDB file."""
    with errors():
        # every dataset checked before the first sync, so a bad file name loads nothing
        for name in connectors.names():
            resolve_destination("duckdb", dataset=name, duckdb_file=duckdb_file)
        summary = Table(title="restsync demo", title_justify="left")
        summary.add_column("dataset")
        summary.add_column("table")
        summary.add_column("rows", justify="right")
        for name in connectors.names():
            source, _ = emulated_config(name)
            with serve(source, options_for(name)) as running:
                say(f"syncing {name} from the emulator at {running.url}", stderr=True)
                with progress() as on_event:
                    result = sync(
                        source,
                        base_url=running.url,
                        dataset=name,
                        duckdb_file=duckdb_file,
                        pipeline_name=f"restsync_demo_{name}",
                        on_event=on_event,
                    )
            for table, rows in result.tables.items():
                summary.add_row(escape(name), escape(table), f"{rows:,}")
            print_notes(result.notes, stderr=True)
        out = console()
        out.print(summary)
        out.print(f"DuckDB file: [bold]{escape(str(duckdb_file.resolve()))}[/]", soft_wrap=True)
