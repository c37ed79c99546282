"""The ``restsync`` command: thin commands over the library, one library call each, one
module per command; errors become messages and exit codes in ``_errors`` only.

``main`` is the console script. Process-wide tuning belongs here, in the program, never in
the library a program imports: the library leaves the interpreter, the environment and the
process exit as it found them.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Annotated, NoReturn

import typer

from restsync import tune_process

from ._check import check
from ._connectors import list_connectors
from ._demo import demo
from ._emulate import emulate
from ._errors import settings
from ._output import setup_logging
from ._run import run

app = typer.Typer(
    name="restsync",
    help="Sync REST APIs described as dlt rest_api configs into DuckDB or any dlt destination.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    settings.verbose = verbose
    setup_logging(verbose=verbose)


app.command()(run)
app.command()(check)
app.command("connectors")(list_connectors)
app.command()(emulate)
app.command()(demo)


def execute() -> int:
    """Runs the command ``sys.argv`` names and returns its exit status."""
    # dlt sends anonymous usage events to dltHub from every pipeline unless told not to; a
    # command syncing an API should talk to that API only. Setting it to true turns it back on
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # dlt holds Ctrl-C back until its running load jobs finish (seconds, or forever on a
    # blocked table); stopping at once is safe: a job's transaction rolls back, and the load
    # stays pending for the next run to finish (see restsync.Interrupted)
    os.environ.setdefault("RUNTIME__INTERCEPT_SIGNALS", "false")
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
