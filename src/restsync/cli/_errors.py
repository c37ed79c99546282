"""The one place where restsync errors become a message and an exit code.

    2    fix your config (``ConfigError``)
    3    the API failed (``APIError``)
    4    the destination failed (``LoadError``)
    130  interrupted (Ctrl-C)
    1    anything else (the message says what)

Every error is one message on stderr, never a traceback (``--verbose`` shows the traceback of
unexpected errors). Commands run their body inside ``errors()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer

from restsync._exceptions import APIError, ConfigError, Interrupted, LoadError, RestSyncError

from ._output import say

EXIT_CODES: list[tuple[type[RestSyncError], int]] = [
    (ConfigError, 2),
    (APIError, 3),
    (LoadError, 4),
]
EXIT_UNEXPECTED = 1
EXIT_INTERRUPTED = 130

# The library's parameter names in ConfigError locations, as the options that set them.
_OPTION_NAMES = {"destination": "--destination", "dataset": "--dataset"}


@dataclass
class _Settings:
    verbose: bool = False


settings = _Settings()


def _describe(exc: RestSyncError | Interrupted) -> str:
    """The message for ``exc``; a location naming a ``sync`` parameter names its option, and a
    pending load the options that deal with it."""
    if isinstance(exc, ConfigError) and exc.location in _OPTION_NAMES:
        return f"{_OPTION_NAMES[exc.location]}: {exc.detail}"
    if isinstance(exc, LoadError | Interrupted) and exc.pending_load is not None:
        return (
            f"{exc.detail}; load {exc.pending_load} stays pending: `restsync run` finishes it "
            "before fetching anything, `restsync run --drop-pending` discards it (and fetches "
            "its data again)"
        )
    return str(exc)


def exit_code(exc: RestSyncError) -> int:
    """The exit status that says what the user should do about ``exc``."""
    return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), EXIT_UNEXPECTED)


def fail(message: str, code: int) -> typer.Exit:
    """Prints ``message`` as the error and returns the exit to raise."""
    say(message, stderr=True, style="bold red", prefix="error:")
    return typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn whatever escapes a command into one message on stderr and an exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except RestSyncError as exc:
        raise fail(_describe(exc), exit_code(exc)) from None
    except Interrupted as exc:
        raise fail(_describe(exc), EXIT_INTERRUPTED) from None
    except KeyboardInterrupt:
        raise fail("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:
        if settings.verbose:
            raise
        first = str(exc).strip().split("\n\n", 1)[0]
        raise fail(
            f"unexpected {type(exc).__name__}: {' '.join(first.split())}\n"
            "  this is a bug in restsync: rerun with --verbose for the traceback and report it",
            EXIT_UNEXPECTED,
        ) from None
