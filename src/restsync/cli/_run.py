"""``restsync run``: sync an API into a destination, with the limits as options."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from restsync._exceptions import ConfigError
from restsync.config import SourceConfig, lint, load_config
from restsync.source import DEFAULT_DUCKDB_FILE, SyncResult, sync

from ._configs import ConfigArg
from ._errors import errors
from ._output import console, print_notes, progress, warn

# The limits the options set, as the options (a bad value is reported under its option).
_LIMIT_OPTIONS = {
    "max_in_flight": "--max-in-flight",
    "requests_per_second": "--rps",
    "page_window": "--page-window",
}


def _with_limits(config: SourceConfig, **values: float | None) -> SourceConfig:
    """``config`` with the limits given (not None) replacing its own, validated as the config
    validates them."""
    updates: dict[str, Any] = {key: value for key, value in values.items() if value is not None}
    if not updates:
        return config
    merged = {**config.client.limits.model_dump(), **updates}
    try:
        limits = type(config.client.limits).model_validate(merged)
    except ValidationError as exc:
        problem = exc.errors()[0]
        option = _LIMIT_OPTIONS.get(str(problem["loc"][0]), "limits")
        raise ConfigError(
            f"{problem['msg'][0].lower()}{problem['msg'][1:]}, got {problem['input']!r}",
            location=option,
        ) from None
    return config.model_copy(update={"client": config.client.model_copy(update={"limits": limits})})


def _print_result(result: SyncResult, seconds: float) -> None:
    table = Table(title=escape(f"{result.dataset} -> {result.destination}"), title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.tables.items():
        table.add_row(escape(name), f"{rows:,}")
    out = console()
    out.print(table)
    print_notes(result.notes)
    out.print(f"loaded in {seconds:.1f}s into [bold]{escape(result.location)}[/]", soft_wrap=True)


def run(
    config: ConfigArg,
    destination: Annotated[
        str, typer.Option(help="duckdb, postgres or any dlt destination name.")
    ] = "duckdb",
    dataset: Annotated[str | None, typer.Option(help="Dataset (schema) name.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Override client.base_url.")] = None,
    duckdb_file: Annotated[
        Path, typer.Option(help="DuckDB file when --destination duckdb.")
    ] = Path(DEFAULT_DUCKDB_FILE),
    max_in_flight: Annotated[
        int | None, typer.Option(help="Most requests in flight at once (default 16).")
    ] = None,
    rps: Annotated[
        float | None, typer.Option(help="Requests per second per host (default: no limit).")
    ] = None,
    page_window: Annotated[
        int | None, typer.Option(help="Most pages of one resource in flight (default 8).")
    ] = None,
    duckdb_memory_limit: Annotated[
        str | None,
        typer.Option(help="Cap DuckDB's memory while loading, e.g. 256MB (default: DuckDB's)."),
    ] = None,
    drop_pending: Annotated[
        bool,
        typer.Option(
            "--drop-pending",
            help="Discard the load an earlier run left pending (it failed or was interrupted) "
            "instead of retrying it first; its data is fetched again.",
        ),
    ] = False,
) -> None:
    """Sync an API into a destination (DuckDB file by default).

    Secrets come from environment variables or .dlt/secrets.toml, the way dlt resolves them;
    destination credentials too (e.g. DESTINATION__POSTGRES__CREDENTIALS). A load an earlier
    run left pending is retried first (or discarded with --drop-pending).
    """
    with errors():
        source = _with_limits(
            load_config(config, base_url=base_url),
            max_in_flight=max_in_flight,
            requests_per_second=rps,
            page_window=page_window,
        )
        for warning in lint(source):
            warn(warning)
        started = time.perf_counter()
        with progress() as on_event:
            result = sync(
                source,
                destination=destination,
                dataset=dataset,
                duckdb_file=duckdb_file,
                duckdb_memory_limit=duckdb_memory_limit,
                on_event=on_event,
                pending="drop" if drop_pending else "retry",
            )
        _print_result(result, time.perf_counter() - started)
