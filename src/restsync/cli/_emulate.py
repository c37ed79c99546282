"""``restsync emulate``: serve a fake of the API a config describes, until Ctrl-C."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.markup import escape

from restsync._exceptions import ConfigError
from restsync.emulator import RateHeaders, RateWindow, RecordShape, options_for, serve

from ._configs import ConfigArg, emulated_config
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
    rate_window: Annotated[
        RateWindow | None,
        typer.Option(
            help="How --rate-limit counts: bucket (a token bucket, silent until it refuses), "
            "fixed (windows of --rate-period seconds aligned to the clock, as GitHub's) or "
            "sliding (any --rate-period seconds); a window announces its budget on every "
            "answer."
        ),
    ] = None,
    rate_period: Annotated[
        float | None,
        typer.Option(
            help="Seconds per window of --rate-window fixed or sliding: it allows "
            "--rate-limit x --rate-period requests (default 1)."
        ),
    ] = None,
    rate_headers: Annotated[
        RateHeaders | None,
        typer.Option(
            help="How a window announces its budget: epoch (X-RateLimit-Limit/Remaining/"
            "Reset, the reset a Unix time), seconds (the same, the reset in seconds from now) "
            "or ietf (RateLimit and RateLimit-Policy)."
        ),
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
        options = options_for(
            config,
            records=records,
            latency=latency,
            fault_rate=fault_rate,
            rate_limit=rate_limit,
            rate_window=rate_window,
            rate_period=rate_period,
            rate_headers=rate_headers,
            generation=generation,
            shape=shape,
        )
        if options.rate_window == "bucket" and (rate_period, rate_headers) != (None, None):
            raise ConfigError(
                "--rate-period and --rate-headers shape a window: add --rate-window fixed or "
                "sliding"
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
