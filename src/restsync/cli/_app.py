"""The ``restsync`` command: thin commands over the library, one library call each.

This is the only place where restsync errors become a message and an exit code: 2 = fix your
config, 3 = the API failed, 4 = the destination failed, 130 = interrupted, 1 = anything else
(the message says what). Every error is one message on stderr, never a traceback
(``--verbose`` shows the traceback of unexpected errors).

Output rules: results go to stdout, warnings, errors and progress to stderr. The live progress
display is drawn only on a terminal; piped output keeps whole lines (no wrapping, no truncated
table cells) so it can be grepped. Log records become one short line each: restsync's from
WARNING, dlt's from ERROR (``--verbose``: both from INFO); httpx, httpcore and uvicorn, which
log every request, only from WARNING.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from restsync import connectors, tune_process
from restsync._exceptions import APIError, ConfigError, LoadError, RestSyncError
from restsync.config import SourceConfig, lint, load_config
from restsync.emulator import EmulatorOptions, serve
from restsync.engine import ProgressEvent
from restsync.source import DEFAULT_DUCKDB_FILE, SyncResult, resolve_destination, sync

app = typer.Typer(
    name="restsync",
    help="Sync REST APIs described as dlt rest_api configs into DuckDB or any dlt destination.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CODES: list[tuple[type[RestSyncError], int]] = [
    (ConfigError, 2),
    (APIError, 3),
    (LoadError, 4),
]
EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130

# Wide enough that no message line wraps and no table cell is cut when output is piped.
_PIPE_WIDTH = 1000
# Loggers that log every request at INFO: a sync makes thousands.
_CHATTY_LOGGERS = ("httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access")

# The library's parameter names in ConfigError locations, as the options that set them.
_OPTION_NAMES = {"destination": "--destination", "dataset": "--dataset"}

ConfigArg = Annotated[
    str, typer.Argument(help="A built-in connector name (see `restsync connectors`) or a file.")
]


@dataclass
class _Settings:
    verbose: bool = False


_settings = _Settings()


# --- output -----------------------------------------------------------------------------------


def _console(*, stderr: bool = False) -> Console:
    """A console on the current stdout or stderr (looked up now, so tests capturing either
    see the output): terminal width on a terminal, unlimited width otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else _PIPE_WIDTH
    return Console(file=stream, width=width, highlight=False)


def _say(text: str, *, stderr: bool = False, style: str = "", prefix: str = "") -> None:
    """One message line; ``text`` is printed literally (never read as rich markup)."""
    head = f"[{style}]{prefix}[/] " if style and prefix else (f"{prefix} " if prefix else "")
    _console(stderr=stderr).print(f"{head}{escape(text)}", soft_wrap=True)


def _warn(text: str) -> None:
    _say(text, stderr=True, style="yellow", prefix="warning:")


def _print_notes(notes: list[str], *, stderr: bool = False) -> None:
    """Notes are ``resource: message``; one line per distinct message, naming its resources,
    so nine resources making the same decision do not print nine lines."""
    grouped: dict[str, list[str]] = {}
    for note in notes:
        resource, sep, message = note.partition(": ")
        if sep:
            grouped.setdefault(message, []).append(resource)
        else:
            grouped.setdefault(note, [])
    for message, resources in grouped.items():
        where = f"{', '.join(resources)}: " if resources else ""
        _say(f"{where}{message}", stderr=stderr, style="dim", prefix="note:")


class _LogLine(logging.Handler):
    """Log records as one line each on stderr, each distinct line once. dlt's warnings run to
    a dozen lines of advice for library users and repeat per batch; on a command line the
    first paragraph, once, is what matters."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self._seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            first = record.getMessage().strip().split("\n\n", 1)[0]
            line = " ".join(first.split())
            if line in self._seen:
                return
            self._seen.add(line)
            style = "yellow" if record.levelno >= logging.WARNING else "dim"
            _say(
                line, stderr=True, style=style, prefix=f"{record.name} {record.levelname.lower()}:"
            )
        except Exception:
            self.handleError(record)


def _setup_logging(*, verbose: bool) -> None:
    """restsync's warnings are shown; dlt's only from ERROR up, because they advise on dlt
    code (resource decorators, log levels) a command-line user does not write. ``verbose``
    shows both from INFO up."""
    levels = {
        "restsync": logging.INFO if verbose else logging.WARNING,
        "dlt": logging.INFO if verbose else logging.ERROR,
    }
    for name, level in levels.items():
        logger = logging.getLogger(name)
        # dlt reuses the first handler it finds on its logger (and only sets its formatter),
        # so ours must be the only one, also when dlt already set up its own in this process;
        # dlt also resets its logger's level from its runtime config: the handler's level holds
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(_LogLine(level))
        logger.propagate = False
        logger.setLevel(level)
    if verbose:
        os.environ["RUNTIME__LOG_LEVEL"] = "INFO"
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


# --- errors -----------------------------------------------------------------------------------


def _describe(exc: RestSyncError) -> str:
    """The message for ``exc``; a location naming a ``sync`` parameter names its option."""
    if isinstance(exc, ConfigError) and exc.location in _OPTION_NAMES:
        return f"{_OPTION_NAMES[exc.location]}: {exc.detail}"
    return str(exc)


def _fail(message: str, code: int) -> typer.Exit:
    _say(message, stderr=True, style="bold red", prefix="error:")
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn whatever escapes a command into one message on stderr and an exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except RestSyncError as exc:
        code = next((c for kind, c in EXIT_CODES if isinstance(exc, kind)), EXIT_UNEXPECTED)
        raise _fail(_describe(exc), code) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:
        if _settings.verbose:
            raise
        first = str(exc).strip().split("\n\n", 1)[0]
        raise _fail(
            f"unexpected {type(exc).__name__}: {' '.join(first.split())}\n"
            "  this is a bug in restsync: rerun with --verbose for the traceback and report it",
            EXIT_UNEXPECTED,
        ) from None


# --- secrets ----------------------------------------------------------------------------------


class _SecretAnswers(Mapping[str, str]):
    """Answers every ``{"secret": NAME}`` reference of a config with ``value(NAME)`` and
    remembers the names asked for (to report them, or to print made-up ones)."""

    def __init__(self, value: Callable[[str], str]) -> None:
        self._value = value
        self.asked: dict[str, str] = {}

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __getitem__(self, key: str) -> str:
        if key not in self.asked:
            self.asked[key] = self._value(key)
        return self.asked[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.asked)

    def __len__(self) -> int:
        return len(self.asked)


def _demo_value(name: str) -> str:
    return f"demo-{name}"


def _secret_is_set(name: str) -> bool:
    import dlt

    from restsync._dlt import DltException

    try:
        dlt.secrets[name]
    except (KeyError, DltException):
        return False
    return True


def demo_secrets(name: str) -> dict[str, str]:
    """Made-up secret values for running built-in connector ``name`` against its emulator."""
    return {key: _demo_value(key) for key in connectors.get(name).secrets}


def _emulated_config(name: str) -> tuple[SourceConfig, dict[str, str]]:
    """The config to emulate and the made-up secrets it uses: every secret reference (of a
    built-in connector or a file) is answered with a demo value, never a real secret."""
    answers = _SecretAnswers(_demo_value)
    return load_config(name, secrets=answers), dict(answers.asked)


# --- run --------------------------------------------------------------------------------------


_LIMIT_OPTIONS = {
    "max_in_flight": "--max-in-flight",
    "requests_per_second": "--rps",
    "page_window": "--page-window",
}


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
            task = self.progress.add_task(
                escape(event.resource), total=None, pages=0, records=0, retries=0
            )
            self.tasks[event.resource] = task
        if event.kind == "page":
            self.progress.update(task, pages=event.pages, records=event.records)
        elif event.kind in ("retry", "throttle"):
            retries = self.progress.tasks[task].fields["retries"] + 1
            self.progress.update(task, retries=retries)
        elif event.kind == "done":
            self.progress.update(
                task, total=1, completed=1, pages=event.pages, records=event.records
            )


@contextmanager
def _progress() -> Iterator[Callable[[ProgressEvent], None] | None]:
    """A live progress display on stderr when it is a terminal, else nothing."""
    console = _console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    display = _ProgressDisplay(console)
    with display.progress:
        yield display


def _print_result(result: SyncResult, seconds: float) -> None:
    table = Table(title=escape(f"{result.dataset} -> {result.destination}"), title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in result.tables.items():
        table.add_row(escape(name), f"{rows:,}")
    out = _console()
    out.print(table)
    _print_notes(result.notes)
    out.print(f"loaded in {seconds:.1f}s into [bold]{escape(result.location)}[/]", soft_wrap=True)


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show INFO logs of restsync and dlt, and tracebacks of unexpected errors.",
        ),
    ] = False,
) -> None:
    _settings.verbose = verbose
    _setup_logging(verbose=verbose)


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
    duckdb_memory_limit: Annotated[
        str | None,
        typer.Option(help="Cap DuckDB's memory while loading, e.g. 256MB (default: DuckDB's)."),
    ] = None,
) -> None:
    """Sync an API into a destination (DuckDB file by default).

    Secrets come from environment variables or .dlt/secrets.toml, the way dlt resolves them;
    destination credentials too (e.g. DESTINATION__POSTGRES__CREDENTIALS).
    """
    with _errors():
        source = _with_limits(
            load_config(config, base_url=base_url), max_in_flight, rps, page_window
        )
        for warning in lint(source):
            _warn(warning)
        started = time.perf_counter()
        with _progress() as on_event:
            result = sync(
                source,
                destination=destination,
                dataset=dataset,
                duckdb_file=duckdb_file,
                duckdb_memory_limit=duckdb_memory_limit,
                on_event=on_event,
            )
        _print_result(result, time.perf_counter() - started)


# --- check, connectors ------------------------------------------------------------------------


@app.command()
def check(config: ConfigArg) -> None:
    """Validate a config and show what it would sync, without any request.

    Secrets need not be set; the ones that are not are listed as warnings.
    """
    with _errors():
        answers = _SecretAnswers(lambda name: "<not checked>")
        source = load_config(config, secrets=answers)
        table = Table(
            title=escape(f"{source.name}: {source.client.base_url}"), title_justify="left"
        )
        for column in ("resource", "path", "paginator", "selector", "write", "primary key"):
            table.add_column(column)
        for resource in source.resources:
            paginator = resource.endpoint.paginator or source.client.paginator
            selector = resource.endpoint.data_selector
            table.add_row(
                *(
                    escape(cell)
                    for cell in (
                        resource.name,
                        resource.endpoint.path,
                        paginator.type if paginator else "auto",
                        ".".join(selector) if isinstance(selector, tuple) else (selector or "auto"),
                        str(resource.write_disposition),
                        str(resource.primary_key or "-"),
                    )
                )
            )
        _console().print(table)
        warnings = lint(source)
        for name in answers:
            if not _secret_is_set(name):
                env_name = name.upper().replace(".", "__")
                warnings.append(
                    f"secret {name!r} is not set; `restsync run` needs it: export "
                    f'{env_name}=... or add {name} = "..." to .dlt/secrets.toml'
                )
        for warning in warnings:
            _say(warning, style="yellow", prefix="warning:")
        count = f" ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})" if warnings else ""
        _say(f"config is valid{count}")


@app.command("connectors")
def list_connectors() -> None:
    """List the built-in connectors, their resources and the secrets they need."""
    out = _console()
    for name in connectors.names():
        connector = connectors.get(name)
        out.print(f"[bold]{escape(name)}[/]: {escape(connector.description)}", soft_wrap=True)
        out.print(f"  resources: {escape(', '.join(connector.resource_names))}", soft_wrap=True)
        for key, what in connector.secrets.items():
            env_name = key.upper()
            out.print(
                f"  secret {escape(key)} ({escape(env_name)}): {escape(what)}", soft_wrap=True
            )


# --- emulate, demo ----------------------------------------------------------------------------


def emulator_options(name: str, **overrides: Any) -> EmulatorOptions:
    """The connector's emulator settings with ``overrides`` (None values ignored) on top."""
    settings = dict(connectors.get(name).emulator) if name in connectors.names() else {}
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return EmulatorOptions(**settings)


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
    """Serve a fake of the API a config describes, on 127.0.0.1, until Ctrl-C.

    Secrets are made up (printed at start): send them to the fake API.
    """
    with _errors():
        source, secrets = _emulated_config(config)
        options = emulator_options(
            config,
            records=records,
            latency=latency,
            fault_rate=fault_rate,
            rate_limit=rate_limit,
            generation=generation,
        )
        with serve(source, options, port=port) as running:
            out = _console()
            out.print(
                f"emulating [bold]{escape(source.name)}[/] at [bold]{escape(running.url)}[/]",
                soft_wrap=True,
            )
            for key, value in secrets.items():
                out.print(f"  secret {escape(key)} = {escape(value)}", soft_wrap=True)
            out.print("Ctrl-C to stop")
            out.file.flush()
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
        # every dataset checked before the first sync, so a bad file name loads nothing
        for name in connectors.names():
            resolve_destination("duckdb", dataset=name, duckdb_file=duckdb_file)
        summary = Table(title="restsync demo", title_justify="left")
        summary.add_column("dataset")
        summary.add_column("table")
        summary.add_column("rows", justify="right")
        for name in connectors.names():
            source, _ = _emulated_config(name)
            with serve(source, emulator_options(name)) as running:
                _say(f"syncing {name} from the emulator at {running.url}", stderr=True)
                with _progress() as on_event:
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
            _print_notes(result.notes, stderr=True)
        out = _console()
        out.print(summary)
        out.print(f"DuckDB file: [bold]{escape(str(duckdb_file.resolve()))}[/]", soft_wrap=True)


def execute() -> int:
    """Runs the command ``sys.argv`` names and returns its exit status."""
    # dlt sends anonymous usage events to dltHub from every pipeline unless told not to; a
    # command syncing an API should talk to that API only. Setting it to true turns it back on
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    try:
        app(prog_name="restsync")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def main() -> NoReturn:
    """The console script (and ``python -m restsync``): ``execute``, then the process ends once
    the exit handlers ran and the output is flushed, without tearing the interpreter down.
    The teardown frees nothing the system does not, and during it DuckDB's bindings (nanobind)
    report their module-level objects as leaked whenever modules happen to go in another
    order; with aiohttp loaded that printed ~40 lines of "nanobind: leaked" after the demo."""
    tune_process()  # this process is restsync's own: tune it as a library must not
    status = execute()
    atexit._run_exitfuncs()  # logging's flush, dlt's, the user's
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
