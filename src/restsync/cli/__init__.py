"""The ``restsync`` command line (typer): run, check, connectors, emulate, demo."""

from __future__ import annotations

from ._app import app, execute, main

__all__ = ["app", "execute", "main"]
