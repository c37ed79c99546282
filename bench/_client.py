"""One measured client run: restsync (``sync()`` or its drop-in ``rest_api_source`` under a
plain dlt pipeline) or dlt's own ``rest_api_source`` loading from an emulator into a fresh
DuckDB file or PostgreSQL schema, or the pure-parse baseline.

A run is described by a picklable ``RunSpec`` and executed either in this process or in a fresh
interpreter (``execute_isolated``), which is the only way to read a client's own peak resident
memory (``VmHWM``) and keeps one run's garbage from slowing the next. Timing starts after
the imports and covers what a user waits for: building the source and pipeline, extracting,
normalising and loading. A run may sync more than once into the same destination (one base URL
per sync: a merge workload's second sync reads an API whose data changed); each sync is timed.
Every run then counts the rows of each expected table: a run that loaded anything but the
expected row counts is reported as failed.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Tool = Literal["restsync", "dropin", "dlt", "parse"]
Destination = Literal["duckdb", "postgres"]
DATASET = "bench"
# not "bench.duckdb": a catalog named like the dataset confuses DuckDB's binder
DB_FILE = "data.duckdb"
#: where the PostgreSQL workload loads (dlt insists on a password; a trusting server ignores it)
POSTGRES_URL = os.environ.get(
    "RESTSYNC_BENCH_POSTGRES", "postgresql://postgres:unused@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class RunSpec:
    """What to run. ``config`` is a ``rest_api_source`` dict (restsync's dialect for
    ``restsync`` and ``dropin``, dlt's for ``dlt``; ``secrets`` answer ``{secret: NAME}``
    references); each of ``urls`` replaces its base URL for one sync, in order, into the same
    destination. ``expected`` is the row count per table after the last sync.
    ``loader_file_format`` goes to ``pipeline.run`` (dlt and dropin) or ``sync``;
    ``sync_options`` go to ``restsync.sync`` as they are (e.g. ``duckdb_memory_limit``).
    ``destination`` is a DuckDB file in ``workdir`` or schema ``dataset`` of ``POSTGRES_URL``.
    For ``parse``: ``pages`` is the list of page URLs to fetch (untimed) and ``headers``,
    ``selector`` say how to authenticate and where the records are. ``phases`` (``dropin``
    and ``dlt``): the pipeline's steps are called one by one (``extract``, ``normalize``,
    ``load``, what ``pipeline.run`` calls) and each is timed."""

    tool: Tool
    workdir: str
    config: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    expected: Mapping[str, int] = field(default_factory=dict)
    loader_file_format: str | None = None
    destination: Destination = "duckdb"
    dataset: str = DATASET
    pages: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    selector: tuple[str, ...] = ()
    sync_options: Mapping[str, Any] = field(default_factory=dict)  # restsync.sync() keywords
    phases: bool = False


@dataclass
class RunResult:
    """What one run measured. ``wall_s`` is the time of all its syncs, ``syncs_s`` each one's;
    ``extract_s`` the time from the start until the last page reached the pipeline (restsync's
    ``sync`` only, first sync: from its progress events); ``rows`` the rows found per table;
    ``rss_mb`` the process's peak resident memory (isolated runs only) and ``import_rss_mb``
    the peak right after the imports, before the run; ``phases_s`` the seconds of each
    pipeline step per sync (``RunSpec.phases`` only)."""

    ok: bool
    wall_s: float = 0.0
    syncs_s: list[float] = field(default_factory=list)
    extract_s: float | None = None
    records: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    rss_mb: float | None = None
    import_rss_mb: float | None = None
    phases_s: list[dict[str, float]] = field(default_factory=list)
    pid: int = 0


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB. ``VmHWM`` belongs to the process's own
    address space; ``ru_maxrss`` would also count the parent's memory at ``fork`` time, which
    Linux carries across ``exec``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@contextmanager
def loaded(spec: RunSpec) -> Iterator[Any]:
    """A DB-API cursor on what ``spec``'s run loaded (None: nothing was, no DuckDB file)."""
    if spec.destination == "postgres":
        import psycopg2

        with psycopg2.connect(POSTGRES_URL) as connection, connection.cursor() as cursor:
            yield cursor
        connection.close()
        return
    import duckdb

    db_file = Path(spec.workdir) / DB_FILE
    if not db_file.exists():
        yield None
        return
    with duckdb.connect(str(db_file), read_only=True) as connection:
        yield connection.cursor()


def count_rows(spec: RunSpec) -> dict[str, int]:
    """Rows per expected table of ``spec``'s dataset (-1 for a table that does not exist)."""
    placeholder = "%s" if spec.destination == "postgres" else "?"
    with loaded(spec) as cursor:
        if cursor is None:
            return dict.fromkeys(spec.expected, -1)
        cursor.execute(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = {placeholder}",
            [spec.dataset],
        )
        present = {name for (name,) in cursor.fetchall()}
        counts: dict[str, int] = {}
        for table in spec.expected:
            if table not in present:
                counts[table] = -1
                continue
            cursor.execute(f'SELECT COUNT(*) FROM "{spec.dataset}"."{table}"')
            counts[table] = int(cursor.fetchall()[0][0])
    return counts


def drop_dataset(spec: RunSpec) -> None:
    """Remove what a PostgreSQL run loaded (its schema and dlt's staging schema)."""
    if spec.destination != "postgres":
        return
    import psycopg2

    with psycopg2.connect(POSTGRES_URL) as connection, connection.cursor() as cursor:
        for schema in (spec.dataset, f"{spec.dataset}_staging"):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def _verify(result: RunResult, spec: RunSpec) -> None:
    result.rows = count_rows(spec)
    wrong = {t: (result.rows[t], n) for t, n in spec.expected.items() if result.rows[t] != n}
    if wrong:
        shown = ", ".join(f"{t}: {got} rows, expected {want}" for t, (got, want) in wrong.items())
        result.ok = False
        result.error = f"wrong row counts: {shown}"


def _timed_syncs(spec: RunSpec, result: RunResult, sync_once: Any) -> None:
    """Run ``sync_once(url, start)`` for each of ``spec.urls``, timing each; a failure ends
    the run as failed."""
    for url in spec.urls:
        start = time.perf_counter()
        try:
            sync_once(url, start)
        except Exception as exc:
            result.ok = False
            result.error = f"{type(exc).__name__}: {exc}"[:1000]
        result.syncs_s.append(time.perf_counter() - start)
        if not result.ok:
            break
    result.wall_s = sum(result.syncs_s)
    if result.ok:
        _verify(result, spec)


def _run_restsync(spec: RunSpec, result: RunResult) -> None:
    import restsync

    workdir = Path(spec.workdir)
    last_page = [0.0]

    def on_event(event: restsync.ProgressEvent) -> None:
        if event.kind in ("page", "done"):
            last_page[0] = time.perf_counter()

    def sync_once(url: str, start: float) -> None:
        restsync.sync(
            dict(spec.config),
            secrets=dict(spec.secrets),
            base_url=url,
            destination=spec.destination,
            duckdb_file=workdir / DB_FILE,
            pipelines_dir=workdir / "pipelines",
            dataset=spec.dataset,
            pipeline_name="bench_restsync",
            on_event=on_event if not result.syncs_s else None,
            loader_file_format=spec.loader_file_format,  # type: ignore[arg-type]
            **spec.sync_options,
        )
        if last_page[0] and result.extract_s is None:
            result.extract_s = last_page[0] - start

    if spec.destination == "postgres":
        # restsync.sync resolves credentials the way dlt does; the bench is the program here
        os.environ["DESTINATION__POSTGRES__CREDENTIALS"] = POSTGRES_URL
    _timed_syncs(spec, result, sync_once)


def _run_pipeline(spec: RunSpec, result: RunResult) -> None:
    """A plain ``dlt.pipeline(...).run(rest_api_source(config))``: dlt's own source, or
    restsync's drop-in (the seeds' code with its import line changed)."""
    import dlt

    if spec.tool == "dropin":
        from restsync import rest_api_source
    else:
        from dlt.sources.rest_api import rest_api_source

    workdir = Path(spec.workdir)
    destination = (
        dlt.destinations.postgres(POSTGRES_URL)
        if spec.destination == "postgres"
        else dlt.destinations.duckdb(str(workdir / DB_FILE))
    )

    def sync_once(url: str, start: float) -> None:
        config = copy.deepcopy(dict(spec.config))
        config["client"]["base_url"] = url
        source = rest_api_source(config)  # type: ignore[arg-type]
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{spec.tool}",
            destination=destination,
            dataset_name=spec.dataset,
            pipelines_dir=str(workdir / "pipelines"),
        )
        file_format: Any = spec.loader_file_format
        if not spec.phases:
            pipeline.run(source, loader_file_format=file_format)
            return
        steps = {
            "extract": lambda: pipeline.extract(source, loader_file_format=file_format),
            "normalize": pipeline.normalize,
            "load": pipeline.load,
        }
        timed: dict[str, float] = {}
        for name, step in steps.items():
            began = time.perf_counter()
            step()
            timed[name] = time.perf_counter() - began
        result.phases_s.append(timed)

    _timed_syncs(spec, result, sync_once)


def _run_parse(spec: RunSpec, result: RunResult) -> None:
    """orjson + selector per page, on page bodies fetched beforehand (untimed): the floor of
    any client's data path in Python, with no HTTP, no typing and no loading."""
    import httpx
    import orjson

    with httpx.Client(headers=dict(spec.headers), timeout=60) as client:
        bodies = []
        for url in spec.pages:
            response = client.get(url)
            response.raise_for_status()
            bodies.append(response.content)

    def records_of(body: bytes) -> Any:
        node: Any = orjson.loads(body)
        for key in spec.selector:
            node = node[key]
        return node

    start = time.perf_counter()
    result.records = sum(len(records_of(body)) for body in bodies)
    result.wall_s = time.perf_counter() - start


_RUNNERS = {
    "restsync": _run_restsync,
    "dropin": _run_pipeline,
    "dlt": _run_pipeline,
    "parse": _run_parse,
}


def execute(spec: RunSpec) -> RunResult:
    """Run ``spec`` in this process."""
    Path(spec.workdir).mkdir(parents=True, exist_ok=True)
    result = RunResult(ok=True, records=sum(spec.expected.values()), pid=os.getpid())
    try:
        _RUNNERS[spec.tool](spec, result)
    except Exception as exc:  # the harness's own failure: report it as this run's error
        result.ok = False
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:2000]
    return result


def child_main() -> None:
    """The child's side of ``execute_isolated``: a RunSpec as JSON on stdin, the RunResult as
    JSON on stdout (which nothing else may write to)."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    raw = json.loads(sys.stdin.read())
    spec = RunSpec(**{**raw, **{k: tuple(raw[k]) for k in ("pages", "selector", "urls")}})
    # the imports the run's tool needs, before the baseline memory reading (only its own:
    # restsync never loads dlt's rest_api, and dlt's runs must not get restsync's allocator)
    import dlt  # noqa: F401
    import duckdb  # noqa: F401

    if spec.tool in ("restsync", "dropin"):
        import restsync

        if spec.tool == "restsync":  # a process running restsync alone, as the command line
            restsync.tune_process()
    elif spec.tool == "dlt":
        from dlt.sources import rest_api  # noqa: F401
    import_rss = _peak_rss_mb()
    result = execute(spec)
    result.import_rss_mb = import_rss
    result.rss_mb = _peak_rss_mb()
    out.write(json.dumps(asdict(result)))
    out.close()


def execute_isolated(spec: RunSpec, *, timeout: float) -> RunResult:
    """Run ``spec`` in a fresh interpreter (``python -m bench._child client``) and return what it
    measured; a run that outlives ``timeout`` seconds is killed and reported as failed."""
    from ._server import child_environment

    process = subprocess.Popen(
        [sys.executable, "-m", "bench._child", "client"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_environment(),
    )
    try:
        output, _ = process.communicate(json.dumps(asdict(spec)), timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return RunResult(ok=False, error=f"timed out after {timeout:.0f} s", pid=process.pid)
    if process.returncode != 0 or not output:
        return RunResult(
            ok=False,
            error=f"client process failed (exit code {process.returncode}); see its stderr",
            pid=process.pid,
        )
    return RunResult(**json.loads(output))
