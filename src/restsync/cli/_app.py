"""The ``restsync`` command: thin commands over the library, one library call each.

This is the only place where restsync errors become a message and an exit code:
2 = fix your config, 3 = the API failed, 4 = the destination failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from restsync import connectors
from restsync._exceptions import APIError, ConfigError, LoadError, RestSyncError
from restsync.config import SourceConfig, lint, load_config
from restsync.emulator import EmulatorOptions, serve
from restsync.engine import ProgressEvent
from restsync.source import DEFAULT_DUCKDB_FILE, SyncResult, sync

app = typer.Typer(
    name="restsync",
    help="Sync REST APIs described as dlt rest_api configs into DuckDB or any dlt destination.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EXIT_CODES: list[tuple[type[RestSyncError], int]] = [
    (ConfigError, 2),
    (APIError, 3),
    (LoadError, 4),
]

ConfigArg = Annotated[
    str, typer.Argument(help="A built-in connector name (see `restsync connectors`) or a file.")
]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except RestSyncError as exc:
        code = next((c for kind, c in EXIT_CODES if isinstance(exc, kind)), 1)
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(code) from None


def _with_limits(
    config: SourceConfig,
    max_in_flight: int | None,
    requests_per_second: float | None,
    page_window: int | None,
) -> SourceConfig:
    updates: dict[str, Any] = {
        key: value
        for key, value in (
            ("max_in_flight", max_in_flight),
            ("requests_per_second", requests_per_second),
            ("page_window", page_window),
        )
        if value is not None
    }
    if not updates:
        return config
    merged = {**config.client.limits.model_dump(), **updates}
    limits = type(config.client.limits).model_validate(merged)
    return config.model_copy(update={"client": config.client.model_copy(update={"limits": limits})})


class _ProgressDisplay:
    """One line per resource: pages, records, retries; only on a terminal."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description:<24}"),
            BarColumn(bar_width=None, pulse_style="cyan"),
            TextColumn("{task.fields[pages]:>6} pages {task.fields[records]:>9} records"),
            TextColumn("{task.fields[retries]} retries"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __call__(self, event: ProgressEvent) -> None:
        task = self.tasks.get(event.resource)
        if task is None:
            task = self.progress.add_task(event.resource, total=None, pages=0, records=0, retries=0)
            self.tasks[event.resource] = task
        if event.kind == "page":
            self.progress.update(task, pages=event.pages, records=event.records)
        elif event.kind in ("retry", "throttle"):
            retries = self.progress.tasks[self.tasks[event.resource]].fields["retries"] + 1
            self.progress.update(task, retries=retries)
        elif event.kind == "done":
            self.progress.update(
                task, total=1, completed=1, pages=event.pages, records=event.records
            )
        elif event.kind == "info":
            self.progress.console.print(f"[dim]{event.resource}: {event.message}[/]")


def _print_result(result: SyncResult, seconds: float) -> None:
    table = Table(title=f"{result.dataset} -> {result.destination}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.tables.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    for note in result.notes:
        out.print(f"[dim]note: {note}[/]")
    out.print(f"loaded in {seconds:.1f}s into [bold]{result.location}[/]")


@app.command()
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
) -> None:
    """Sync an API into a destination. Secrets come from environment variables or
    .dlt/secrets.toml, the way dlt resolves them."""
    with _errors():
        source = _with_limits(
            load_config(config, base_url=base_url), max_in_flight, rps, page_window
        )
        for warning in lint(source):
            err.print(f"[yellow]warning:[/] {warning}")
        started = time.perf_counter()
        with ExitStack() as stack:
            on_event = None
            if err.is_terminal:
                display = _ProgressDisplay(err)
                stack.enter_context(display.progress)
                on_event = display
            result = sync(
                source,
                destination=destination,
                dataset=dataset,
                duckdb_file=duckdb_file,
                on_event=on_event,
            )
        _print_result(result, time.perf_counter() - started)


@app.command()
def check(config: ConfigArg) -> None:
    """Validate a config and show what it would sync, without any request."""
    with _errors():
        source = load_config(config)
        table = Table(title=f"{source.name}: {source.client.base_url}", title_justify="left")
        for column in ("resource", "path", "paginator", "selector", "write", "primary key"):
            table.add_column(column)
        for resource in source.resources:
            paginator = resource.endpoint.paginator or source.client.paginator
            selector = resource.endpoint.data_selector
            table.add_row(
                resource.name,
                resource.endpoint.path,
                paginator.type if paginator else "auto",
                ".".join(selector) if isinstance(selector, tuple) else (selector or "auto"),
                str(resource.write_disposition),
                str(resource.primary_key or "-"),
            )
        out.print(table)
        warnings = lint(source)
        for warning in warnings:
            out.print(f"[yellow]warning:[/] {warning}")
        out.print("config is valid" + (f" ({len(warnings)} warnings)" if warnings else ""))


@app.command("connectors")
def list_connectors() -> None:
    """List the built-in connectors, their resources and the secrets they need."""
    table = Table(show_lines=True)
    for column in ("connector", "description", "resources", "secrets"):
        table.add_column(column)
    for name in connectors.names():
        connector = connectors.get(name)
        table.add_row(
            name,
            connector.description,
            ", ".join(connector.resource_names),
            "\n".join(f"{key}: {what}" for key, what in connector.secrets.items()),
        )
    out.print(table)


def demo_secrets(name: str) -> dict[str, str]:
    """Made-up secret values for running a connector against its emulator."""
    return {key: f"demo-{key}" for key in connectors.get(name).secrets}


def emulator_options(name: str, **overrides: Any) -> EmulatorOptions:
    """The connector's emulator settings with ``overrides`` (None values ignored) on top."""
    settings = dict(connectors.get(name).emulator) if name in connectors.names() else {}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return EmulatorOptions(**settings)


def _emulated_config(name: str) -> SourceConfig:
    secrets = demo_secrets(name) if name in connectors.names() else None
    return load_config(name, secrets=secrets)


@app.command()
def emulate(
    config: ConfigArg,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 8765,
    records: Annotated[int | None, typer.Option(help="Records per resource.")] = None,
    latency: Annotated[float | None, typer.Option(help="Seconds added to each request.")] = None,
    fault_rate: Annotated[
        float | None, typer.Option(help="Share of requests answered 429/5xx.")
    ] = None,
    rate_limit: Annotated[
        float | None, typer.Option(help="Requests/s allowed; beyond: 429 + Retry-After.")
    ] = None,
    generation: Annotated[
        int | None, typer.Option(help="Change some records (to try merges).")
    ] = None,
) -> None:
    """Serve a fake of the API a config describes, on 127.0.0.1, until Ctrl-C."""
    with _errors():
        source = _emulated_config(config)
        options = emulator_options(
            config,
            records=records,
            latency=latency,
            fault_rate=fault_rate,
            rate_limit=rate_limit,
            generation=generation,
        )
        with serve(source, options, port=port) as running:
            out.print(f"emulating [bold]{source.name}[/] at [bold]{running.url}[/]")
            if config in connectors.names():
                for key, value in demo_secrets(config).items():
                    out.print(f"  secret {key} = {value}")
            out.print("Ctrl-C to stop")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


@app.command()
def demo(
    duckdb_file: Annotated[Path, typer.Option(help="Where to write the DuckDB file.")] = Path(
        DEFAULT_DUCKDB_FILE
    ),
) -> None:
    """Sync every built-in connector from its bundled emulator into a local DuckDB file."""
    with _errors():
        summary = Table(title="restsync demo", title_justify="left")
        for column in ("dataset", "table", "rows"):
            summary.add_column(column)
        for name in connectors.names():
            source = _emulated_config(name)
            with serve(source, emulator_options(name)) as running:
                out.print(f"syncing [bold]{name}[/] from the emulator at {running.url}")
                result = sync(
                    source,
                    base_url=running.url,
                    dataset=name,
                    duckdb_file=duckdb_file,
                    pipeline_name=f"restsync_demo_{name}",
                )
            for table, rows in result.tables.items():
                summary.add_row(name, table, f"{rows:,}")
            for note in result.notes:
                out.print(f"[dim]note: {note}[/]")
        out.print(summary)
        out.print(f"DuckDB file: [bold]{duckdb_file.resolve()}[/]")


def main() -> None:
    app(prog_name="restsync")


if __name__ == "__main__":
    main()
