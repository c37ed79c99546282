"""Where a sync loads to: the destination named by the user, checked before any request, and
dlt's configuration failures turned into one sentence saying what to set.

``resolve_destination`` is the one place that decides whether a destination name and a DuckDB
file can work; ``sync`` calls it first, and the CLI relies on it (``demo`` calls it for every
dataset before syncing any). ``missing_configuration`` reads dlt's report of unresolved
settings (every provider and key it tried, for every field) and says instead what to set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import dlt

from restsync._dlt import (
    ConfigFieldMissingException,
    Destination,
    DuckDbCredentials,
    UnknownDestinationModule,
)
from restsync._exceptions import ConfigError, LoadError

__all__ = ["find_cause", "missing_configuration", "resolve_destination"]

_CREDENTIALS_EXAMPLES = {
    "postgres": "postgresql://user:password@host:5432/database",
    "motherduck": "md:///database?token=...",
}


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _known_destinations() -> list[str]:
    # ``destination`` is dlt's decorator for custom destinations, not a name to load into
    return sorted(d for d in dlt.destinations.__all__ if d != "destination")


def resolve_destination(
    name: str, *, dataset: str, duckdb_file: str | Path, duckdb_memory_limit: str | None = None
) -> Any:
    """The dlt destination for ``name`` (the DuckDB file ``duckdb_file`` for ``duckdb``,
    with DuckDB's ``memory_limit`` set when ``duckdb_memory_limit`` is given, e.g. "256MB").

    Raises ``ConfigError`` when dlt knows no destination ``name`` (with the closest known
    name), or when ``dataset`` is named like the DuckDB file: DuckDB calls the database after
    the file's stem and then cannot tell ``name.table`` apart.
    """
    if name == "duckdb":
        path = Path(duckdb_file)
        if dataset.lower() == path.stem.lower():
            raise ConfigError(
                f"dataset {dataset!r} has the name of the DuckDB file {str(path)!r}, which "
                "DuckDB cannot tell apart; choose another dataset name or DuckDB file",
                location="dataset",
            )
        if duckdb_memory_limit is None:
            return dlt.destinations.duckdb(str(path.resolve()))
        if not _MEMORY.fullmatch(duckdb_memory_limit.strip()):
            raise ConfigError(
                f"{duckdb_memory_limit!r} is not an amount of memory; write it like 256MB or 1GB",
                location="duckdb_memory_limit",
            )
        # without a fixed row order DuckDB inserts in parallel and holds less of the data in
        # memory at once (20% faster under a 96MB cap, 1M rows); SQL tables have no order
        settings = {"memory_limit": duckdb_memory_limit, "preserve_insertion_order": False}
        credentials = DuckDbCredentials(str(path.resolve()), global_config=settings)
        return dlt.destinations.duckdb(credentials)
    try:
        return Destination.from_reference(name)
    except UnknownDestinationModule:
        known = _known_destinations()
        close = get_close_matches(name.lower(), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown destination {name!r}{hint}; use one of {', '.join(known)}, "
            f"or a named destination with [destination.{name}] destination_type set in "
            ".dlt/config.toml",
            location="destination",
        ) from None


def _missing_fields(traces: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the fields dlt could not resolve (``credentials.password``)."""
    names: list[str] = []
    for field, field_traces in traces.items():
        nested = [t for t in field_traces if hasattr(t, "traces") and hasattr(t, "spec_name")]
        if nested:
            for trace in nested:
                names.extend(_missing_fields(trace.traces, f"{prefix}{field}."))
        else:
            names.append(f"{prefix}{field}")
    return list(dict.fromkeys(names))


def find_cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """``exc`` or the first exception of ``kind`` in its chain of causes and contexts."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def missing_configuration(exc: BaseException, destination: str) -> ConfigError | LoadError | None:
    """The error to raise when ``exc`` (or its cause) is dlt failing to resolve the settings
    of ``destination``; None for any other failure.

    Credentials given without a password are a ``ConfigError`` saying where to put one: dlt
    insists on a password, also for servers that would not check it. Anything else missing is
    a ``LoadError`` naming the fields and the variable that sets them all.
    """
    missing = find_cause(exc, ConfigFieldMissingException)
    if not isinstance(missing, ConfigFieldMissingException):
        return None
    fields = _missing_fields(missing.traces)
    variable = f"DESTINATION__{destination.upper()}__CREDENTIALS"
    docs = f"https://dlthub.com/docs/dlt-ecosystem/destinations/{destination}"
    if fields == ["credentials.password"]:
        return ConfigError(
            f"the credentials of destination {destination!r} have no password, and dlt requires "
            f"one: put it into the URL in {variable} (user:password@host), or set "
            f"{variable}__PASSWORD, or password under [destination.{destination}.credentials] "
            "in .dlt/secrets.toml; any value will do when the server does not check it "
            "(trust authentication)",
            location=variable,
        )
    example = _CREDENTIALS_EXAMPLES.get(destination, "")
    return LoadError(
        f"destination {destination!r} is not configured: missing {', '.join(fields)}. Set "
        f"{variable}{f' (e.g. {example})' if example else ''} or add "
        f"[destination.{destination}] credentials to .dlt/secrets.toml; see {docs}"
    )
