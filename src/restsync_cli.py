"""The ``restsync`` console script's entry point, outside the ``restsync`` package on purpose.

Importing restsync (dlt, pyarrow, DuckDB) takes a second or more. The interpreter imports a
package before any module in it runs, so only a module outside it can catch Ctrl-C during that
import and end the way Ctrl-C ends any other phase of a command: one line and exit 130, no
traceback.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Imports the command line, then runs it (``restsync.cli.main``)."""
    try:
        from restsync.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted while starting: nothing was fetched or loaded\n")
        sys.stderr.flush()
        os._exit(130)
    run()
