"""What the command line prints, and where: results on stdout; warnings, errors, notes and
progress on stderr.

The live progress display is drawn only on a terminal; piped output keeps whole lines (no
wrapping, no truncated table cells) so it can be grepped. Log records become one short line
each: restsync's from WARNING, dlt's from CRITICAL (``--verbose``: both from INFO); httpx,
httpcore and uvicorn, which log every request, only from WARNING.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from restsync.engine import ProgressEvent

# Wide enough that no message line wraps and no table cell is cut when output is piped.
_PIPE_WIDTH = 1000
# Loggers that log every request at INFO: a sync makes thousands.
_CHATTY_LOGGERS = ("httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access")


def console(*, stderr: bool = False) -> Console:
    """A console on the current stdout or stderr (looked up now, so tests capturing either
    see the output): terminal width on a terminal, unlimited width otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else _PIPE_WIDTH
    return Console(file=stream, width=width, highlight=False)


def say(text: str, *, stderr: bool = False, style: str = "", prefix: str = "") -> None:
    """One message line; ``text`` is printed literally (never read as rich markup)."""
    head = f"[{style}]{prefix}[/] " if style and prefix else (f"{prefix} " if prefix else "")
    console(stderr=stderr).print(f"{head}{escape(text)}", soft_wrap=True)


def warn(text: str, *, stderr: bool = True) -> None:
    say(text, stderr=stderr, style="yellow", prefix="warning:")


def print_notes(notes: list[str], *, stderr: bool = False) -> None:
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
        say(f"{where}{message}", stderr=stderr, style="dim", prefix="note:")


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
            say(line, stderr=True, style=style, prefix=f"{record.name} {record.levelname.lower()}:")
        except Exception:
            self.handleError(record)


def setup_logging(*, verbose: bool) -> None:
    """restsync's warnings are shown; dlt's warnings advise on dlt code (resource decorators,
    log levels) a command-line user does not write, and its errors repeat, with tracebacks, the
    failure the command ends with in one line: only its critical records are shown. ``verbose``
    shows both from INFO up."""
    levels = {
        "restsync": logging.INFO if verbose else logging.WARNING,
        "dlt": logging.INFO if verbose else logging.CRITICAL,
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
def progress() -> Iterator[Callable[[ProgressEvent], None] | None]:
    """A live progress display on stderr when it is a terminal, else nothing."""
    err = console(stderr=True)
    if not err.is_terminal:
        yield None
        return
    display = _ProgressDisplay(err)
    with display.progress:
        yield display
