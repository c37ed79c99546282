"""``restsync emulate``: serve a fake of the API a config describes, until Ctrl-C."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape

from restsync.emulator import RecordShape, serve

from ._configs import ConfigArg, emulated_config, emulator_options
from ._errors import errors
from ._output import console


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
    shape: Annotated[
        RecordShape | None,
        typer.Option(
            help="Records: flat (the hinted columns) or realistic (lists, nested objects, "
            "mixed types, late and mostly-null fields, colliding keys)."
        ),
    ] = None,
) -> None:
    """Serve a fake of the API a config describes, on 127.0.0.1, until Ctrl-C.

    Secrets are made up (printed at start): send them to the fake API.
    """
    with errors():
        source, secrets = emulated_config(config)
        options = emulator_options(
            config,
            records=records,
            latency=latency,
            fault_rate=fault_rate,
            rate_limit=rate_limit,
            generation=generation,
            shape=shape,
        )
        with serve(source, options, port=port) as running:
            out = console()
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
